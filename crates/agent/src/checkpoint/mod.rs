//! The agent's checkpoints: records written under `<work_dir>/meta` and
//! `<work_dir>/runtime` (layout in `paths.rs`) so that a restarted agent can
//! reattach to running executors. Every write is atomic; reading back is
//! strict by default (a damaged record fails recovery with a clear error).

mod atomic;
pub mod queue;
mod reader;
mod writer;

pub use atomic::write_atomically;
pub use reader::{Recovered, RecoveryError, boot_id, recover};
pub use writer::{apply, forget_container, record_container};

/// Why a checkpoint could not be written.
#[derive(Debug, thiserror::Error)]
#[error("failed to checkpoint {path}: {source}")]
pub struct CheckpointError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}
