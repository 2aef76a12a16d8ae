//! Checkpointing and recovery through the agent core's public interface.

use std::time::Duration;

use mesos_agent_core::{
    Agent, AgentAction, AgentConfig, CheckpointWrite, ExecutorStream, RecoveredExecutor, RecoveredFramework,
    RecoveredState, RecoveredTask,
};
use mesos_proto::internal::agent_call;
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState, TaskStatus,
    task_status,
};

fn config() -> AgentConfig {
    AgentConfig {
        info: AgentInfo { hostname: "h".into(), ..Default::default() },
        executor_registration_timeout: Duration::from_secs(60),
        executor_shutdown_grace_period: Duration::from_secs(5),
        executor_reregistration_timeout: Duration::from_secs(2),
        launcher_dir: "/bin".into(),
        max_completed_executors_per_framework: 10,
        uuid_seed: 7,
    }
}

fn framework(checkpoint: bool) -> FrameworkInfo {
    FrameworkInfo {
        user: "u".into(),
        name: "f".into(),
        id: Some(FrameworkId { value: "F".into() }),
        checkpoint: Some(checkpoint),
        ..Default::default()
    }
}

fn task(id: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        command: Some(CommandInfo { value: Some("sleep 1".into()), ..Default::default() }),
        ..Default::default()
    }
}

const NOW: Duration = Duration::from_secs(1000);

/// A registered agent running one command task, subscribed executor on
/// stream 1.
fn running_agent(checkpoint: bool) -> Agent {
    let mut agent = Agent::new(config());
    agent.registered(AgentId { value: "A".into() }, NOW);
    agent.run_task(framework(checkpoint), task("t"), "c1".into(), NOW);
    let subscribe = Call {
        executor_id: ExecutorId { value: "t".into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(Default::default()),
        ..Default::default()
    };
    agent.executor_subscribe(ExecutorStream(1), subscribe, NOW).expect("subscribe");
    agent.take_actions();
    agent
}

fn update(state: TaskState, uuid: u8) -> Call {
    Call {
        executor_id: ExecutorId { value: "t".into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Update as i32),
        update: Some(call::Update {
            status: TaskStatus {
                task_id: TaskId { value: "t".into() },
                state: state as i32,
                uuid: Some(vec![uuid; 16]),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

#[test]
fn updates_are_on_disk_before_they_are_forwarded_or_acknowledged() {
    let mut agent = running_agent(true);
    agent.executor_call(update(TaskState::TaskRunning, 1), NOW).expect("update");
    let actions = agent.take_actions();
    let position = |wanted: fn(&AgentAction) -> bool| actions.iter().position(wanted).expect("action present");
    let written =
        position(|a| matches!(a, AgentAction::Checkpoint(w) if matches!(**w, CheckpointWrite::TaskUpdates { .. })));
    let forwarded = position(|a| matches!(a, AgentAction::ToMaster(_)));
    let acknowledged = position(|a| matches!(a, AgentAction::ToExecutor { .. }));
    assert!(written < forwarded && forwarded < acknowledged, "{actions:?}");
    // The acknowledgement from the framework is recorded too.
    agent.acknowledge(&FrameworkId { value: "F".into() }, &TaskId { value: "t".into() }, &[1; 16], NOW);
    let actions = agent.take_actions();
    let Some(AgentAction::Checkpoint(write)) = actions.first() else { panic!("{actions:?}") };
    let CheckpointWrite::TaskUpdates { updates, .. } = &**write else { panic!("{write:?}") };
    assert!(updates.pending.is_empty());
    assert_eq!(updates.state, Some(TaskState::TaskRunning as i32));
}

#[test]
fn frameworks_that_do_not_checkpoint_write_nothing_but_the_agent() {
    let mut agent = Agent::new(config());
    agent.registered(AgentId { value: "A".into() }, NOW);
    assert!(
        agent
            .take_actions()
            .iter()
            .any(|a| matches!(a, AgentAction::Checkpoint(w) if matches!(**w, CheckpointWrite::Agent(_))))
    );
    let mut agent = running_agent(false);
    agent.executor_call(update(TaskState::TaskRunning, 1), NOW).expect("update");
    assert!(agent.take_actions().iter().all(|a| !matches!(a, AgentAction::Checkpoint(_))));
}

fn recovered(alive: bool, pending: Vec<agent_call::StatusUpdate>, state: TaskState) -> RecoveredState {
    let run = mesos_proto::internal::ExecutorRun {
        executor_info: mesos_proto::v1::ExecutorInfo {
            executor_id: ExecutorId { value: "t".into() },
            ..Default::default()
        },
        container_id: "c1".into(),
        command_executor: Some(true),
    };
    let updates =
        mesos_proto::internal::TaskUpdates { state: Some(state as i32), latest: None, pending, received: Vec::new() };
    RecoveredState {
        agent_info: AgentInfo { hostname: "h".into(), id: Some(AgentId { value: "A".into() }), ..Default::default() },
        frameworks: vec![RecoveredFramework {
            info: framework(true),
            executors: vec![RecoveredExecutor { run, tasks: vec![RecoveredTask { info: task("t"), updates }], alive }],
        }],
        checkpointed_resources: vec![reserved_cpu()],
    }
}

/// One cpu dynamically reserved to `eng`.
fn reserved_cpu() -> mesos_proto::v1::Resource {
    mesos_resources::Resource::scalar("cpus", 1.0)
        .reserved(mesos_resources::Reservation::new_dynamic("eng", None))
        .to_proto(mesos_resources::ResourceFormat::PostRefinement)
}

#[test]
fn reservations_and_volumes_are_kept_and_reported_on_reregistration() {
    let mut agent = running_agent(false);
    agent.checkpoint_resources(vec![reserved_cpu()]);
    let actions = agent.take_actions();
    assert!(
        actions.iter().any(|a| matches!(a, AgentAction::Checkpoint(w) if matches!(**w, CheckpointWrite::Resources(_)))),
        "written whatever the frameworks ask: {actions:?}"
    );
    let reregister = agent.registration_call("1", Default::default()).reregister.expect("a REREGISTER call");
    assert_eq!(reregister.checkpointed_resources, [reserved_cpu()]);

    let mut restarted = Agent::new(config());
    restarted.recover(recovered(true, Vec::new(), TaskState::TaskRunning), NOW);
    let reregister = restarted.registration_call("1", Default::default()).reregister.expect("a REREGISTER call");
    assert_eq!(reregister.checkpointed_resources, [reserved_cpu()], "recovered from disk");
}

#[test]
fn recovery_resends_pending_updates_after_reregistration() {
    let pending = agent_call::StatusUpdate {
        framework_id: FrameworkId { value: "F".into() },
        status: TaskStatus {
            task_id: TaskId { value: "t".into() },
            state: TaskState::TaskRunning as i32,
            uuid: Some(vec![3; 16]),
            ..Default::default()
        },
        latest_state: None,
    };
    let mut agent = Agent::new(config());
    agent.recover(recovered(true, vec![pending], TaskState::TaskRunning), NOW);
    assert_eq!(agent.agent_id().map(|i| i.value.as_str()), Some("A"));
    assert!(
        agent.take_actions().iter().all(|a| !matches!(a, AgentAction::ToMaster(_))),
        "nothing is sent before re-registration"
    );
    let reregister = agent.registration_call("1", Default::default());
    let tasks = reregister.reregister.expect("a REREGISTER call").tasks;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].state, TaskState::TaskRunning as i32);
    agent.registered(AgentId { value: "A".into() }, NOW);
    let sent: Vec<_> = agent.take_actions().into_iter().filter(|a| matches!(a, AgentAction::ToMaster(_))).collect();
    assert_eq!(sent.len(), 1, "the pending update goes out again");
    assert_eq!(agent.live_containers(), ["c1"]);
}

#[test]
fn executors_that_died_while_the_agent_was_down_fail_their_tasks() {
    let mut agent = Agent::new(config());
    agent.recover(recovered(false, Vec::new(), TaskState::TaskRunning), NOW);
    agent.registered(AgentId { value: "A".into() }, NOW);
    let updates: Vec<TaskStatus> = agent
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            AgentAction::ToMaster(call) => call.status_update.map(|u| u.status),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].state, TaskState::TaskFailed as i32);
    assert_eq!(updates[0].source, Some(task_status::Source::Agent as i32));
    assert!(agent.live_containers().is_empty());
}

#[test]
fn executors_that_do_not_resubscribe_in_time_are_destroyed() {
    let mut agent = Agent::new(config());
    agent.recover(recovered(true, Vec::new(), TaskState::TaskRunning), NOW);
    agent.registered(AgentId { value: "A".into() }, NOW);
    agent.take_actions();
    agent.tick(NOW + Duration::from_secs(3));
    assert!(
        agent
            .take_actions()
            .iter()
            .any(|a| matches!(a, AgentAction::DestroyContainer { container_id } if container_id == "c1"))
    );
    agent.container_exited("c1", None, NOW + Duration::from_secs(3));
    let failed = agent
        .take_actions()
        .into_iter()
        .find_map(|a| match a {
            AgentAction::ToMaster(call) => call.status_update.map(|u| u.status),
            _ => None,
        })
        .expect("a final update");
    assert_eq!(failed.state, TaskState::TaskFailed as i32);
    assert_eq!(failed.reason, Some(task_status::Reason::ExecutorReregistrationTimeout as i32));
}

#[test]
fn tasks_whose_final_update_is_unacknowledged_are_reported_on_reregistration() {
    let mut agent = running_agent(true);
    agent.executor_call(update(TaskState::TaskFinished, 1), NOW).expect("update");
    agent.container_exited("c1", Some(0), NOW);
    agent.take_actions();
    let tasks = agent.registration_call("1", Default::default()).reregister.expect("a REREGISTER call").tasks;
    assert_eq!(tasks.len(), 1, "the master must still learn of the ended task");
    assert_eq!(tasks[0].state, TaskState::TaskFinished as i32);
    // Once acknowledged, it is no longer reported.
    agent.acknowledge(&FrameworkId { value: "F".into() }, &TaskId { value: "t".into() }, &[1; 16], NOW);
    let tasks = agent.registration_call("1", Default::default()).reregister.expect("a REREGISTER call").tasks;
    assert!(tasks.is_empty(), "{tasks:?}");
}

#[test]
fn updates_an_executor_sends_again_are_acknowledged_but_not_forwarded_twice() {
    let mut agent = running_agent(true);
    agent.executor_call(update(TaskState::TaskRunning, 1), NOW).expect("update");
    agent.acknowledge(&FrameworkId { value: "F".into() }, &TaskId { value: "t".into() }, &[1; 16], NOW);
    agent.take_actions();
    // The executor never saw its acknowledgement and, subscribing again,
    // sends the update once more.
    let Some(call::Update { status }) = update(TaskState::TaskRunning, 1).update else { unreachable!() };
    let subscribe = Call {
        executor_id: ExecutorId { value: "t".into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            unacknowledged_tasks: Vec::new(),
            unacknowledged_updates: vec![call::Update { status }],
        }),
        ..Default::default()
    };
    agent.executor_subscribe(ExecutorStream(2), subscribe, NOW).expect("subscribe");
    let actions = agent.take_actions();
    assert!(actions.iter().all(|a| !matches!(a, AgentAction::ToMaster(_))), "{actions:?}");
    let acknowledged = actions.iter().any(|a| {
        matches!(a, AgentAction::ToExecutor { stream: ExecutorStream(2), event }
            if event.acknowledged.as_ref().is_some_and(|ack| ack.uuid == vec![1; 16]))
    });
    assert!(acknowledged, "{actions:?}");
}
