//! The agent's checkpoints: records written under `<work_dir>/meta` and
//! `<work_dir>/runtime` (layout in `paths.rs`) so that a restarted agent can
//! reattach to running executors. Every write is atomic, and every record
//! carries a checksum (`record.rs`); reading back is strict by default (a
//! damaged record fails recovery with a clear error).

mod atomic;
pub mod queue;
mod reader;
mod record;
mod writer;

pub use atomic::write_atomically;

/// Writes a checkpoint record (`contents` framed with its checksum)
/// atomically.
pub fn write_record(path: &std::path::Path, contents: &[u8]) -> Result<(), CheckpointError> {
    write_atomically(path, &record::frame(contents))
}
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
