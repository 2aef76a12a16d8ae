//! Following the leader: a background task watches the group's children
//! and reports the leading member's `MasterInfo` (or `None` when there is
//! no leader) on a watch channel. A lost session is opened again.

use std::time::Duration;

use mesos_proto::v1::MasterInfo;
use tokio::sync::watch;
use zookeeper_client as zk;

use crate::error::ZkError;
use crate::membership::{decode_member, leader_of};
use crate::session::connect;
use crate::url::ZkUrl;

/// The current leader, as seen in ZooKeeper.
#[derive(Clone)]
pub struct Detector {
    leader: watch::Receiver<Option<MasterInfo>>,
}

impl Detector {
    /// Starts following the group at `url.path`.
    pub fn start(url: ZkUrl, session_timeout: Duration) -> Detector {
        let (sender, leader) = watch::channel(None);
        tokio::spawn(follow(url, session_timeout, sender));
        Detector { leader }
    }

    /// The leader's changes.
    pub fn leader(&self) -> watch::Receiver<Option<MasterInfo>> {
        self.leader.clone()
    }
}

async fn follow(url: ZkUrl, session_timeout: Duration, sender: watch::Sender<Option<MasterInfo>>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if sender.is_closed() {
            return;
        }
        match connect(&url, session_timeout).await {
            Ok(client) => {
                backoff = Duration::from_millis(100);
                if let Err(error) = watch_group(&client, &url.path, &sender).await {
                    tracing::warn!(%error, "lost track of the masters in ZooKeeper; reconnecting");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot reach ZooKeeper to find the leading master"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Reports the leader until the session fails.
async fn watch_group(
    client: &zk::Client,
    path: &str,
    sender: &watch::Sender<Option<MasterInfo>>,
) -> Result<(), ZkError> {
    let mut states = client.state_watcher();
    loop {
        let children = client.list_and_watch_children(path).await;
        let (children, changed) = match children {
            Ok((children, watcher)) => (children, Either::Children(watcher)),
            Err(zk::Error::NoNode) => {
                let (stat, watcher) = client
                    .check_and_watch_stat(path)
                    .await
                    .map_err(|error| ZkError::operation("watch", path, error))?;
                if stat.is_some() {
                    // Created since the listing: that watch would only
                    // fire on its deletion, so list it now instead.
                    continue;
                }
                (Vec::new(), Either::Stat(watcher))
            }
            Err(error) => return Err(ZkError::operation("list", path, error)),
        };
        let leader = match leader_of(&children) {
            Some(member) => match client.get_data(&format!("{path}/{}", member.name)).await {
                Ok((data, _)) => match decode_member(&member, &data) {
                    Ok(info) => Some(info),
                    Err(error) => {
                        tracing::warn!(%error, "the leading member cannot be read");
                        None
                    }
                },
                // It went away meanwhile: the watch fires next.
                Err(zk::Error::NoNode) => None,
                Err(error) => return Err(ZkError::operation("get", path, error)),
            },
            None => None,
        };
        tracing::debug!(?children, leader = ?leader.as_ref().map(|l| &l.id), "listed the masters' group");
        sender.send_if_modified(|current| {
            let changed = *current != leader;
            *current = leader;
            changed
        });
        tokio::select! {
            () = changed.wait() => {}
            state = states.changed() => {
                if matches!(state, zk::SessionState::Expired | zk::SessionState::Closed | zk::SessionState::AuthFailed) {
                    return Err(ZkError::Session { servers: String::new(), reason: format!("session {state:?}") });
                }
            }
        }
    }
}

enum Either {
    Children(zk::OneshotWatcher),
    Stat(zk::OneshotWatcher),
}

impl Either {
    async fn wait(self) {
        match self {
            Either::Children(watcher) | Either::Stat(watcher) => {
                watcher.changed().await;
            }
        }
    }
}
