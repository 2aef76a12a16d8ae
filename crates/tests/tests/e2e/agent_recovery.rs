//! Agents restart without killing the tasks of checkpointing frameworks,
//! and no task is lost silently when an agent or executor dies.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call, event};
use mesos_proto::v1::{
    CommandInfo, ExecutorId, ExecutorInfo, Offer, Resource, TaskId, TaskInfo, TaskState, TaskStatus, task_status, value,
};
use mesos_tests::cluster::{Cluster, command_name, is_running, processes_with_env};
use mesos_tests::wait::{DEADLINE, until};

use crate::scheduler::{TestScheduler, framework};

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn command_task(id: &str, offer: &Offer, command: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        ..Default::default()
    }
}

fn launch(offer: &Offer, tasks: Vec<TaskInfo>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    }
}

/// Distinct updates (by uuid) in arrival order, as states.
fn states(statuses: &[TaskStatus]) -> Vec<TaskState> {
    let mut seen = std::collections::HashSet::new();
    statuses
        .iter()
        .filter(|s| s.uuid.as_ref().is_none_or(|u| seen.insert(u.clone())))
        .map(|s| TaskState::try_from(s.state).expect("a known state"))
        .collect()
}

async fn checkpointing_scheduler(cluster: &Cluster, name: &str) -> TestScheduler {
    let mut info = framework(name);
    info.checkpoint = Some(true);
    info.failover_timeout = Some(3600.0);
    TestScheduler::subscribe(&cluster.master_address(), info).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_of_checkpointing_frameworks_survive_an_agent_kill_and_restart() {
    let mut cluster = Cluster::start(1).await;
    let agent_id = cluster.state().await["slaves"][0]["id"].as_str().expect("an agent").to_owned();
    let mut scheduler = checkpointing_scheduler(&cluster, "survivor").await;
    let offer = scheduler.offer().await;
    let marker = cluster.dir.path().join("finish-now");
    let command = format!("echo $$ > pid; while [ ! -e {} ]; do sleep 0.1; done; echo done", marker.display());
    scheduler.call(launch(&offer, vec![command_task("survivor", &offer, &command)])).await.expect("launch");
    let mut statuses = vec![];
    statuses.push(scheduler.update("survivor", TaskState::TaskRunning).await);

    // kill -9 the agent while the task runs; the executor and task go on.
    let executor: Vec<i32> = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "survivor")
        .into_iter()
        .filter(|pid| command_name(*pid) == "mesos-executor")
        .collect();
    assert_eq!(executor.len(), 1, "one command executor");
    cluster.agents[0].kill();
    assert!(is_running(executor[0]), "the executor outlives its agent");
    cluster.agents[0].restart(&[]);
    until("the agent to re-register under its old id", DEADLINE, || async {
        let state = cluster.state().await;
        (state["slaves"][0]["id"] == agent_id.as_str()
            && state["slaves"][0]["active"] == true
            && state["slaves"][0]["reregistered_time"].is_number())
        .then_some(())
    })
    .await;
    assert!(is_running(executor[0]), "the same executor is still running");
    assert_eq!(cluster.task_state("survivor").await.as_deref(), Some("TASK_RUNNING"));

    // The task finishes after the restart; its updates arrive, in order.
    std::fs::write(&marker, b"").expect("marker");
    statuses.extend(scheduler.updates_until_terminal("survivor").await);
    assert_eq!(states(&statuses), [TaskState::TaskRunning, TaskState::TaskFinished], "{statuses:?}");
    assert_eq!(cluster.state().await["slaves"].as_array().map(Vec::len), Some(1), "no second agent appeared");
}

#[tokio::test(flavor = "multi_thread")]
async fn executors_of_frameworks_that_do_not_checkpoint_die_with_their_agent() {
    let mut cluster = Cluster::start(1).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("fleeting")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, vec![command_task("fleeting", &offer, "sleep 600")])).await.expect("launch");
    scheduler.update("fleeting", TaskState::TaskRunning).await;
    let executor = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "fleeting");
    cluster.agents[0].kill();
    cluster.agents[0].restart(&[]);
    let statuses = scheduler.updates_until_terminal("fleeting").await;
    let last = statuses.last().expect("a terminal update");
    assert_eq!(last.state, TaskState::TaskLost as i32, "{statuses:?}");
    until("the executor to be gone", DEADLINE, || async { executor.iter().all(|pid| !is_running(*pid)).then_some(()) })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recover_cleanup_kills_the_previous_executors_and_registers_anew() {
    let mut cluster = Cluster::start(1).await;
    let old_id = cluster.state().await["slaves"][0]["id"].as_str().expect("an agent").to_owned();
    let mut scheduler = checkpointing_scheduler(&cluster, "cleaned").await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, vec![command_task("cleaned", &offer, "sleep 600")])).await.expect("launch");
    scheduler.update("cleaned", TaskState::TaskRunning).await;
    let processes = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "cleaned");
    assert!(!processes.is_empty());
    cluster.agents[0].kill();
    cluster.agents[0].restart(&["--recover=cleanup"]);
    assert_eq!(cluster.agents[0].wait(), Some(0), "cleanup exits");
    assert!(processes.iter().all(|pid| !is_running(*pid)), "the old executors are dead");
    cluster.agents[0].restart(&[]);
    until("a new agent to register", DEADLINE, || async {
        let state = cluster.state().await;
        state["slaves"].as_array()?.iter().any(|a| a["id"] != old_id.as_str() && a["active"] == true).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_executor_fails_its_tasks_and_is_reported() {
    let cluster = Cluster::start(1).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("victims")).await;
    let offer = scheduler.offer().await;
    let custom = ExecutorInfo {
        executor_id: ExecutorId { value: "custom".into() },
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
        ..Default::default()
    };
    let mut on_custom = command_task("on-custom", &offer, "unused");
    on_custom.command = None;
    on_custom.executor = Some(custom);
    scheduler
        .call(launch(&offer, vec![command_task("commanded", &offer, "sleep 600"), on_custom]))
        .await
        .expect("launch");
    scheduler.update("commanded", TaskState::TaskRunning).await;
    let custom_pids = until("the custom executor to start", DEADLINE, || async {
        let pids = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "custom");
        (!pids.is_empty()).then_some(pids)
    })
    .await;

    // The command executor dies: its task fails, reported by the agent.
    for pid in processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "commanded") {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let statuses = scheduler.updates_until_terminal("commanded").await;
    let failed = statuses.last().expect("a terminal update");
    assert_eq!(failed.state, TaskState::TaskFailed as i32);
    assert_eq!(failed.source, Some(task_status::Source::Agent as i32));
    assert_eq!(failed.reason, Some(task_status::Reason::CommandExecutorFailed as i32));

    // The custom executor (which never subscribed) is killed: its task fails
    // and the framework hears of the executor's end.
    for pid in custom_pids {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let statuses = scheduler.updates_until_terminal("on-custom").await;
    assert_eq!(statuses.last().map(|s| s.state), Some(TaskState::TaskFailed as i32));
    let failure = scheduler.expect(|e| e.r#type == Some(event::Type::Failure as i32)).await.failure.expect("FAILURE");
    assert_eq!(failure.executor_id.map(|e| e.value).as_deref(), Some("custom"));
    assert!(failure.status.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_marked_gone_shuts_down_and_its_tasks_are_gone() {
    let mut cluster = Cluster::start(1).await;
    let agent_id = cluster.state().await["slaves"][0]["id"].as_str().expect("an agent").to_owned();
    let mut info = framework("gone");
    info.capabilities = vec![mesos_proto::v1::framework_info::Capability {
        r#type: Some(mesos_proto::v1::framework_info::capability::Type::PartitionAware as i32),
    }];
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, vec![command_task("doomed", &offer, "sleep 600")])).await.expect("launch");
    scheduler.update("doomed", TaskState::TaskRunning).await;

    let body = format!(r#"{{"type":"MARK_AGENT_GONE","mark_agent_gone":{{"agent_id":{{"value":"{agent_id}"}}}}}}"#);
    let response = mesos_tests::raw_http::post(
        &cluster.master_address(),
        "/api/v1",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let statuses = scheduler.updates_until_terminal("doomed").await;
    let last = statuses.last().unwrap();
    assert_eq!(last.state, TaskState::TaskGoneByOperator as i32);
    assert_eq!(last.reason, Some(task_status::Reason::AgentRemovedByOperator as i32));
    until("the agent to exit", DEADLINE, || {
        let running = cluster.agents[0].running();
        async move { (!running).then_some(()) }
    })
    .await;
    // Marking an unknown agent is refused.
    let unknown = mesos_tests::raw_http::post(
        &cluster.master_address(),
        "/api/v1",
        &[("Content-Type", "application/json")],
        br#"{"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"nobody"}}}"#,
    )
    .await;
    assert_eq!(unknown.status, 404);
}

/// Files named `name` under `dir`.
fn find_files(dir: &std::path::Path, name: &str, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            find_files(&path, name, found);
        } else if entry.file_name() == name {
            found.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_checkpoint_stops_a_strict_agent_and_is_skipped_otherwise() {
    let mut cluster = Cluster::start(1).await;
    let mut scheduler = checkpointing_scheduler(&cluster, "damaged").await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, vec![command_task("damaged", &offer, "sleep 600")])).await.expect("launch");
    scheduler.update("damaged", TaskState::TaskRunning).await;
    cluster.agents[0].kill();

    // One bit flipped inside the task's command: still a valid TaskInfo,
    // with another command, were it not for the record's checksum.
    let mut records = Vec::new();
    find_files(&cluster.agents[0].work_dir.join("meta"), "task.info", &mut records);
    assert_eq!(records.len(), 1, "{records:?}");
    let mut bytes = std::fs::read(&records[0]).expect("the task's record");
    let at = bytes.windows(9).position(|w| w == b"sleep 600").expect("the command in the record");
    bytes[at] ^= 0x01;
    std::fs::write(&records[0], &bytes).expect("damage the record");

    let log_start = std::fs::metadata(&cluster.agents[0].log).map(|m| m.len() as usize).unwrap_or(0);
    cluster.agents[0].restart(&[]);
    let code = until("the strict agent to exit", DEADLINE, || {
        let code = cluster.agents[0].exit_code();
        async move { code }
    })
    .await;
    assert_ne!(code, 0);
    let log = std::fs::read(&cluster.agents[0].log).unwrap_or_default();
    let log = String::from_utf8_lossy(&log[log_start.min(log.len())..]).into_owned();
    assert!(log.contains("task.info") && log.contains("checksum"), "the error names the record:\n{log}");

    // Without --strict the damaged record is skipped and the agent runs.
    cluster.agents[0].restart(&["--strict=false"]);
    cluster.wait_for_agents(1).await;
    assert!(cluster.agents[0].running());
}
