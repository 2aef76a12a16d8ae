//! Why an operation or a record was refused.

/// An operation that does not apply to the registry as it is, or a record
/// that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("agent {0} is already admitted")]
    AlreadyAdmitted(String),
    #[error("agent {0} is not admitted")]
    NotAdmitted(String),
    #[error("agent {0} is unknown to the registry")]
    UnknownAgent(String),
    #[error("agent {0} has been marked gone")]
    Gone(String),
    #[error("invalid weight {weight} for role '{role}': weights must be positive")]
    InvalidWeight { role: String, weight: f64 },
    #[error("record '{key}' cannot be read: {reason}")]
    BadRecord { key: String, reason: String },
    #[error("unknown record key '{0}'")]
    UnknownKey(String),
}
