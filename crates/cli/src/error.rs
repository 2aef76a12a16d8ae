//! Why a command failed, in one line.

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("cannot reach the master at {master}: {reason}")]
    Unreachable { master: String, reason: String },
    #[error("the master refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Usage(String),
    #[error("unexpected answer from the master: {0}")]
    Protocol(String),
    #[error("{0}")]
    Registry(String),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}
