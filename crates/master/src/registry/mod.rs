//! Where the master's registry is kept ([`Store`]) and the registrar task
//! that writes the master's operations to it in batches (`registrar.rs`).
//!
//! `--registry=replicated_log` (the default, Mesos's name) keeps it durable:
//! in `<work_dir>/registry.db` (`mesos-registry-store`'s `file.rs`) for a
//! master on its own, in
//! ZooKeeper (`zookeeper.rs`) for masters that run highly available with
//! `--zk`; `--registry=in_memory` keeps it for the life of the process only.

pub mod registrar;
pub mod zookeeper;

pub use mesos_registry_store::file;
pub use mesos_registry_store::{MemoryStore, Recover, Store, StoreError};
