//! The Docker containerizer on a real Docker Engine (these tests need a
//! running `dockerd` they can reach, and skip without one).

use mesos_proto::v1::container_info::{DockerInfo, docker_info};
use mesos_proto::v1::{ContainerInfo, Offer, Resource, TaskInfo, TaskState, container_info, value};
use mesos_tests::cluster::Cluster;
use mesos_tests::images::{docker_busybox, docker_exists, docker_running};
use mesos_tests::wait::{DEADLINE, until};

use super::{command_task, launch};
use crate::scheduler::{TestScheduler, framework};

fn docker_task(id: &str, offer: &Offer, command: &str, network: docker_info::Network, port: Option<u32>) -> TaskInfo {
    let mut task = command_task(id, offer, command, 0.2, 64.0);
    let mut mappings = Vec::new();
    if let Some(port) = port {
        task.resources.push(Resource {
            name: "ports".into(),
            r#type: value::Type::Ranges as i32,
            ranges: Some(value::Ranges { range: vec![value::Range { begin: port.into(), end: port.into() }] }),
            ..Default::default()
        });
        mappings.push(docker_info::PortMapping { host_port: port, container_port: 8080, protocol: None });
    }
    task.container = Some(ContainerInfo {
        r#type: container_info::Type::Docker as i32,
        docker: Some(DockerInfo {
            image: docker_busybox().into(),
            network: Some(network as i32),
            port_mappings: mappings,
            ..Default::default()
        }),
        ..Default::default()
    });
    task
}

/// A port of the offer's range.
fn offered_port(offer: &Offer) -> u32 {
    let ports = offer.resources.iter().find(|r| r.name == "ports").expect("ports offered");
    let range = &ports.ranges.as_ref().expect("ranges").range[0];
    range.begin as u32 + (std::process::id() % 100)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docker_task_on_a_bridge_serves_http_on_its_host_port_needs_docker() {
    mesos_tests::require!(Docker; "the task runs in a Docker container");
    let cluster = Cluster::start_with(&[], 1, &["--containerizers=docker,mesos"]).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("web")).await;
    let offer = scheduler.offer().await;
    let port = offered_port(&offer);
    let command = "echo hello-from-docker > /tmp/index.html; echo serving; exec httpd -f -p 8080 -h /tmp";
    let task = docker_task("web", &offer, command, docker_info::Network::Bridge, Some(port));
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    let running = scheduler.update("web", TaskState::TaskRunning).await;
    let name =
        format!("mesos-{}", running.container_status.and_then(|s| s.container_id).map(|c| c.value).unwrap_or_default());
    let client = mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(5));
    let body = until("the container to answer on its host port", DEADLINE, || {
        let client = client.clone();
        async move { client.get(&format!("http://127.0.0.1:{port}/index.html")).await.ok().map(|(_, b)| b) }
    })
    .await;
    assert_eq!(String::from_utf8_lossy(&body).trim(), "hello-from-docker");
    // The container's output lands in the sandbox.
    until("the container's output in the sandbox", DEADLINE, || async {
        let stdout = super::sandbox(&cluster, 0, "web")?.join("stdout");
        std::fs::read_to_string(stdout).ok().filter(|s| s.contains("serving"))
    })
    .await;
    if name != "mesos-" {
        assert!(docker_running(&name), "{name} runs");
    }
    let kill = mesos_proto::v1::scheduler::Call {
        r#type: Some(mesos_proto::v1::scheduler::call::Type::Kill as i32),
        kill: Some(mesos_proto::v1::scheduler::call::Kill {
            task_id: mesos_proto::v1::TaskId { value: "web".into() },
            agent_id: Some(offer.agent_id.clone()),
            kill_policy: None,
        }),
        ..Default::default()
    };
    scheduler.call(kill).await.expect("kill");
    let statuses = scheduler.updates_until_terminal("web").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskKilled as i32), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_docker_task_keeps_running_across_an_agent_restart_needs_docker() {
    mesos_tests::require!(Docker; "the task runs in a Docker container");
    let mut cluster = Cluster::start_with(&[], 1, &["--containerizers=docker,mesos"]).await;
    let agent_id = cluster.state().await["slaves"][0]["id"].as_str().expect("an agent").to_owned();
    let mut info = framework("durable");
    info.checkpoint = Some(true);
    info.failover_timeout = Some(3600.0);
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;
    let command = "while [ ! -e /mnt/mesos/sandbox/stop ]; do sleep 0.1; done";
    let task = docker_task("durable", &offer, command, docker_info::Network::Host, None);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    scheduler.update("durable", TaskState::TaskRunning).await;
    let name = until("the task's Docker container", DEADLINE, || async { running_container_of(&cluster) }).await;

    cluster.agents[0].kill();
    assert!(docker_running(&name), "the container outlives its agent");
    cluster.agents[0].restart(&[]);
    until("the agent to re-register under its old id", DEADLINE, || async {
        let state = cluster.state().await;
        (state["slaves"][0]["id"] == agent_id.as_str()
            && state["slaves"][0]["active"] == true
            && state["slaves"][0]["reregistered_time"].is_number())
        .then_some(())
    })
    .await;
    // The executor re-subscribed: the agent still lists the task as running.
    until("the agent to list the task running again", DEADLINE, || async {
        let state = super::agent_json(&cluster, 0, "/state").await;
        let tasks = state["frameworks"][0]["executors"][0]["tasks"].as_array().cloned().unwrap_or_default();
        tasks.iter().any(|t| t["id"] == "durable" && t["state"] == "TASK_RUNNING").then_some(())
    })
    .await;
    assert!(docker_running(&name), "the same container still runs");
    assert_eq!(cluster.task_state("durable").await.as_deref(), Some("TASK_RUNNING"));

    // The task ends after the restart; its executor reports it through
    // the new connection.
    let sandbox = super::sandbox(&cluster, 0, "durable").expect("the sandbox");
    std::fs::write(sandbox.join("stop"), b"").expect("marker");
    let statuses = scheduler.updates_until_terminal("durable").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskFinished as i32), "{statuses:?}");
    until("the container to be removed", DEADLINE, || async { (!docker_exists(&name)).then_some(()) }).await;
}

/// The name of the running `mesos-*` container labelled with this cluster's
/// agent work directory.
fn running_container_of(cluster: &Cluster) -> Option<String> {
    let work_dir = std::fs::canonicalize(&cluster.agents[0].work_dir).ok()?;
    let output = std::process::Command::new("docker")
        .args([
            "ps",
            "--filter",
            &format!("label=mesos.agent.work_dir={}", work_dir.display()),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).lines().find(|n| n.starts_with("mesos-")).map(str::to_owned)
}
