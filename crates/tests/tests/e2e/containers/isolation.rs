//! The Mesos containerizer's isolation on real cgroups and namespaces
//! (these tests need root).

use mesos_proto::v1::{TaskState, task_status};
use mesos_tests::cluster::{Cluster, is_running, processes_with_env};
use mesos_tests::wait::{DEADLINE, until};

use super::{agent_json, command_task, launch, sandbox};
use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn a_memory_hog_is_oom_killed_and_failed_as_a_memory_limitation_needs_root() {
    mesos_tests::require!(Root; "the memory cgroup enforces the limit");
    let cluster = Cluster::start_with(&[], 1, &["--isolation=cgroups/cpu,cgroups/mem"]).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("hog")).await;
    let offer = scheduler.offer().await;
    // `tail` keeps every byte looking for a newline that never comes.
    let task = command_task("hog", &offer, "tail /dev/zero", 0.5, 64.0);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    let statuses = scheduler.updates_until_terminal("hog").await;
    let last = statuses.last().expect("a terminal update");
    assert_eq!(last.state, TaskState::TaskFailed as i32, "{statuses:?}");
    assert_eq!(last.reason, Some(task_status::Reason::ContainerLimitationMemory as i32), "{statuses:?}");
    assert_eq!(last.source, Some(task_status::Source::Agent as i32), "{statuses:?}");
    assert!(last.message().starts_with("Memory limit exceeded"), "{statuses:?}");
    let limited: Vec<String> = last.limitation.iter().flat_map(|l| &l.resources).map(|r| r.name.clone()).collect();
    assert_eq!(limited, ["mem"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_task_kills_its_double_forked_daemons_in_its_pid_namespace_needs_root() {
    mesos_tests::require!(Root; "the Linux launcher makes cgroups and a pid namespace");
    let cluster =
        Cluster::start_with(&[], 1, &["--launcher=linux", "--isolation=cgroups/cpu,cgroups/mem,namespaces/pid"]).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("forker")).await;
    let offer = scheduler.offer().await;
    // The subshell exits at once, leaving a daemon in a session of its own.
    let command = "echo $PPID > ppid; (setsid sleep 600 &); sleep 601";
    scheduler.call(launch(&offer, vec![command_task("forker", &offer, command, 0.5, 64.0)])).await.expect("launch");
    scheduler.update("forker", TaskState::TaskRunning).await;
    let processes = until("the task and its daemon to run", DEADLINE, || async {
        let pids = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "forker");
        let names: Vec<String> = pids.iter().map(|p| mesos_tests::cluster::command_name(*p)).collect();
        (names.iter().filter(|n| *n == "sleep").count() == 2).then_some(pids)
    })
    .await;
    let ppid = until("the task to write its parent's pid", DEADLINE, || async {
        let file = sandbox(&cluster, 0, "forker")?.join("ppid");
        std::fs::read_to_string(file).ok().filter(|s| !s.is_empty())
    })
    .await;
    assert_eq!(ppid.trim(), "1", "the task's parent is its namespace's init: the executor");

    let kill = mesos_proto::v1::scheduler::Call {
        r#type: Some(mesos_proto::v1::scheduler::call::Type::Kill as i32),
        kill: Some(mesos_proto::v1::scheduler::call::Kill {
            task_id: mesos_proto::v1::TaskId { value: "forker".into() },
            agent_id: Some(offer.agent_id.clone()),
            kill_policy: None,
        }),
        ..Default::default()
    };
    scheduler.call(kill).await.expect("kill");
    let statuses = scheduler.updates_until_terminal("forker").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskKilled as i32), "{statuses:?}");
    until("every process of the container to be gone", DEADLINE, || async {
        processes.iter().all(|pid| !is_running(*pid)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn monitor_statistics_report_a_busy_tasks_cpu_time_growing_needs_root() {
    mesos_tests::require!(Root; "cpu time is read from the container's cgroups");
    let cluster = Cluster::start_with(&[], 1, &["--isolation=cgroups/cpu,cgroups/mem"]).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("busy")).await;
    let offer = scheduler.offer().await;
    let task = command_task("busy", &offer, "while true; do :; done", 0.5, 64.0);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    scheduler.update("busy", TaskState::TaskRunning).await;
    let cpu_time = |statistics: &serde_json::Value| -> Option<f64> {
        let entry = statistics.as_array()?.iter().find(|e| e["executor_id"] == "busy")?.clone();
        assert_eq!(entry["framework_id"], offer.framework_id.value.as_str());
        assert_eq!(entry["statistics"]["cpus_limit"], 0.6, "the task's cpus and the executor's 0.1");
        assert!(entry["statistics"]["mem_limit_bytes"].as_u64()? >= 96 << 20);
        Some(
            entry["statistics"]["cpus_user_time_secs"].as_f64()?
                + entry["statistics"]["cpus_system_time_secs"].as_f64()?,
        )
    };
    let first = until("a first cpu time", DEADLINE, || async {
        cpu_time(&agent_json(&cluster, 0, "/monitor/statistics").await).filter(|t| *t > 0.0)
    })
    .await;
    until("the cpu time to grow", DEADLINE, || async {
        cpu_time(&agent_json(&cluster, 0, "/monitor/statistics").await).filter(|t| *t > first)
    })
    .await;
    let containers = agent_json(&cluster, 0, "/containers").await;
    let container = containers.as_array().and_then(|c| c.iter().find(|c| c["executor_id"] == "busy")).cloned();
    let container = container.expect("the container in /containers");
    assert!(container["container_id"].is_string() && container["statistics"]["cpus_limit"].is_number(), "{container}");
}

#[tokio::test(flavor = "multi_thread")]
async fn gpu_nvidia_on_a_machine_without_gpus_offers_none_and_still_runs_tasks_needs_root() {
    mesos_tests::require!(Root; "gpu/nvidia runs with the Linux launcher");
    let gpus = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name().to_str().and_then(|n| n.strip_prefix("nvidia")).is_some_and(|i| i.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(gpus, 0, "this test expects a machine without GPUs");
    let flags = ["--launcher=linux", "--isolation=cgroups/cpu,cgroups/mem,gpu/nvidia"];
    let cluster = Cluster::start_with(&[], 1, &flags).await;
    let state = agent_json(&cluster, 0, "/state").await;
    assert!(state["resources"]["gpus"].as_f64().unwrap_or(0.0) == 0.0, "no GPUs offered: {}", state["resources"]);
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("no-gpu")).await;
    let offer = scheduler.offer().await;
    assert!(offer.resources.iter().all(|r| r.name != "gpus"), "{:?}", offer.resources);
    let task = command_task("plain", &offer, "echo fine", 0.5, 64.0);
    scheduler.call(launch(&offer, vec![task])).await.expect("launch");
    let statuses = scheduler.updates_until_terminal("plain").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskFinished as i32), "{statuses:?}");
}

/// Starts an agent that is expected to refuse its flags; returns its
/// standard error.
async fn refused_agent(cluster: &Cluster, name: &str, flags: &[&str]) -> String {
    let output = tokio::process::Command::new(mesos_tests::binary("mesos-agent"))
        .arg(format!("--master={}", cluster.master_address()))
        .arg(format!("--work_dir={}", cluster.dir.path().join(name).display()))
        .arg("--port=0")
        .args(flags)
        .output()
        .await
        .expect("mesos-agent runs");
    assert!(!output.status.success(), "{name} should refuse to start");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn gpus_need_the_gpu_isolator_and_gpus_that_exist_needs_root() {
    mesos_tests::require!(Root; "gpu/nvidia runs with the Linux launcher");
    let cluster = Cluster::start(0).await;
    let stderr = refused_agent(&cluster, "no-isolator", &["--resources=cpus:1;mem:128;gpus:1"]).await;
    assert!(stderr.contains("gpu/nvidia"), "{stderr}");
    let gpu = ["--launcher=linux", "--isolation=cgroups/cpu,cgroups/mem,gpu/nvidia"];
    let stderr = refused_agent(&cluster, "no-gpus", &[gpu[0], gpu[1], "--resources=cpus:1;mem:128;gpus:1"]).await;
    assert!(stderr.contains("gpus:1 but 0 GPU(s)"), "{stderr}");
    let stderr = refused_agent(&cluster, "no-device", &[gpu[0], gpu[1], "--nvidia_gpu_devices=0"]).await;
    assert!(stderr.contains("/dev/nvidia0"), "{stderr}");
}
