//! The registry file damaged every way a disk or a stray write could damage
//! it: a store either loads exactly the registry last written or refuses;
//! it never loads less.

use std::path::Path;

use mesos_proto::v1::{AgentId, AgentInfo};
use mesos_registry::{Operation, Registry};
use mesos_registry_store::file::{FILE_NAME, FileStore};
use mesos_registry_store::{Recover, Store};

fn admit(registry: &mut Registry, id: usize) -> mesos_registry::Changes {
    let info = AgentInfo {
        hostname: format!("agent-{id}.example.com"),
        id: Some(AgentId { value: format!("a6b2c9d0-{id:04}-S0") }),
        ..Default::default()
    };
    let keys = registry.apply(&Operation::AdmitAgent(info)).expect("a new agent");
    registry.changes(keys)
}

/// A file written in `batches` batches; returns each version's file bytes
/// and the final registry.
fn written(dir: &Path, batches: usize) -> (Vec<Vec<u8>>, Registry) {
    let path = dir.join(FILE_NAME);
    let mut registry = Registry::new();
    let mut store = FileStore::new(&path, Recover::Refuse);
    store.load().expect("an empty store loads");
    let mut versions = Vec::new();
    for batch in 0..batches {
        let mut changes = mesos_registry::Changes::default();
        for id in 0..5 {
            let more = admit(&mut registry, batch * 5 + id);
            changes.put.extend(more.put);
        }
        store.write(&changes).expect("written");
        versions.push(std::fs::read(&path).expect("the file"));
    }
    drop(store);
    versions.push(std::fs::read(&path).expect("the file"));
    (versions, registry)
}

#[test]
fn a_damaged_file_is_refused_or_loads_exactly_the_last_registry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let (versions, registry) = written(dir.path(), 6);
    let marker = std::fs::read(dir.path().join("registry.marker")).unwrap();
    let last = versions.last().unwrap().clone();
    let mut patterns: Vec<(String, Vec<u8>)> = Vec::new();
    for start in (0..last.len()).step_by(4096) {
        let mut bytes = last.clone();
        for byte in bytes[start..(start + 4096).min(last.len())].iter_mut().step_by(13) {
            *byte ^= 0x5a;
        }
        patterns.push((format!("every 13th byte of {start}..+4k"), bytes));
    }
    for offset in (0..last.len()).step_by(397) {
        let mut bytes = last.clone();
        bytes[offset] ^= 1 << (offset % 8);
        patterns.push((format!("bit flip at {offset}"), bytes));
    }
    for length in [0, 100, 512, 4096, 8192, last.len() / 2, last.len() - 4096, last.len() - 1] {
        patterns.push((format!("truncated to {length}"), last[..length.min(last.len())].to_vec()));
    }
    for (version, bytes) in versions.iter().enumerate().take(versions.len() - 2) {
        patterns.push((format!("the file of version {}", version + 1), bytes.clone()));
    }
    let (mut refused, mut loaded) = (0, 0);
    for (name, bytes) in patterns {
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(dir.path().join("registry.marker"), &marker).unwrap();
        match FileStore::new(&path, Recover::Refuse).load() {
            Ok(found) => {
                assert_eq!(found, registry, "{name}: loaded a registry other than the last one");
                loaded += 1;
            }
            Err(error) => {
                assert!(error.is_damage(), "{name}: {error}");
                refused += 1;
            }
        }
    }
    eprintln!("{refused} refused, {loaded} loaded whole");
}
