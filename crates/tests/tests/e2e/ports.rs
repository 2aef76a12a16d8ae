//! Daemons started with `--port=0` (as the harness starts all of them)
//! advertise the port the kernel gave them, never 0: the master in its
//! pid, `MasterInfo` and leader, the agent to the master and to its
//! executors; `mesos-local` tells its agents the master's bound port.

use std::process::Stdio;

use mesos_proto::v1::TaskState;
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::{DEADLINE, until};

use crate::operator::{launch, operator};
use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn daemons_on_port_zero_advertise_the_ports_they_bound() {
    let cluster = Cluster::start(1).await;
    let (master, agent) = (cluster.master.port, cluster.agents[0].port);
    assert!(master != 0 && agent != 0);
    let master_address = format!("127.0.0.1:{master}");
    let agent_address = format!("127.0.0.1:{agent}");

    let state = cluster.state().await;
    assert_eq!(state["pid"], format!("master@{master_address}"));
    assert_eq!(state["leader"], format!("master@{master_address}"));
    assert_eq!(state["leader_info"]["port"], master, "{}", state["leader_info"]);
    let info = operator(&master_address, serde_json::json!({"type": "GET_MASTER"})).await;
    let master_info = &info["get_master"]["master_info"];
    assert_eq!(master_info["port"], master, "{master_info}");
    assert_eq!(master_info["address"]["port"], master, "{master_info}");

    let agent_view = &state["slaves"][0];
    assert_eq!(agent_view["pid"], format!("slave(1)@{agent_address}"), "{agent_view}");
    assert_eq!(agent_view["port"], agent, "{agent_view}");
    let agent_state = super::containers::agent_json(&cluster, 0, "/state").await;
    assert_eq!(agent_state["pid"], format!("slave(1)@{agent_address}"));

    // Executors are told the agent's bound address.
    let mut scheduler = TestScheduler::subscribe(&master_address, framework("ports")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "endpoint", "echo $MESOS_AGENT_ENDPOINT")).await.expect("launch");
    scheduler.update("endpoint", TaskState::TaskFinished).await;
    let sandbox = super::containers::sandbox(&cluster, 0, "endpoint").expect("the sandbox");
    let stdout = std::fs::read_to_string(sandbox.join("stdout")).expect("stdout");
    assert!(stdout.lines().any(|l| l == agent_address), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mesos_local_on_port_zero_writes_its_port_and_its_agent_registers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port_file = dir.path().join("master.port");
    let log = std::fs::File::create(dir.path().join("local.log")).expect("log");
    let mut local = Stopped(
        std::process::Command::new(mesos_tests::binary("mesos-local"))
            .arg("--port=0")
            .arg(format!("--port_file={}", port_file.display()))
            .arg(format!("--work_dir={}", dir.path().join("work").display()))
            .arg("--resources=cpus:1;mem:256;disk:256;ports:[32000-32099]")
            // A port file named in the environment is the master's only.
            .env("MESOS_PORT_FILE", port_file.display().to_string())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("mesos-local starts"),
    );
    let port =
        mesos_tests::ports::from_port_file(&mut local.0, &port_file, "mesos-local", &dir.path().join("local.log"))
            .await;
    let address = format!("127.0.0.1:{port}");
    let http = mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(10));
    let state = until("the agent of mesos-local to register", DEADLINE, || {
        let (http, url) = (http.clone(), format!("http://{address}/master/state"));
        async move {
            let (_, body) = http.get(&url).await.ok()?;
            let state: serde_json::Value = serde_json::from_slice(&body).ok()?;
            (state["activated_slaves"] == 1).then_some(state)
        }
    })
    .await;
    assert_eq!(state["pid"], format!("master@{address}"));
    let agent_port = state["slaves"][0]["port"].as_u64().expect("the agent's port");
    assert!(agent_port != 0 && agent_port != u64::from(port), "{}", state["slaves"][0]);
    assert_eq!(std::fs::read_to_string(&port_file).expect("port file"), format!("{port}\n"));
    drop(local);
    mesos_tests::cluster::kill_processes_under(dir.path());
}

/// A process killed when dropped, also when the test fails.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
