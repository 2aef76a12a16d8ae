//! Where the master's registry is kept ([`Store`]) and the registrar task
//! that writes the master's operations to it in batches (`registrar.rs`).
//!
//! `--registry=replicated_log` (the default, Mesos's name) keeps it durable:
//! in `<work_dir>/registry.db` (`file.rs`) for a master on its own, in
//! ZooKeeper (`zookeeper.rs`) for masters that run highly available with
//! `--zk`; `--registry=in_memory` keeps it for the life of the process only.

pub mod file;
pub mod registrar;
pub mod zookeeper;

use mesos_registry::{Changes, Registry, RegistryError};

/// A place that holds the registry's records.
pub trait Store: Send + 'static {
    /// Everything stored (an empty registry when nothing was stored yet).
    fn load(&mut self) -> Result<Registry, StoreError>;
    /// Writes a batch's changes, durably, all or nothing.
    fn write(&mut self, changes: &Changes) -> Result<(), StoreError>;
}

/// A store that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the registry at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("cannot read the registry at {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot write the registry at {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("the registry at {path} is corrupt: {source}")]
    Corrupt { path: String, source: RegistryError },
}

/// `--registry=in_memory`: nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryStore;

impl Store for MemoryStore {
    fn load(&mut self) -> Result<Registry, StoreError> {
        Ok(Registry::new())
    }

    fn write(&mut self, _changes: &Changes) -> Result<(), StoreError> {
        Ok(())
    }
}
