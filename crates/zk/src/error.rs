//! What can go wrong talking to ZooKeeper or reading what is there.

#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    #[error("invalid ZooKeeper URL '{url}': {reason}")]
    Url { url: String, reason: String },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("ZooKeeper at {servers}: {reason}")]
    Session { servers: String, reason: String },
    #[error("ZooKeeper {operation} of {path}: {source}")]
    Operation {
        operation: &'static str,
        path: String,
        #[source]
        source: zookeeper_client::Error,
    },
    #[error("cannot read the member {name}: {reason}")]
    Member { name: String, reason: String },
}

impl ZkError {
    pub(crate) fn operation(operation: &'static str, path: &str, source: zookeeper_client::Error) -> ZkError {
        ZkError::Operation { operation, path: path.to_owned(), source }
    }
}
