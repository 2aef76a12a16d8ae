//! Where the master's registry is kept, as I/O around the pure
//! `mesos-registry`: the [`Store`] trait the master's registrar writes
//! through, the store of a master on its own (`file.rs`:
//! `<work_dir>/registry.db` and its marker, `marker.rs`), and what a store
//! does when what it reads back cannot be trusted ([`Recover`]).
//!
//! The `mesos registry export` and `import` commands use `file.rs` too, on
//! a stopped master's work directory; the ZooKeeper store lives in the
//! master, which alone talks to ZooKeeper as a leader.

pub mod file;
pub mod marker;

use mesos_registry::{Changes, Registry, RegistryError};

/// A place that holds the registry's records.
pub trait Store: Send + 'static {
    /// Everything stored (an empty registry when nothing was stored yet),
    /// once the store has checked that it is the registry last
    /// acknowledged as stored.
    fn load(&mut self) -> Result<Registry, StoreError>;
    /// Writes a batch's changes, durably, all or nothing. Once it returns,
    /// the batch may be acknowledged; after an error the store is not used
    /// again (the master exits).
    fn write(&mut self, changes: &Changes) -> Result<(), StoreError>;
    /// What an operator can do when [`Store::load`] finds damage.
    fn advice(&self) -> String {
        recovery_advice("restore the registry from a backup", "the damaged registry is removed")
    }
}

/// A store that could not be read or written, or cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the registry at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the registry at {path} is in use by another process (a running master?)")]
    InUse { path: String },
    #[error("cannot read the registry at {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot write the registry at {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("the registry at {path} is damaged: {reason}")]
    Damaged { path: String, reason: String },
    #[error("the registry at {path} is corrupt: {source}")]
    Corrupt { path: String, source: RegistryError },
    #[error("the registry at {path} is not the one last stored: {reason}")]
    Untrusted { path: String, reason: String },
}

impl StoreError {
    /// Whether the store was read but what it holds is damaged or not the
    /// registry last stored: what `--registry_recover=discard` may throw
    /// away (a store that cannot be reached, or a file in use, is not).
    pub fn is_damage(&self) -> bool {
        matches!(self, StoreError::Damaged { .. } | StoreError::Corrupt { .. } | StoreError::Untrusted { .. })
    }
}

/// What a master does with a store that cannot be trusted
/// (`--registry_recover`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Recover {
    /// Stop with an error that says what was found (the default).
    #[default]
    Refuse,
    /// Keep the damaged store aside and start with an empty registry.
    Discard,
}

impl std::str::FromStr for Recover {
    type Err = String;

    fn from_str(text: &str) -> Result<Recover, String> {
        match text {
            "refuse" => Ok(Recover::Refuse),
            "discard" => Ok(Recover::Discard),
            other => Err(format!("unknown --registry_recover '{other}' (expected refuse or discard)")),
        }
    }
}

/// What an operator can do about a store that cannot be trusted, given
/// how to restore a backup into it and what discarding does.
pub fn recovery_advice(restore: &str, discarded: &str) -> String {
    format!(
        "The master does not start from it: it could have forgotten agents, quota, weights or maintenance it \
         acknowledged. To recover, {restore}; or start over with an empty registry, deliberately, with \
         --registry_recover=discard ({discarded}; every agent must then register again)."
    )
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
