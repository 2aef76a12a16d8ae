//! The master's registry on disk: a master restarted with the same work
//! directory remembers its agents, weights and lost agents, and a registry
//! file that cannot be read stops the master with a clear error instead of
//! starting an empty cluster.

use std::time::Duration;

use mesos_tests::cluster::Cluster;
use mesos_tests::raw_http::post;
use mesos_tests::wait::{DEADLINE, until};
use serde_json::Value;

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

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_cannot_be_read_stops_the_master_with_a_clear_error() {
    let mut cluster = Cluster::start(1).await;
    let file = cluster.master.work_dir.join("registry.db");
    cluster.master.kill();
    let length = std::fs::metadata(&file).expect("the registry file exists").len();
    let damages = [("truncated", Damage::Truncate), ("overwritten", Damage::Garbage)];
    for (attempt, (name, damage)) in damages.into_iter().enumerate() {
        let mut bytes = std::fs::read(&file).expect("read");
        match damage {
            Damage::Truncate => bytes.truncate(length as usize / 3),
            Damage::Garbage => bytes.iter_mut().take(4096).for_each(|b| *b = 0x5a),
        }
        let damaged = cluster.dir.path().join(format!("registry-{name}.db"));
        std::fs::write(&damaged, &bytes).expect("write");
        std::fs::copy(&damaged, &file).expect("copy");
        cluster.master.restart(&[]);
        let started = std::time::Instant::now();
        let code = loop {
            if let Some(code) = cluster.master.exit_code() {
                break code;
            }
            assert!(started.elapsed() < DEADLINE, "the master did not exit with a {name} registry");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_ne!(code, 0, "a {name} registry must not start an empty cluster");
        let log = cluster.master.log_tail(400);
        let refusals = log.matches("cannot open the registry at").count();
        assert_eq!(refusals, attempt + 1, "the error names the registry ({name}):\n{log}");
    }
}

enum Damage {
    Truncate,
    Garbage,
}
