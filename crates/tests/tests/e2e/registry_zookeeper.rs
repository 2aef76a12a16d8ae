//! The registry in ZooKeeper, damaged by writing to ZooKeeper directly: a
//! master refuses to lead over a node changed, lost or added outside its
//! batches (and says how to recover), finishes a batch its predecessor left
//! half-written, and starts empty only when told to discard.

use std::time::Duration;

use mesos_proto::Message;
use mesos_proto::internal::RegistryAgent;
use mesos_proto::v1::WeightInfo;
use mesos_registry::{Changes, Seal};
use mesos_tests::ha::{HaCluster, ZK_PATH};
use mesos_tests::raw_http::post;
use serde_json::Value;
use zookeeper_client as zk;

use crate::registry::{Outcome, start_over, stored};

const BASE: &str = "/mesos-registry";

async fn connect(cluster: &HaCluster) -> zk::Client {
    let url = mesos_zk::ZkUrl { servers: cluster.zookeeper.servers(), path: "/".into(), credentials: None };
    mesos_zk::connect(&url, Duration::from_secs(10)).await.expect("a ZooKeeper session")
}

async fn data(client: &zk::Client, path: &str) -> Vec<u8> {
    client.get_data(path).await.unwrap_or_else(|e| panic!("{path}: {e}")).0
}

async fn set(client: &zk::Client, path: &str, bytes: &[u8]) {
    match client.set_data(path, bytes, None).await {
        Ok(_) => {}
        Err(zk::Error::NoNode) => {
            let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
            client.create(path, bytes, &options).await.unwrap_or_else(|e| panic!("create {path}: {e}"));
        }
        Err(error) => panic!("set {path}: {error}"),
    }
}

async fn delete(client: &zk::Client, path: &str) {
    match client.delete(path, None).await {
        Ok(()) | Err(zk::Error::NoNode) => {}
        Err(error) => panic!("delete {path}: {error}"),
    }
}

/// Removes the election members a killed master left (as their sessions
/// expiring would), so that the next master leads at once.
async fn forget_members(client: &zk::Client) {
    for member in client.list_children(ZK_PATH).await.unwrap_or_default() {
        delete(client, &format!("{ZK_PATH}/{member}")).await;
    }
}

async fn update_weights(cluster: &HaCluster, weights: &[(String, f64)]) {
    let infos: Vec<Value> =
        weights.iter().map(|(role, weight)| serde_json::json!({"role": role, "weight": weight})).collect();
    let body = serde_json::json!({"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": infos}}).to_string();
    let headers = [("Content-Type", "application/json")];
    let leader = cluster.leader().await;
    assert_eq!(post(&cluster.master_address(leader), "/api/v1", &headers, body.as_bytes()).await.status, 200);
}

async fn registry(cluster: &HaCluster) -> Value {
    let leader = cluster.leader().await;
    stored(cluster.get_json(leader, "/registrar(1)/registry").await.expect("the registry"))
}

/// The node of the one agent in the registry.
async fn agent_node(client: &zk::Client) -> String {
    for bucket in client.list_children(&format!("{BASE}/agents")).await.expect("agents") {
        let parent = format!("{BASE}/agents/{bucket}");
        if let Some(id) = client.list_children(&parent).await.expect("bucket").into_iter().next() {
            return format!("{parent}/{id}");
        }
    }
    panic!("no agent in the registry");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_registry_in_zookeeper_is_refused_and_a_half_written_batch_finished_needs_zookeeper() {
    mesos_tests::require!(ZooKeeper; "the registry is kept in ZooKeeper");
    let mut cluster = HaCluster::start(1, 1, &[]).await;
    let client = connect(&cluster).await;
    let sealed_before_weights = data(&client, &format!("{BASE}/seal")).await;
    update_weights(&cluster, &[("eng".into(), 2.5)]).await;
    let acknowledged = registry(&cluster).await;
    assert_eq!(acknowledged["agents"].as_array().map(Vec::len), Some(1), "{acknowledged}");
    cluster.agents[0].kill();
    cluster.masters[0].kill();
    let address = cluster.master_address(0);

    let agent = agent_node(&client).await;
    let agent_bytes = data(&client, &agent).await;
    let weight = format!("{BASE}/weights/eng");
    let weight_bytes = data(&client, &weight).await;
    let seal = format!("{BASE}/seal");
    let seal_bytes = data(&client, &seal).await;
    let mut other_agent = RegistryAgent::decode(agent_bytes.as_slice()).expect("an agent record");
    other_agent.info.hostname = "elsewhere".into();
    let older_weight = WeightInfo { weight: 1.5, role: Some("eng".into()) }.encode_to_vec();
    let stray = format!("{BASE}/weights/extra");
    let stray_weight = WeightInfo { weight: 2.0, role: Some("extra".into()) }.encode_to_vec();

    // (what is done, the node, its damaged data or None to delete it)
    let damages: Vec<(&str, &str, Option<Vec<u8>>)> = vec![
        ("an agent's record overwritten", &agent, Some(b"\x00\x01garbage".to_vec())),
        ("an agent's record changed", &agent, Some(other_agent.encode_to_vec())),
        ("an agent's record lost", &agent, None),
        ("a weight set back", &weight, Some(older_weight)),
        ("a stray record", &stray, Some(stray_weight)),
        ("the seal set back", &seal, Some(sealed_before_weights)),
        ("the seal overwritten", &seal, Some(b"mesos-registry-seal 1 version=".to_vec())),
    ];
    let originals =
        [(&agent, Some(agent_bytes)), (&weight, Some(weight_bytes)), (&seal, Some(seal_bytes)), (&stray, None)];
    for (name, node, damaged) in damages {
        match damaged {
            Some(bytes) => set(&client, node, &bytes).await,
            None => delete(&client, node).await,
        }
        forget_members(&client).await;
        match start_over(&mut cluster.masters[0], &address, &[]).await {
            Outcome::Refused(code, log) => {
                assert_ne!(code, 0, "{name}");
                assert!(
                    log.contains(&format!("zookeeper {BASE}")) && log.contains("--registry_recover=discard"),
                    "{name}: the error says what was found and how to recover:\n{log}"
                );
            }
            Outcome::Served(registry) => panic!("{name}: the master led over {registry}"),
        }
        for (path, bytes) in &originals {
            match bytes {
                Some(bytes) => set(&client, path, bytes).await,
                None => delete(&client, path).await,
            }
        }
    }
    forget_members(&client).await;
    match start_over(&mut cluster.masters[0], &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), acknowledged),
        outcome => panic!("the intact registry was refused: {outcome:?}"),
    }

    // A batch too large for one transaction, and a leader stopping half-way
    // through it: the pending batch is complete, the first transaction of
    // records (100) is written, the seal is not. The next leader finishes it.
    forget_members(&client).await;
    cluster.masters[0].restart(&[]);
    settled(&cluster).await;
    let roles: Vec<(String, f64)> = (0..150).map(|i| (format!("role{i:03}"), 2.0)).collect();
    let before_batch = registry(&cluster).await;
    let before = data(&client, &seal).await;
    update_weights(&cluster, &roles).await;
    let acknowledged = registry(&cluster).await;
    assert_eq!(acknowledged["weights"].as_array().map(Vec::len), Some(151), "{acknowledged}");
    cluster.masters[0].kill();
    let after = Seal::decode(&data(&client, &seal).await).expect("a seal");
    let master_record = data(&client, &format!("{BASE}/master")).await;
    assert!(client.list_children(&format!("{BASE}/pending")).await.is_err(), "nothing is left pending");
    let changes = Changes {
        put: roles
            .iter()
            .map(|(role, weight)| {
                (format!("weights/{role}"), WeightInfo { weight: *weight, role: Some(role.clone()) }.encode_to_vec())
            })
            .collect(),
        delete: Vec::new(),
    };
    // The registry as the batch left it after `written` records, the seal
    // not yet updated, and the batch kept aside with `header`.
    let half_written = |client: zk::Client, header: Vec<u8>, written: usize| {
        let (before, changes, roles, master) = (before.clone(), changes.clone(), roles.clone(), master_record.clone());
        async move {
            set(&client, &seal_path(), &before).await;
            set(&client, &format!("{BASE}/master"), &master).await;
            for (role, _) in roles.iter().skip(written) {
                delete(&client, &format!("{BASE}/weights/{role}")).await;
            }
            set(&client, &format!("{BASE}/pending"), &header).await;
            set(&client, &format!("{BASE}/pending/000000"), &changes.encode()).await;
        }
    };
    half_written(client.clone(), format!("{}parts=1\n", after.encode()).into_bytes(), 100).await;
    forget_members(&client).await;
    match start_over(&mut cluster.masters[0], &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), acknowledged),
        outcome => panic!("a half-written batch was not finished: {outcome:?}"),
    }
    assert!(client.list_children(&format!("{BASE}/pending")).await.is_err(), "the finished batch is removed");
    let log = std::fs::read_to_string(&cluster.masters[0].log).unwrap_or_default();
    assert!(log.contains("finishing the batch a previous leader left half-written"), "{log}");

    // A leader that stopped while keeping the batch aside had written none
    // of its records: the batch is dropped.
    half_written(client.clone(), Vec::new(), 0).await;
    forget_members(&client).await;
    match start_over(&mut cluster.masters[0], &address, &[]).await {
        Outcome::Served(registry) => assert_eq!(stored(registry), before_batch),
        outcome => panic!("an unfinished pending batch was not dropped: {outcome:?}"),
    }
    assert!(client.list_children(&format!("{BASE}/pending")).await.is_err(), "the dropped batch is removed");

    // Damage to the pending batch itself is noticed, not finished blindly.
    half_written(client.clone(), format!("{}parts=1\n", after.encode()).into_bytes(), 100).await;
    let mut wrong = changes.clone();
    wrong.put[120].1 = WeightInfo { weight: 9.0, role: Some("role120".into()) }.encode_to_vec();
    set(&client, &format!("{BASE}/pending/000000"), &wrong.encode()).await;
    forget_members(&client).await;
    match start_over(&mut cluster.masters[0], &address, &[]).await {
        Outcome::Refused(_, log) => assert!(log.contains("with the pending batch"), "{log}"),
        outcome => panic!("a damaged pending batch was finished: {outcome:?}"),
    }
    let unwritten = client.get_data(&format!("{BASE}/weights/role120")).await;
    assert_eq!(unwritten.err(), Some(zk::Error::NoNode), "nothing of a damaged batch is written");

    // Or, deliberately, an empty registry.
    forget_members(&client).await;
    match start_over(&mut cluster.masters[0], &address, &["--registry_recover=discard"]).await {
        Outcome::Served(registry) => {
            assert!(registry["agents"].as_array().is_none_or(Vec::is_empty), "{registry}");
            assert!(registry["weights"].as_array().is_none_or(Vec::is_empty), "{registry}");
        }
        outcome => panic!("{outcome:?}"),
    }
    let log = std::fs::read_to_string(&cluster.masters[0].log).unwrap_or_default();
    assert!(log.contains("DISCARDING THE REGISTRY in ZooKeeper"), "the discard is logged loudly");
}

/// Waits until the leader has stored itself in the registry (its first
/// write after it is elected).
async fn settled(cluster: &HaCluster) {
    mesos_tests::wait::until("the leader to record itself", mesos_tests::wait::DEADLINE, || async {
        let leader = cluster.leader().await;
        let state = cluster.get_json(leader, "/master/state").await?;
        let registry = cluster.get_json(leader, "/registrar(1)/registry").await?;
        (registry["master"]["id"] == state["id"]).then_some(())
    })
    .await;
}

fn seal_path() -> String {
    format!("{BASE}/seal")
}
