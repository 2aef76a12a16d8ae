//! Masters elected in a real ZooKeeper: a standby redirects to the leader;
//! when the leader is killed another takes over with the registry, agents
//! re-register and a framework (through the scheduler library, following
//! ZooKeeper) re-subscribes and finds its task running; a leader cut off
//! from ZooKeeper stops before another leads; a Mesos-format reader (the
//! Python `kazoo` client) finds the leader.

use std::time::{Duration, Instant};

use mesos_client::scheduler::{Scheduler, SchedulerConfig, SchedulerEvent, SchedulerHandle};
use mesos_proto::v1::scheduler::Event;
use mesos_proto::v1::{CommandInfo, FrameworkInfo, Resource, TaskId, TaskInfo, TaskState, value};
use mesos_tests::cluster::Daemon;
use mesos_tests::ha::{HaCluster, ZK_PATH};
use mesos_tests::netns::NetNs;
use mesos_tests::raw_http::{get, post};
use mesos_tests::wait::{DEADLINE, until};
use mesos_tests::zookeeper::ZooKeeper;
use tokio::sync::mpsc::UnboundedReceiver;

const SESSION: &str = "--zk_session_timeout=4secs";

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

/// The next event from the master, skipping the library's notices.
async fn next_event(events: &mut UnboundedReceiver<SchedulerEvent>, wanted: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(SchedulerEvent::Event(event))) if wanted(&event) => return *event,
            Ok(Some(SchedulerEvent::Failed(reason))) => panic!("the scheduler gave up: {reason}"),
            Ok(Some(_)) => {}
            Ok(None) => panic!("the scheduler stopped"),
            Err(_) => panic!("no matching event within {DEADLINE:?}"),
        }
    }
}

/// Waits for `task` to reach `state`, acknowledging updates.
async fn task_state(
    scheduler: &SchedulerHandle,
    events: &mut UnboundedReceiver<SchedulerEvent>,
    task: &str,
    state: TaskState,
) {
    loop {
        let event = next_event(events, |e| e.update.is_some()).await;
        let status = event.update.expect("checked").status;
        let _ = scheduler.acknowledge(&status).await;
        if status.task_id.value == task && status.state == state as i32 {
            return;
        }
    }
}

/// Waits until `standby` redirects to `leader`: a standby learns of a new
/// leader from ZooKeeper a moment after the leader itself does.
async fn redirects_to(cluster: &HaCluster, standby: usize, leader: usize) {
    let expected = format!("//{}/master/state?jsonp=x", cluster.master_address(leader));
    let start = Instant::now();
    loop {
        let answer = get(&cluster.master_address(standby), "/master/state?jsonp=x").await;
        if answer.status == 307 && answer.location.as_deref() == Some(expected.as_str()) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "master {standby} does not redirect to {expected}: {} {:?} {}\n{}",
            answer.status,
            answer.location,
            answer.body,
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_leader_takes_over_and_the_framework_finds_its_task_needs_zookeeper() {
    mesos_tests::require!(ZooKeeper; "masters elect their leader in ZooKeeper");
    let mut cluster = HaCluster::start(3, 2, &[SESSION]).await;
    let leader = cluster.leader().await;
    let standbys: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    for standby in &standbys {
        redirects_to(&cluster, *standby, leader).await;
        let metrics = cluster.get_json(*standby, "/metrics/snapshot").await.expect("served by the standby");
        assert_eq!(metrics["master/elected"], 0.0);
        let health = get(&cluster.master_address(*standby), "/health").await;
        assert_eq!(health.status, 200, "standbys answer /health themselves");
    }
    // Weights go to the registry in ZooKeeper.
    let weights = r#"{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"eng","weight":3.0}]}}"#;
    let headers = [("Content-Type", "application/json")];
    assert_eq!(post(&cluster.master_address(leader), "/api/v1", &headers, weights.as_bytes()).await.status, 200);

    // A framework follows the leader through ZooKeeper and runs a task.
    let info = FrameworkInfo {
        user: "root".into(),
        name: "survivor".into(),
        failover_timeout: Some(3600.0),
        checkpoint: Some(true),
        ..Default::default()
    };
    let (scheduler, mut events) = Scheduler::start(SchedulerConfig::new(cluster.zk_url(), info)).expect("valid master");
    let offers = next_event(&mut events, |e| e.offers.as_ref().is_some_and(|o| !o.offers.is_empty())).await;
    let offer = offers.offers.expect("checked").offers.remove(0);
    let task = TaskInfo {
        name: "long".into(),
        task_id: TaskId { value: "long".into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 32.0)],
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        ..Default::default()
    };
    scheduler.launch(&offer, vec![task]).await.expect("launched");
    task_state(&scheduler, &mut events, "long", TaskState::TaskRunning).await;
    let framework_id = scheduler.framework_id().expect("subscribed");

    // The leader dies; another is elected from the two left.
    let killed = Instant::now();
    cluster.masters[leader].kill();
    let new_leader = until("a new leader", DEADLINE, || async {
        let candidate = cluster.leader().await;
        (candidate != leader).then_some(candidate)
    })
    .await;
    cluster.wait_for_agents(2).await;
    eprintln!("failover: from kill -9 to every agent re-registered in {:?}", killed.elapsed());
    let standby = standbys.iter().copied().find(|i| *i != new_leader).expect("one standby left");
    redirects_to(&cluster, standby, new_leader).await;

    // The framework re-subscribed to the new leader with its id; its task
    // is still running there.
    next_event(&mut events, |e| e.subscribed.as_ref().is_some_and(|s| s.framework_id == framework_id)).await;
    scheduler.reconcile(vec![(TaskId { value: "long".into() }, None)]).await.expect("reconcile");
    task_state(&scheduler, &mut events, "long", TaskState::TaskRunning).await;

    let registry = cluster.get_json(new_leader, "/registrar(1)/registry").await.expect("registry");
    assert_eq!(registry["weights"][0]["weight"], 3.0, "the registry survived the failover: {registry}");
    assert_eq!(registry["agents"].as_array().map(Vec::len), Some(2), "{registry}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_cut_off_from_zookeeper_stops_before_another_leads_needs_root_and_zookeeper() {
    mesos_tests::require!(Root, ZooKeeper; "the leader is cut off from ZooKeeper by a network namespace");
    let zookeeper = ZooKeeper::start_on("0.0.0.0").await;
    let netns = NetNs::create();
    let dir = tempfile::tempdir().expect("temporary directory");
    let url_from = |host: &str| format!("--zk=zk://{host}:{}{ZK_PATH}", zookeeper.port);
    let start = |netns: Option<&str>, ip: &str, zk: String, index: usize| {
        let work_dir = dir.path().join(format!("master-{index}"));
        let args = vec![
            format!("--ip={ip}"),
            format!("--hostname={ip}"),
            format!("--work_dir={}", work_dir.display()),
            zk,
            SESSION.to_owned(),
        ];
        let (ip, name) = (ip.to_owned(), format!("master-{index}"));
        let netns = netns.map(str::to_owned);
        let logs = dir.path().to_owned();
        async move {
            let master = Daemon::spawn_in(netns.as_deref(), "mesos-master", &name, work_dir, args, &logs).await;
            (format!("{ip}:{}", master.port), master)
        }
    };
    // The first master, behind the link that will be cut, leads.
    let (cut_address, mut cut) = start(Some(&netns.name), &netns.inner_ip, url_from(&netns.host_ip), 0).await;
    until("the first master to lead", DEADLINE, || async { (elected(&cut_address).await == Some(true)).then_some(()) })
        .await;
    let (other_address, _other) = start(None, "127.0.0.1", url_from("127.0.0.1"), 1).await;
    until("the second master to stand by", DEADLINE, || async {
        (elected(&other_address).await == Some(false)).then_some(())
    })
    .await;

    // Two masters must never lead at once: the cut-off leader must have
    // exited before the other one leads. Each round first looks whether
    // the old leader has exited, then asks the other master whether it
    // leads. A "no" to a question asked after the exit was seen proves the
    // exit came first; the test fails unless such a "no" comes before the
    // first "yes". (An exit is only seen when looked for, so the test would
    // also fail if the two happened within one round, some 20 ms; by
    // design they are seconds apart.)
    netns.cut();
    let cut_at = Instant::now();
    let mut exit_seen: Option<Duration> = None;
    let mut standby_after_exit: Option<Duration> = None;
    let took_over = loop {
        if exit_seen.is_none() && cut.exit_code().is_some() {
            exit_seen = Some(cut_at.elapsed());
        }
        let asked = cut_at.elapsed();
        match elected(&other_address).await {
            Some(true) => break asked,
            Some(false) if exit_seen.is_some() && standby_after_exit.is_none() => standby_after_exit = Some(asked),
            _ => {}
        }
        assert!(cut_at.elapsed() < DEADLINE, "no master took over:\n{}", cut.log_tail(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited = exit_seen.unwrap_or_else(|| {
        panic!(
            "another master leads ({took_over:?} after the cut) while the cut-off leader still runs \
             (running now: {}):\n{}",
            cut.running(),
            cut.log_tail(20)
        )
    });
    let standby = standby_after_exit.unwrap_or_else(|| {
        panic!(
            "the old leader's exit was seen {exited:?} after the cut, but the other master already led when \
             next asked ({took_over:?}): no proof that it was elected only after the exit"
        )
    });
    eprintln!(
        "cut at 0: old leader gone by {exited:?}, other master still standing by at {standby:?}, leading at {took_over:?}"
    );
    assert!(cut.log_tail(40).contains("lost leadership"), "{}", cut.log_tail(40));
    netns.heal();
}

/// Whether the master at `address` says it leads (`None`: no answer).
async fn elected(address: &str) -> Option<bool> {
    let http = mesos_http::client::Client::new().with_timeout(Duration::from_secs(2));
    let (_, body) = http.get(&format!("http://{address}/metrics/snapshot")).await.ok()?;
    let metrics: serde_json::Value = serde_json::from_slice(&body).ok()?;
    Some(metrics["master/elected"] == 1.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn kazoo_and_the_mesos_command_find_the_leader_in_zookeeper_needs_zookeeper() {
    mesos_tests::require!(ZooKeeper; "the leader is read from ZooKeeper");
    // One agent, so that the leader has written its registry.
    let cluster = HaCluster::start(2, 1, &[SESSION]).await;
    let leader = cluster.leader().await;
    let python = kazoo_python().await;
    let script = r#"
import json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=20)
children = zk.get_children(sys.argv[2])
members = sorted(c for c in children if c.startswith("json.info_"))
data, _ = zk.get(sys.argv[2] + "/" + members[0])
info = json.loads(data)
print("%s:%d %s" % (info["address"]["ip"], info["address"]["port"], info["pid"]))
print("others: %s" % sorted(set(children) - set(members)))
zk.stop()
"#;
    let output = tokio::process::Command::new(&python)
        .args(["-c", script, &cluster.zookeeper.servers(), ZK_PATH])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let address = cluster.master_address(leader);
    assert_eq!(stdout.trim(), format!("{address} master@{address}\nothers: []"), "only members among the children");

    // The `mesos` command finds the leader the same way.
    let zk = format!("--master={}", cluster.zk_url());
    let mut command = std::process::Command::new(mesos_tests::binary("mesos"));
    command.args([zk.as_str(), "--json", "agent", "list"]).env_remove("MESOS_MASTER");
    let output = tokio::task::spawn_blocking(move || command.output().expect("mesos runs")).await.expect("joined");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let agents: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(agents["agents"].as_array().map(Vec::len), Some(1), "{agents}");
}

/// A virtualenv with the kazoo ZooKeeper client (created once).
async fn kazoo_python() -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = workspace.join("target").join("kazoo-venv");
    let python = venv.join("bin/python");
    let ready =
        tokio::process::Command::new(&python).args(["-c", "import kazoo"]).status().await.is_ok_and(|s| s.success());
    if !ready {
        let made =
            tokio::process::Command::new("python3").args(["-m", "venv"]).arg(&venv).status().await.expect("python3");
        assert!(made.success(), "python3 -m venv");
        let pip = venv.join("bin/pip");
        let installed = tokio::process::Command::new(pip)
            .args(["install", "--quiet", "kazoo==2.10.0"])
            .status()
            .await
            .expect("pip");
        assert!(installed.success(), "pip install kazoo");
    }
    python
}
