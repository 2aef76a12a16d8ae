//! Wire types of the Mesos v1 APIs and of this project's master <-> agent
//! protocol, with the encodings Mesos uses on the wire:
//!
//! - [`v1`] and its sub-modules: the public Mesos v1 messages (scheduler,
//!   executor and operator APIs), generated from `proto/` with `prost`.
//! - [`internal`]: the master <-> agent protocol, which is ours.
//! - [`json`]: JSON exactly as Mesos renders and parses it (snake_case names,
//!   enums by name, bytes in base64, defaults emitted, unknown fields ignored).
//! - [`recordio`]: the `<length>\n<bytes>` framing of streaming responses.
//! - [`codec`]: picking JSON or protobuf from `Content-Type` and `Accept`.
//!
//! This crate is pure: it performs no I/O.

pub mod codec;
pub mod collections;
pub mod json;
pub mod recordio;
mod reflect;
mod states;
mod task_record;

/// The Mesos v1 public API (`mesos.v1` and its sub-packages).
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/mesos.v1.rs"));

    /// `mesos.v1.scheduler`: the scheduler HTTP API.
    pub mod scheduler {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.scheduler.rs"));
    }
    /// `mesos.v1.executor`: the executor HTTP API.
    pub mod executor {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.executor.rs"));
    }
    /// `mesos.v1.master`: the master's operator API.
    pub mod master {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.master.rs"));
    }
    /// `mesos.v1.agent`: the agent's operator API.
    pub mod agent {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.agent.rs"));
    }
    /// `mesos.v1.quota`: quota configuration.
    pub mod quota {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.quota.rs"));
    }
    /// `mesos.v1.maintenance`: maintenance schedules.
    pub mod maintenance {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.maintenance.rs"));
    }
    /// `mesos.v1.allocator`: inverse offer answers.
    pub mod allocator {
        include!(concat!(env!("OUT_DIR"), "/mesos.v1.allocator.rs"));
    }
}

/// `mesos.internal`: the master <-> agent protocol of this project.
#[allow(clippy::all, missing_docs)]
pub mod internal {
    include!(concat!(env!("OUT_DIR"), "/mesos.internal.rs"));
}

pub use codec::{ContentType, DecodeError};
pub use prost::DecodeError as DecodeProtoError;
pub use prost::Message;
