//! The registry in ZooKeeper, for masters that run highly available: every
//! record is a znode under `<zk path>-registry` (beside the masters' group,
//! whose children are only its members, as tools that read it expect), so
//! none grows with the cluster (ZooKeeper refuses nodes over 1 MB). Agents, unreachable and gone
//! agents are spread over 256 buckets so that no parent lists more children
//! than ZooKeeper can return at once:
//!
//! ```text
//! <zk path>-registry/master
//! <zk path>-registry/schedule
//! <zk path>-registry/agents/<bucket>/<id>
//! <zk path>-registry/unreachable/<bucket>/<id>
//! <zk path>-registry/gone/<bucket>/<id>
//! <zk path>-registry/machines/<hostname%2Fip>
//! <zk path>-registry/quota/<role, '/' written %2F>
//! <zk path>-registry/weights/<role, '/' written %2F>
//! ```
//!
//! Each batch is written as ZooKeeper transactions that first check this
//! master's election member still exists: a deposed leader's write fails
//! (and the master exits) instead of overwriting its successor's registry.

use std::collections::BTreeSet;

use mesos_registry::{Changes, Registry};
use zookeeper_client as zk;

use super::{Store, StoreError};

/// Records per ZooKeeper transaction, well under its 1 MB request limit
/// for records of a few kilobytes.
const RECORDS_PER_TRANSACTION: usize = 100;

/// Kinds whose records are spread over buckets.
const BUCKETED: [&str; 3] = ["agents", "unreachable", "gone"];

pub struct ZooKeeperStore {
    client: zk::Client,
    /// `<zk path>-registry`.
    base: String,
    /// This master's election member: writes happen only while it exists.
    fence: String,
    runtime: tokio::runtime::Handle,
    /// Znodes known to exist (records and their parents).
    existing: BTreeSet<String>,
}

/// Where the registry of the masters' group at `group` is kept.
pub fn registry_path(group: &str) -> String {
    match group.trim_end_matches('/') {
        "" => "/mesos-registry".to_owned(),
        group => format!("{group}-registry"),
    }
}

impl ZooKeeperStore {
    pub fn new(client: zk::Client, group: &str, fence: &str) -> ZooKeeperStore {
        ZooKeeperStore {
            client,
            base: registry_path(group),
            fence: fence.to_owned(),
            runtime: tokio::runtime::Handle::current(),
            existing: BTreeSet::new(),
        }
    }

    fn error(&self, what: &str, path: &str, error: impl std::fmt::Display) -> StoreError {
        StoreError::Write { path: format!("zookeeper {path}"), reason: format!("{what}: {error}") }
    }

    async fn load_async(&mut self) -> Result<Registry, StoreError> {
        let read = |path: &str, error: zk::Error| StoreError::Read {
            path: format!("zookeeper {path}"),
            reason: error.to_string(),
        };
        let mut records = Vec::new();
        let kinds = match self.client.list_children(&self.base).await {
            Ok(kinds) => kinds,
            Err(zk::Error::NoNode) => return Ok(Registry::new()),
            Err(error) => return Err(read(&self.base, error)),
        };
        self.existing.insert(self.base.clone());
        for kind in kinds {
            let kind_path = format!("{}/{kind}", self.base);
            self.existing.insert(kind_path.clone());
            let mut parents = vec![kind_path.clone()];
            if BUCKETED.contains(&kind.as_str()) {
                parents = self
                    .client
                    .list_children(&kind_path)
                    .await
                    .map_err(|e| read(&kind_path, e))?
                    .into_iter()
                    .map(|bucket| format!("{kind_path}/{bucket}"))
                    .collect();
                self.existing.extend(parents.iter().cloned());
            }
            if kind == "master" || kind == "schedule" {
                let (data, _) = self.client.get_data(&kind_path).await.map_err(|e| read(&kind_path, e))?;
                records.push((kind.clone(), data));
                continue;
            }
            for parent in parents {
                for child in self.client.list_children(&parent).await.map_err(|e| read(&parent, e))? {
                    let path = format!("{parent}/{child}");
                    let (data, _) = self.client.get_data(&path).await.map_err(|e| read(&path, e))?;
                    records.push((format!("{kind}/{}", unescape(&child)), data));
                    self.existing.insert(path);
                }
            }
        }
        Registry::from_records(records)
            .map_err(|source| StoreError::Corrupt { path: format!("zookeeper {}", self.base), source })
    }

    /// The znode of a record key.
    fn node(&self, key: &str) -> String {
        match key.split_once('/') {
            None => format!("{}/{key}", self.base),
            Some((kind, rest)) if BUCKETED.contains(&kind) => {
                format!("{}/{kind}/{:02x}/{}", self.base, bucket(rest), escape(rest))
            }
            Some((kind, rest)) => format!("{}/{kind}/{}", self.base, escape(rest)),
        }
    }

    async fn write_async(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        // Parents first (outside the transactions: creating one that exists
        // would fail the whole transaction).
        for (key, _) in &changes.put {
            let node = self.node(key);
            if let Some((parent, _)) = node.rsplit_once('/')
                && !self.existing.contains(parent)
            {
                match self.client.mkdir(parent, &persistent).await {
                    Ok(()) | Err(zk::Error::NodeExists) => {
                        self.existing.insert(parent.to_owned());
                    }
                    Err(error) => return Err(self.error("mkdir", parent, error)),
                }
            }
        }
        let mut operations: Vec<(String, Option<&[u8]>)> =
            changes.put.iter().map(|(key, bytes)| (self.node(key), Some(bytes.as_slice()))).collect();
        operations.extend(changes.delete.iter().map(|key| (self.node(key), None)));
        for chunk in operations.chunks(RECORDS_PER_TRANSACTION) {
            let mut writer =
                self.client.new_check_writer(&self.fence, None).map_err(|e| self.error("check", &self.fence, e))?;
            for (node, bytes) in chunk {
                let result = match bytes {
                    Some(bytes) if self.existing.contains(node) => writer.add_set_data(node, bytes, None),
                    Some(bytes) => writer.add_create(node, bytes, &persistent),
                    None if self.existing.contains(node) => writer.add_delete(node, None),
                    None => continue,
                };
                result.map_err(|e| self.error("prepare", node, e))?;
            }
            writer
                .commit()
                .await
                .map_err(|error| self.error("commit (is this master still leading?)", &self.base, error))?;
            for (node, bytes) in chunk {
                if bytes.is_some() {
                    self.existing.insert(node.clone());
                } else {
                    self.existing.remove(node);
                }
            }
        }
        Ok(())
    }
}

impl Store for ZooKeeperStore {
    fn load(&mut self) -> Result<Registry, StoreError> {
        let runtime = self.runtime.clone();
        runtime.block_on(self.load_async())
    }

    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let runtime = self.runtime.clone();
        runtime.block_on(self.write_async(changes))
    }
}

/// `/` and `%` percent-encoded, so that a role or machine is one znode name.
fn escape(text: &str) -> String {
    text.replace('%', "%25").replace('/', "%2F")
}

fn unescape(text: &str) -> String {
    text.replace("%2F", "/").replace("%25", "%")
}

/// A stable bucket (FNV-1a) for an id.
fn bucket(id: &str) -> u8 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash & 0xff) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_buckets_are_stable() {
        for text in ["eng/web", "100%/x", "plain"] {
            assert_eq!(unescape(&escape(text)), text);
            assert!(!escape(text).contains('/'));
        }
        assert_eq!(bucket("S1"), bucket("S1"));
    }

    #[test]
    fn the_registry_sits_beside_the_group() {
        assert_eq!(registry_path("/mesos"), "/mesos-registry");
        assert_eq!(registry_path("/a/b/"), "/a/b-registry");
        assert_eq!(registry_path("/"), "/mesos-registry");
    }
}
