//! Opening a ZooKeeper session for a URL (with its `digest` credentials).

use std::time::Duration;

use zookeeper_client as zk;

use crate::error::ZkError;
use crate::url::ZkUrl;

/// Connects to the URL's servers with the given session timeout.
pub async fn connect(url: &ZkUrl, session_timeout: Duration) -> Result<zk::Client, ZkError> {
    let mut connector = zk::Client::connector().with_session_timeout(session_timeout);
    if let Some((user, password)) = &url.credentials {
        connector = connector.with_auth("digest", format!("{user}:{password}").as_bytes());
    }
    connector
        .connect(&url.servers)
        .await
        .map_err(|error| ZkError::Session { servers: url.servers.clone(), reason: error.to_string() })
}

/// Creates `path` and its parents as persistent, empty znodes if missing.
pub(crate) async fn ensure_path(client: &zk::Client, path: &str) -> Result<(), ZkError> {
    let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
    match client.mkdir(path, &options).await {
        Ok(()) | Err(zk::Error::NodeExists) => Ok(()),
        Err(error) => Err(ZkError::operation("mkdir", path, error)),
    }
}
