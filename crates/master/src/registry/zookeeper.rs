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
//! <zk path>-registry/seal
//! <zk path>-registry/pending[/<part>]
//! ```
//!
//! `seal` holds the registry's [`Seal`] (version and digest of every
//! record). A batch that fits in one ZooKeeper transaction writes its
//! records and the new seal in that one `multi`. A larger batch (more than
//! [`RECORDS_PER_TRANSACTION`] records) cannot be one transaction, so it is
//! first kept aside whole under `pending` (its changes in parts, then the
//! seal it leads to as `pending`'s data, which marks the parts complete),
//! then its records are written in several transactions, and the last one
//! sets the seal and removes `pending`. A leader that stops half-way leaves
//! `pending` complete, and the next leader finishes the batch from it before
//! checking anything (or, if the parts were not complete, none of the
//! batch's records were written yet and `pending` is dropped).
//!
//! At recovery, the digest of the records read back must match the seal:
//! a node whose data was changed, lost or added by anything but a leader's
//! batch makes the master stop with what it found (or, with
//! `--registry_recover=discard`, remove the registry and start empty). A
//! registry without a seal, written before seals existed, is sealed.
//!
//! Each transaction first checks that this master's election member still
//! exists: a deposed leader's write fails (and the master exits) instead of
//! overwriting its successor's registry.

use std::collections::{BTreeMap, BTreeSet};

use mesos_registry::{Changes, Digest, Marker, Registry, Seal, Verdict, verify};
use zookeeper_client as zk;

use super::{Recover, Store, StoreError};

/// Records per ZooKeeper transaction, well under its 1 MB request limit
/// for records of a few kilobytes.
const RECORDS_PER_TRANSACTION: usize = 100;

/// Bytes of a batch kept aside per `pending` part, well under ZooKeeper's
/// 1 MB limit on a node's data.
const PENDING_PART_BYTES: usize = 512 * 1024;

/// Kinds whose records are spread over buckets.
const BUCKETED: [&str; 3] = ["agents", "unreachable", "gone"];

/// Children of the registry's node that are not records.
const SEAL: &str = "seal";
const PENDING: &str = "pending";

pub struct ZooKeeperStore {
    client: zk::Client,
    /// `<zk path>-registry`.
    base: String,
    /// This master's election member: writes happen only while it exists.
    fence: String,
    recover: Recover,
    runtime: tokio::runtime::Handle,
    /// Znodes known to exist (records and their parents).
    existing: BTreeSet<String>,
    /// The registry's seal as stored, and the digest of its records.
    seal: Seal,
    digest: Digest,
}

/// Where the registry of the masters' group at `group` is kept.
pub fn registry_path(group: &str) -> String {
    match group.trim_end_matches('/') {
        "" => "/mesos-registry".to_owned(),
        group => format!("{group}-registry"),
    }
}

/// A record's node: created or set to bytes, or deleted.
type NodeWrite = (String, Option<Vec<u8>>);

impl ZooKeeperStore {
    pub fn new(client: zk::Client, group: &str, fence: &str, recover: Recover) -> ZooKeeperStore {
        ZooKeeperStore {
            client,
            base: registry_path(group),
            fence: fence.to_owned(),
            recover,
            runtime: tokio::runtime::Handle::current(),
            existing: BTreeSet::new(),
            seal: Seal::empty(),
            digest: Digest::default(),
        }
    }

    fn error(&self, what: &str, path: &str, error: impl std::fmt::Display) -> StoreError {
        StoreError::Write { path: format!("zookeeper {path}"), reason: format!("{what}: {error}") }
    }

    fn read_error(path: &str, error: zk::Error) -> StoreError {
        StoreError::Read { path: format!("zookeeper {path}"), reason: error.to_string() }
    }

    fn untrusted(&self, reason: String) -> StoreError {
        StoreError::Untrusted { path: format!("zookeeper {}", self.base), reason }
    }

    fn path(&self, child: &str) -> String {
        format!("{}/{child}", self.base)
    }

    /// Every record, the stored seal (`None` when there is none), and
    /// whether a batch was left pending.
    async fn read_all(&mut self) -> Result<(BTreeMap<String, Vec<u8>>, Option<Seal>, bool), StoreError> {
        let mut records = BTreeMap::new();
        let kinds = match self.client.list_children(&self.base).await {
            Ok(kinds) => kinds,
            Err(zk::Error::NoNode) => return Ok((records, None, false)),
            Err(error) => return Err(Self::read_error(&self.base, error)),
        };
        self.existing.insert(self.base.clone());
        let mut seal = None;
        let mut pending = false;
        for kind in kinds {
            let kind_path = self.path(&kind);
            self.existing.insert(kind_path.clone());
            if kind == SEAL {
                let (data, _) = self.client.get_data(&kind_path).await.map_err(|e| Self::read_error(&kind_path, e))?;
                let decoded = Seal::decode(&data)
                    .map_err(|reason| self.untrusted(format!("its seal ({kind_path}) cannot be read: {reason}")))?;
                seal = Some(decoded);
                continue;
            }
            if kind == PENDING {
                pending = true;
                continue;
            }
            let mut parents = vec![kind_path.clone()];
            if BUCKETED.contains(&kind.as_str()) {
                parents = self
                    .client
                    .list_children(&kind_path)
                    .await
                    .map_err(|e| Self::read_error(&kind_path, e))?
                    .into_iter()
                    .map(|bucket| format!("{kind_path}/{bucket}"))
                    .collect();
                self.existing.extend(parents.iter().cloned());
            }
            if kind == "master" || kind == "schedule" {
                let (data, _) = self.client.get_data(&kind_path).await.map_err(|e| Self::read_error(&kind_path, e))?;
                records.insert(kind.clone(), data);
                continue;
            }
            for parent in parents {
                for child in self.client.list_children(&parent).await.map_err(|e| Self::read_error(&parent, e))? {
                    let path = format!("{parent}/{child}");
                    let (data, _) = self.client.get_data(&path).await.map_err(|e| Self::read_error(&path, e))?;
                    let key = format!("{kind}/{}", unescape(&child));
                    if self.node(&key) != path {
                        return Err(self.untrusted(format!("{path} is not where the record {key} belongs")));
                    }
                    records.insert(key, data);
                    self.existing.insert(path);
                }
            }
        }
        Ok((records, seal, pending))
    }

    async fn load_async(&mut self) -> Result<Registry, StoreError> {
        let (mut records, mut seal, pending) = self.read_all().await?;
        if pending {
            seal = self.finish_pending(&mut records, seal).await?;
        }
        let digest = Digest::of(records.iter());
        let marker = seal.map_or(Marker::Missing, Marker::Present);
        let verdict = verify(&marker, seal.as_ref(), digest.summary()).map_err(|m| self.untrusted(m.to_string()))?;
        let registry = Registry::from_records(records)
            .map_err(|source| StoreError::Corrupt { path: format!("zookeeper {}", self.base), source })?;
        self.digest = digest;
        match verdict {
            Verdict::Fresh => self.seal = Seal::empty(),
            Verdict::Current(seal) | Verdict::AheadOfMarker(seal) => self.seal = seal,
            Verdict::Unsealed(contents) => {
                tracing::warn!(path = %self.base, %contents, "sealing a registry written without a seal");
                self.seal = Seal::empty();
                self.write_async(&Changes::default()).await?;
            }
        }
        Ok(registry)
    }

    /// Finishes (or drops) the batch a previous leader left pending, and
    /// returns the seal the registry then has.
    async fn finish_pending(
        &mut self,
        records: &mut BTreeMap<String, Vec<u8>>,
        seal: Option<Seal>,
    ) -> Result<Option<Seal>, StoreError> {
        let pending = self.path(PENDING);
        let (header, _) = self.client.get_data(&pending).await.map_err(|e| Self::read_error(&pending, e))?;
        let mut parts: Vec<String> =
            self.client.list_children(&pending).await.map_err(|e| Self::read_error(&pending, e))?;
        parts.sort();
        let part_paths: Vec<String> = parts.iter().map(|part| format!("{pending}/{part}")).collect();
        let removed: Vec<String> = part_paths.iter().cloned().chain([pending.clone()]).collect();
        if header.is_empty() {
            // Its parts were being written: none of its records were.
            tracing::info!(path = %pending, "dropping a batch whose writing had not begun");
            self.commit(Vec::new(), None, &removed).await?;
            return Ok(seal);
        }
        let (target, count) = decode_pending(&header)
            .map_err(|reason| self.untrusted(format!("its pending batch ({pending}) cannot be read: {reason}")))?;
        if count != parts.len() {
            return Err(self.untrusted(format!(
                "its pending batch ({pending}) should have {count} parts and has {}",
                parts.len()
            )));
        }
        let mut changes = Changes::default();
        for path in &part_paths {
            let (data, _) = self.client.get_data(path).await.map_err(|e| Self::read_error(path, e))?;
            let part = Changes::decode(&data)
                .map_err(|error| self.untrusted(format!("a part of its pending batch ({path}): {error}")))?;
            changes.put.extend(part.put);
            changes.delete.extend(part.delete);
        }
        for (key, bytes) in &changes.put {
            records.insert(key.clone(), bytes.clone());
        }
        for key in &changes.delete {
            records.remove(key);
        }
        // Checked before anything is written: a damaged batch is not
        // spread over the records.
        let found = Digest::of(records.iter()).summary();
        if found != target.contents {
            return Err(self.untrusted(format!(
                "its records with the pending batch ({pending}) applied hold {found}, not the {target} the batch \
                 leads to"
            )));
        }
        tracing::info!(path = %pending, %target, "finishing the batch a previous leader left half-written");
        let writes = self.node_writes(&changes);
        self.make_parents(&changes).await?;
        for chunk in writes.chunks(RECORDS_PER_TRANSACTION) {
            self.commit(chunk.to_vec(), None, &[]).await?;
        }
        self.commit(Vec::new(), Some(&target), &removed).await?;
        Ok(Some(target))
    }

    /// `--registry_recover=discard`: removes every node of the registry.
    async fn discard(&mut self, error: &StoreError) -> Result<Registry, StoreError> {
        tracing::error!(
            "--registry_recover=discard: DISCARDING THE REGISTRY in ZooKeeper at {}: {error}. Starting with an \
             EMPTY registry: every agent must register anew, and quota, weights and maintenance are gone. Remove \
             --registry_recover=discard once the master runs.",
            self.base
        );
        let mut stack = vec![self.base.clone()];
        let mut order = Vec::new();
        while let Some(path) = stack.pop() {
            match self.client.list_children(&path).await {
                Ok(children) => stack.extend(children.into_iter().map(|child| format!("{path}/{child}"))),
                Err(zk::Error::NoNode) => continue,
                Err(error) => return Err(Self::read_error(&path, error)),
            }
            order.push(path);
        }
        // Children before their parents, each delete fenced.
        for path in order.iter().rev() {
            let mut writer =
                self.client.new_check_writer(&self.fence, None).map_err(|e| self.error("check", &self.fence, e))?;
            writer.add_delete(path, None).map_err(|e| self.error("prepare", path, e))?;
            match writer.commit().await {
                Ok(_) => {}
                Err(zk::CheckWriteError::OperationFailed { source: zk::Error::NoNode, .. }) => {}
                Err(error) => return Err(self.error("delete (is this master still leading?)", path, error)),
            }
        }
        self.existing.clear();
        self.load_async().await
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

    fn node_writes(&self, changes: &Changes) -> Vec<NodeWrite> {
        let mut writes: Vec<NodeWrite> =
            changes.put.iter().map(|(key, bytes)| (self.node(key), Some(bytes.clone()))).collect();
        writes.extend(changes.delete.iter().map(|key| (self.node(key), None)));
        writes
    }

    /// Creates the parents of the records `changes` puts (outside the
    /// transactions: creating one that exists would fail the whole
    /// transaction).
    async fn make_parents(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
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
        Ok(())
    }

    /// One fenced transaction: `writes`, then the seal if given, then the
    /// deletion of `removed` nodes (listed children before parents).
    async fn commit(
        &mut self,
        writes: Vec<NodeWrite>,
        seal: Option<&Seal>,
        removed: &[String],
    ) -> Result<(), StoreError> {
        let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        let mut writer =
            self.client.new_check_writer(&self.fence, None).map_err(|e| self.error("check", &self.fence, e))?;
        let seal_path = self.path(SEAL);
        let seal_text = seal.map(Seal::encode);
        let mut applied = Vec::new();
        for (node, bytes) in &writes {
            let result = match bytes {
                Some(bytes) if self.existing.contains(node) => writer.add_set_data(node, bytes, None),
                Some(bytes) => writer.add_create(node, bytes, &persistent),
                None if self.existing.contains(node) => writer.add_delete(node, None),
                None => continue,
            };
            result.map_err(|e| self.error("prepare", node, e))?;
            applied.push((node.clone(), bytes.is_some()));
        }
        if let Some(text) = &seal_text {
            let result = if self.existing.contains(&seal_path) {
                writer.add_set_data(&seal_path, text.as_bytes(), None)
            } else {
                writer.add_create(&seal_path, text.as_bytes(), &persistent)
            };
            result.map_err(|e| self.error("prepare", &seal_path, e))?;
            applied.push((seal_path.clone(), true));
        }
        for node in removed {
            writer.add_delete(node, None).map_err(|e| self.error("prepare", node, e))?;
            applied.push((node.clone(), false));
        }
        writer
            .commit()
            .await
            .map_err(|error| self.error("commit (is this master still leading?)", &self.base, error))?;
        for (node, exists) in applied {
            if exists {
                self.existing.insert(node);
            } else {
                self.existing.remove(&node);
            }
        }
        Ok(())
    }

    /// Keeps a batch too large for one transaction aside under `pending`:
    /// its parts, then the seal it leads to (which marks them complete).
    /// Returns the nodes to remove once the batch is written.
    async fn write_pending(&mut self, changes: &Changes, target: &Seal) -> Result<Vec<String>, StoreError> {
        let pending = self.path(PENDING);
        let persistent = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        let parts = split_changes(changes, PENDING_PART_BYTES);
        let mut paths = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let path = format!("{pending}/{index:06}");
            let mut writer =
                self.client.new_check_writer(&self.fence, None).map_err(|e| self.error("check", &self.fence, e))?;
            if index == 0 {
                writer.add_create(&pending, &[], &persistent).map_err(|e| self.error("prepare", &pending, e))?;
            }
            writer.add_create(&path, &part.encode(), &persistent).map_err(|e| self.error("prepare", &path, e))?;
            if index + 1 == parts.len() {
                let header = encode_pending(target, parts.len());
                writer.add_set_data(&pending, &header, None).map_err(|e| self.error("prepare", &pending, e))?;
            }
            writer.commit().await.map_err(|e| self.error("commit (is this master still leading?)", &path, e))?;
            paths.push(path);
        }
        paths.push(pending.clone());
        self.existing.insert(pending);
        Ok(paths)
    }

    async fn write_async(&mut self, changes: &Changes) -> Result<(), StoreError> {
        // Updated before the commit: a failed write ends the master, and
        // the next leader reads the registry again.
        self.digest.apply(changes);
        let target = self.seal.next(self.digest.summary());
        self.make_parents(changes).await?;
        let writes = self.node_writes(changes);
        if writes.len() < RECORDS_PER_TRANSACTION {
            self.commit(writes, Some(&target), &[]).await?;
        } else {
            let parts = self.write_pending(changes, &target).await?;
            for chunk in writes.chunks(RECORDS_PER_TRANSACTION) {
                self.commit(chunk.to_vec(), None, &[]).await?;
            }
            self.commit(Vec::new(), Some(&target), &parts).await?;
        }
        self.seal = target;
        Ok(())
    }
}

impl Store for ZooKeeperStore {
    fn load(&mut self) -> Result<Registry, StoreError> {
        let runtime = self.runtime.clone();
        match runtime.block_on(self.load_async()) {
            Ok(registry) => Ok(registry),
            Err(error) if error.is_damage() && self.recover == Recover::Discard => {
                runtime.block_on(self.discard(&error))
            }
            Err(error) => Err(error),
        }
    }

    fn write(&mut self, changes: &Changes) -> Result<(), StoreError> {
        let runtime = self.runtime.clone();
        runtime.block_on(self.write_async(changes))
    }

    fn advice(&self) -> String {
        mesos_registry_store::recovery_advice(
            "stop every master and restore ZooKeeper's data from its own backup",
            "every node of the registry in ZooKeeper is removed; quota, weights and maintenance from a \
             `mesos registry export` can then be set again",
        )
    }
}

/// `pending`'s data: the seal the batch leads to, then how many parts.
fn encode_pending(target: &Seal, parts: usize) -> Vec<u8> {
    format!("{}parts={parts}\n", target.encode()).into_bytes()
}

fn decode_pending(bytes: &[u8]) -> Result<(Seal, usize), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not text".to_owned())?;
    let (seal, rest) = text.split_once('\n').ok_or("it has no seal")?;
    let seal = Seal::decode(format!("{seal}\n").as_bytes())?;
    let parts = rest
        .strip_prefix("parts=")
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|count| count.parse().ok())
        .ok_or("it does not say how many parts it has")?;
    Ok((seal, parts))
}

/// `changes` in parts of about `bytes` encoded bytes each (at least one).
fn split_changes(changes: &Changes, bytes: usize) -> Vec<Changes> {
    let mut parts = vec![Changes::default()];
    let mut size = 0;
    let mut room = |needed: usize, parts: &mut Vec<Changes>| {
        if size > 0 && size + needed > bytes {
            parts.push(Changes::default());
            size = 0;
        }
        size += needed;
    };
    for (key, value) in &changes.put {
        room(key.len() + value.len() + 9, &mut parts);
        parts.last_mut().expect("one part at least").put.push((key.clone(), value.clone()));
    }
    for key in &changes.delete {
        room(key.len() + 5, &mut parts);
        parts.last_mut().expect("one part at least").delete.push(key.clone());
    }
    parts
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
    fn a_pending_batch_is_read_back_and_split_in_parts() {
        let target = Seal { version: 9, contents: Digest::of([("master", b"m")]).summary() };
        assert_eq!(decode_pending(&encode_pending(&target, 3)), Ok((target, 3)));
        assert!(decode_pending(b"").is_err());
        assert!(decode_pending(&encode_pending(&target, 3)[..20]).is_err());

        let changes = Changes {
            put: (0..10).map(|i| (format!("agents/S{i}"), vec![i as u8; 100])).collect(),
            delete: (0..10).map(|i| format!("gone/S{i}")).collect(),
        };
        let parts = split_changes(&changes, 300);
        assert!(parts.len() > 3, "{}", parts.len());
        assert!(parts.iter().all(|part| part.encode().len() <= 300 || part.put.len() + part.delete.len() == 1));
        let mut joined = Changes::default();
        for part in parts {
            joined.put.extend(part.put);
            joined.delete.extend(part.delete);
        }
        assert_eq!(joined, changes);
        assert_eq!(split_changes(&Changes::default(), 300), vec![Changes::default()]);
    }

    #[test]
    fn the_registry_sits_beside_the_group() {
        assert_eq!(registry_path("/mesos"), "/mesos-registry");
        assert_eq!(registry_path("/a/b/"), "/a/b-registry");
        assert_eq!(registry_path("/"), "/mesos-registry");
    }
}
