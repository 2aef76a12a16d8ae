//! A master's candidacy: an ephemeral, sequential `json.info_` member with
//! its `MasterInfo`, elected when it holds the lowest sequence. The member
//! lives as long as the session: a master whose session is lost must stop
//! leading at once (another may be elected as soon as the member goes).

use std::time::Duration;

use mesos_proto::v1::MasterInfo;
use zookeeper_client as zk;

use crate::error::ZkError;
use crate::membership::{JSON_LABEL, encode_master_info, leader_of};
use crate::session::{connect, ensure_path};
use crate::url::ZkUrl;

pub struct Contender {
    client: zk::Client,
    group: String,
    /// Full path of this master's member.
    node: String,
}

impl Contender {
    /// Joins the group at `url.path` with `info`.
    pub async fn contend(url: &ZkUrl, info: &MasterInfo, session_timeout: Duration) -> Result<Contender, ZkError> {
        let client = connect(url, session_timeout).await?;
        ensure_path(&client, &url.path).await?;
        let prefix = format!("{}/{JSON_LABEL}", url.path);
        let options = zk::CreateMode::EphemeralSequential.with_acls(zk::Acls::anyone_all());
        let (_, sequence) = client
            .create(&prefix, &encode_master_info(info), &options)
            .await
            .map_err(|error| ZkError::operation("create", &prefix, error))?;
        let node = format!("{prefix}{:010}", sequence.into_i64());
        tracing::info!(member = %node, "contending for leadership");
        Ok(Contender { client, group: url.path.clone(), node })
    }

    /// Waits until this member leads; fails if it is gone (session lost).
    pub async fn elected(&self) -> Result<(), ZkError> {
        loop {
            let (children, watcher) = self
                .client
                .list_and_watch_children(&self.group)
                .await
                .map_err(|error| ZkError::operation("list", &self.group, error))?;
            let ours = self.node.rsplit('/').next().unwrap_or_default();
            if !children.iter().any(|c| c == ours) {
                return Err(ZkError::Member { name: self.node.clone(), reason: "the member is gone".into() });
            }
            if leader_of(&children).is_some_and(|leader| leader.name == ours) {
                return Ok(());
            }
            watcher.changed().await;
        }
    }

    /// Resolves when the session stops being connected: the member may be
    /// gone (or soon be), so a leader must stop leading.
    pub async fn session_lost(&self) -> zk::SessionState {
        let mut states = self.client.state_watcher();
        loop {
            let state = states.state();
            if !matches!(state, zk::SessionState::SyncConnected | zk::SessionState::ConnectedReadOnly) {
                return state;
            }
            states.changed().await;
        }
    }

    /// Leaves the group now: closes the session, so that the member goes at
    /// once rather than when the session times out, and another master can
    /// be elected without waiting. Resolves when the session is closed (or
    /// was already lost); callers bound the wait.
    pub async fn close(self) {
        let mut states = self.client.state_watcher();
        drop(self.client);
        loop {
            let state = states.state();
            if state.is_terminated() {
                tracing::info!(member = %self.node, ?state, "left the masters' group");
                return;
            }
            states.changed().await;
        }
    }

    /// The session, for writes fenced by this member (see [`Contender::node`]).
    pub fn client(&self) -> &zk::Client {
        &self.client
    }

    /// The member's full path: a write that checks it exists fails once
    /// this master lost its candidacy.
    pub fn node(&self) -> &str {
        &self.node
    }
}
