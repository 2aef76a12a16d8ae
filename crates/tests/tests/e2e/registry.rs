//! The master's registry on disk: a master restarted with the same work
//! directory remembers its agents, weights and lost agents; a registry file
//! that is damaged, or older than the last one the master stored, stops the
//! master with an error that says how to recover (never an empty or
//! shorter cluster); and operators back it up and restore it with
//! `mesos registry export` and `import`.

use std::path::Path;
use std::time::{Duration, Instant};

use mesos_tests::cluster::{Cluster, Daemon};
use mesos_tests::raw_http::post;
use mesos_tests::wait::{DEADLINE, until};
use serde_json::Value;

use crate::cli::mesos;

async fn operator_call(cluster: &Cluster, body: &str) -> u16 {
    let headers = [("Content-Type", "application/json"), ("Accept", "application/json")];
    post(&cluster.master_address(), "/api/v1", &headers, body.as_bytes()).await.status
}

async fn registry(cluster: &Cluster) -> Value {
    cluster.get_json("/registrar(1)/registry").await
}

fn agent_ids(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.pointer(field).and_then(Value::as_str).map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_master_keeps_its_registry_and_waits_for_its_agents() {
    let mut cluster = Cluster::start_with(&["--agent_reregister_timeout=3secs"], 2, &[]).await;
    let state = cluster.state().await;
    let mut ids = agent_ids(&state["slaves"], "/id");
    ids.sort();
    let weights = r#"{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2.5}]}}"#;
    assert_eq!(operator_call(&cluster, weights).await, 200);
    let stored = registry(&cluster).await;
    assert_eq!(stored["weights"][0]["role"], "eng", "{stored}");
    let mut admitted = agent_ids(&stored["agents"], "/info/id/value");
    admitted.sort();
    assert_eq!(admitted, ids);

    // One agent goes away for good; the master is killed and restarted.
    let lost = cluster.agents[1].work_dir.clone();
    cluster.agents[1].kill();
    cluster.master.restart(&[]);

    // The surviving agent re-registers under its id; the other is marked
    // unreachable once the re-registration timeout passes.
    let stored = until("the lost agent marked unreachable", DEADLINE, || async {
        let stored = registry(&cluster).await;
        (stored["unreachable"].as_array().is_some_and(|u| u.len() == 1)).then_some(stored)
    })
    .await;
    assert_eq!(stored["weights"][0]["weight"], 2.5, "weights survive the restart: {stored}");
    let back = until("the surviving agent back", DEADLINE, || async {
        let state = cluster.state().await;
        let active = agent_ids(&state["slaves"], "/id");
        (active.len() == 1).then_some(active)
    })
    .await;
    let unreachable = agent_ids(&stored["unreachable"], "/id/value");
    assert!(ids.contains(&back[0]) && ids.contains(&unreachable[0]) && back[0] != unreachable[0], "{stored}");
    let metrics = cluster.get_json("/metrics/snapshot").await;
    assert_eq!(metrics["master/slaves_unreachable"], 1.0, "{}", lost.display());
}

/// How a master started over a registry ended.
#[derive(Debug)]
pub enum Outcome {
    /// It exited (with this code) before serving, logging this.
    Refused(i32, String),
    /// It served this registry.
    Served(Value),
}

/// Starts `master` again (with `extra` flags) and waits until it exits or
/// serves its registry; a master that serves is killed again.
pub async fn start_over(master: &mut Daemon, address: &str, extra: &[&str]) -> Outcome {
    let logged = std::fs::read(&master.log).map(|log| log.len()).unwrap_or(0);
    master.restart(extra);
    let started = Instant::now();
    let http = mesos_http::client::Client::new().with_timeout(Duration::from_secs(5));
    let url = format!("http://{address}/registrar(1)/registry");
    loop {
        if let Some(code) = master.exit_code() {
            let log = std::fs::read(&master.log).unwrap_or_default();
            return Outcome::Refused(code, String::from_utf8_lossy(&log[logged.min(log.len())..]).into_owned());
        }
        // Served once this master's own record is stored too, so that
        // every start leaves the same number of batches behind it.
        if let Ok((_, body)) = http.get(&url).await
            && let Ok(registry) = serde_json::from_slice::<Value>(&body)
            && let Ok((_, state)) = http.get(&format!("http://{address}/master/state")).await
            && let Ok(state) = serde_json::from_slice::<Value>(&state)
            && registry["master"]["id"] == state["id"]
        {
            master.kill();
            return Outcome::Served(registry);
        }
        assert!(started.elapsed() < DEADLINE, "the master neither served nor exited:\n{}", master.log_tail(40));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The registry without the leader's own record, which each start writes.
pub fn stored(mut registry: Value) -> Value {
    if let Some(fields) = registry.as_object_mut() {
        fields.remove("master");
    }
    registry
}

/// Bytes of the registry file and its marker.
fn snapshot(work_dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let read = |name: &str| std::fs::read(work_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    (read("registry.db"), read("registry.marker"))
}

fn put_back(work_dir: &Path, file: &[u8], marker: Option<&[u8]>) {
    std::fs::write(work_dir.join("registry.db"), file).expect("write the registry file");
    match marker {
        Some(marker) => std::fs::write(work_dir.join("registry.marker"), marker).expect("write the marker"),
        None => std::fs::remove_file(work_dir.join("registry.marker")).expect("remove the marker"),
    }
}

/// One byte in every 13 of `range` flipped, as a failing disk or a stray
/// write would.
fn every_13th(bytes: &[u8], range: std::ops::Range<usize>) -> Vec<u8> {
    let mut damaged = bytes.to_vec();
    let range = range.start.min(bytes.len())..range.end.min(bytes.len());
    for byte in damaged[range].iter_mut().step_by(13) {
        *byte ^= 0xa5;
    }
    damaged
}

/// The registry a master acknowledged (an admitted agent and a weight),
/// with the master and agent then killed; returns the registry and the
/// file of an older commit (before the weight).
async fn acknowledged_registry(cluster: &mut Cluster) -> (Value, (Vec<u8>, Vec<u8>)) {
    let older = snapshot(&cluster.master.work_dir);
    let weights = r#"{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2.5}]}}"#;
    assert_eq!(operator_call(cluster, weights).await, 200);
    let acknowledged = stored(registry(cluster).await);
    assert_eq!(acknowledged["agents"].as_array().map(Vec::len), Some(1), "{acknowledged}");
    cluster.agents[0].kill();
    cluster.master.kill();
    (acknowledged, older)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_registry_file_is_refused_or_recovered_whole_never_shorter() {
    let mut cluster = Cluster::start(1).await;
    let address = cluster.master_address();
    let work_dir = cluster.master.work_dir.clone();
    let (acknowledged, (older_file, older_marker)) = acknowledged_registry(&mut cluster).await;

    // Restarted alone over its file, the master recovers what it stored.
    match start_over(&mut cluster.master, &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), acknowledged),
        outcome => panic!("an intact registry was not recovered: {outcome:?}\n{}", cluster.master.log_tail(20)),
    }
    let (file, marker) = snapshot(&work_dir);

    // Damage of every kind, each on a copy of the intact file.
    // (name, file, marker, whether the master must refuse it)
    type Pattern<'a> = (String, Vec<u8>, Option<&'a [u8]>, bool);
    let mut patterns: Vec<Pattern> = Vec::new();
    let length = file.len();
    for (start, end) in [(0, 4096), (4096, 65536), (65536, 262_144), (262_144, length)] {
        patterns.push((format!("bytes {start}..{end}"), every_13th(&file, start..end), Some(&marker), false));
    }
    // Each page the file uses (redb preallocates; most of it is zeros).
    let used: Vec<usize> =
        (0..length / 4096).filter(|page| file[page * 4096..][..4096].iter().any(|b| *b != 0)).collect();
    for page in &used {
        let range = page * 4096..(page + 1) * 4096;
        patterns.push((format!("page {page}"), every_13th(&file, range), Some(&marker), false));
    }
    // Single bit flips, spread over the bytes in use.
    let nonzero: Vec<usize> = (0..length).filter(|i| file[*i] != 0).collect();
    for index in nonzero.iter().step_by((nonzero.len() / 24).max(1)) {
        let mut flipped = file.clone();
        flipped[*index] ^= 1 << (index % 8);
        patterns.push((format!("bit flip at {index}"), flipped, Some(&marker), false));
    }
    for cut in [0, 4096, length / 2, length - 1] {
        patterns.push((format!("truncated to {cut}"), file[..cut].to_vec(), Some(&marker), cut == 0));
    }
    patterns.push(("the file of an older commit".into(), older_file.clone(), Some(&marker), true));
    patterns.push(("an older marker".into(), file.clone(), Some(&older_marker), true));
    patterns.push(("no marker".into(), file.clone(), None, true));
    let mut marker_flipped = marker.clone();
    marker_flipped[30] ^= 0x08;
    patterns.push(("a damaged marker".into(), file.clone(), Some(&marker_flipped), true));

    let (mut refused, mut recovered) = (0, 0);
    let started = Instant::now();
    for (name, damaged, damaged_marker, must_refuse) in &patterns {
        put_back(&work_dir, damaged, *damaged_marker);
        match start_over(&mut cluster.master, &address, &[]).await {
            Outcome::Served(registry) => {
                assert!(!must_refuse, "{name}: the master started over {registry}");
                assert_eq!(stored(registry), acknowledged, "{name}: the master started with another registry");
                recovered += 1;
            }
            Outcome::Refused(code, log) => {
                assert_ne!(code, 0, "{name}");
                assert!(
                    log.contains("registry.db") && log.contains("--registry_recover=discard"),
                    "{name}: the error says what was found and how to recover:\n{log}"
                );
                refused += 1;
            }
        }
    }
    eprintln!(
        "{} damage patterns ({} pages in use): {refused} refused, {recovered} recovered whole, in {:?}",
        patterns.len(),
        used.len(),
        started.elapsed()
    );
    assert!(refused >= 8, "damage in the pages in use is noticed");

    // The intact file still starts the master.
    put_back(&work_dir, &file, Some(&marker));
    match start_over(&mut cluster.master, &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), acknowledged),
        outcome => panic!("{outcome:?}\n{}", cluster.master.log_tail(20)),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_restores_a_backup_or_starts_over_deliberately() {
    let mut cluster = Cluster::start(1).await;
    let address = cluster.master_address();
    let work_dir = cluster.master.work_dir.clone();
    let directory = work_dir.display().to_string();
    let weights = r#"{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":2.5}]}}"#;
    let (older_file, _) = snapshot(&work_dir);
    assert_eq!(operator_call(&cluster, weights).await, 200);

    // A backup from the running master.
    let export = mesos(&address, &["registry", "export"]).await;
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let backup: Value = serde_json::from_slice(&export.stdout).expect("the backup is JSON");
    let acknowledged = stored(registry(&cluster).await);
    assert_eq!(stored(backup.clone()), acknowledged);
    let backup_file = cluster.dir.path().join("backup.json");
    std::fs::write(&backup_file, &export.stdout).expect("write the backup");
    // A running master's file is not replaced.
    let refused =
        mesos(&address, &["registry", "import", "--work-dir", &directory, &backup_file.display().to_string()]).await;
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("in use"));
    cluster.agents[0].kill();
    cluster.master.kill();

    // The file goes back to an older commit: the master refuses it, and so
    // does an export of the file, unless forced.
    let (_, marker) = snapshot(&work_dir);
    put_back(&work_dir, &older_file, Some(&marker));
    match start_over(&mut cluster.master, &address, &[]).await {
        Outcome::Refused(_, log) => assert!(log.contains("older than version"), "{log}"),
        outcome => panic!("an older file was not refused: {outcome:?}"),
    }
    let export = mesos(&address, &["registry", "export", "--work-dir", &directory]).await;
    assert!(!export.status.success(), "an export of a file the master refuses fails without --force");
    let forced = mesos(&address, &["registry", "export", "--work-dir", &directory, "--force"]).await;
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    let old: Value = serde_json::from_slice(&forced.stdout).expect("JSON");
    assert!(old["weights"].as_array().is_none_or(Vec::is_empty), "the older commit has no weight: {old}");

    // Restoring the backup brings the registry back.
    let import =
        mesos(&address, &["registry", "import", "--work-dir", &directory, &backup_file.display().to_string()]).await;
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    match start_over(&mut cluster.master, &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), acknowledged),
        outcome => panic!("{outcome:?}\n{}", cluster.master.log_tail(20)),
    }

    // Or, deliberately, over a damaged file: an empty registry, said loudly.
    let (file, marker) = snapshot(&work_dir);
    put_back(&work_dir, &file[..file.len() / 2], Some(&marker));
    match start_over(&mut cluster.master, &address, &["--registry_recover=discard"]).await {
        Outcome::Served(registry) => {
            assert!(registry["agents"].as_array().is_none_or(Vec::is_empty), "{registry}");
            assert!(registry["weights"].as_array().is_none_or(Vec::is_empty), "{registry}");
        }
        outcome => panic!("{outcome:?}\n{}", cluster.master.log_tail(20)),
    }
    assert!(std::fs::read_to_string(&cluster.master.log).unwrap_or_default().contains("DISCARDING THE REGISTRY"));
    let kept = std::fs::read_dir(&work_dir)
        .expect("work dir")
        .flatten()
        .any(|entry| entry.file_name().to_str().is_some_and(|name| name.starts_with("registry.db.discarded-")));
    assert!(kept, "the damaged file is kept aside");
}
