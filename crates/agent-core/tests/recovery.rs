//! Checkpointing and recovery through the agent core's public interface.

use std::time::Duration;

mod common;

use common::{NOW, acknowledge, config, executor_request, registered, run_task, step, subscribe, update_call};
use mesos_agent_core::{
    Agent, AgentAction, AgentInput, CheckpointWrite, ExecutorRequest, ExecutorStream, RecoveredExecutor,
    RecoveredFramework, RecoveredState, RecoveredTask,
};
use mesos_proto::internal::agent_call;
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState, TaskStatus,
    task_status,
};

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

/// A registered agent running one command task, subscribed executor on
/// stream 1.
fn running_agent(checkpoint: bool) -> Agent {
    let mut agent = Agent::new(config());
    registered(&mut agent);
    run_task(&mut agent, framework(checkpoint), task("t"));
    subscribe(&mut agent, "t");
    agent
}

fn update(state: TaskState, uuid: u8) -> AgentInput {
    executor_request(update_call("t", "t", state, uuid))
}

/// The container of the only executor.
fn container(agent: &Agent) -> String {
    agent.live_containers().pop().expect("one executor")
}

#[test]
fn updates_are_on_disk_before_they_are_forwarded_or_acknowledged() {
    let mut agent = running_agent(true);
    let actions = step(&mut agent, update(TaskState::TaskRunning, 1));
    let position = |wanted: fn(&AgentAction) -> bool| actions.iter().position(wanted).expect("action present");
    let written = position(
        |a| matches!(a, AgentAction::Checkpoint { write: w, .. } if matches!(**w, CheckpointWrite::TaskUpdates { .. })),
    );
    let forwarded = position(|a| matches!(a, AgentAction::ToMaster(_)));
    let acknowledged = position(|a| matches!(a, AgentAction::ToExecutor { .. }));
    assert!(written < forwarded && forwarded < acknowledged, "{actions:?}");
    // The acknowledgement from the framework is recorded too.
    let actions = acknowledge(&mut agent, "t", &[1; 16]);
    let Some(AgentAction::Checkpoint { write, .. }) = actions.first() else { panic!("{actions:?}") };
    let CheckpointWrite::TaskUpdates { updates, .. } = &**write else { panic!("{write:?}") };
    assert!(updates.pending.is_empty());
    assert_eq!(updates.state, Some(TaskState::TaskRunning as i32));
}

#[test]
fn frameworks_that_do_not_checkpoint_write_nothing_but_the_agent() {
    let mut agent = Agent::new(config());
    assert!(
        registered(&mut agent)
            .iter()
            .any(|a| matches!(a, AgentAction::Checkpoint { write: w, .. } if matches!(**w, CheckpointWrite::Agent(_))))
    );
    let mut agent = running_agent(false);
    let actions = step(&mut agent, update(TaskState::TaskRunning, 1));
    assert!(actions.iter().all(|a| !matches!(a, AgentAction::Checkpoint { .. })));
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
    let event = mesos_proto::internal::AgentEvent {
        r#type: Some(mesos_proto::internal::agent_event::Type::CheckpointResources as i32),
        checkpoint_resources: Some(mesos_proto::internal::agent_event::CheckpointResources {
            resources: vec![reserved_cpu()],
        }),
        ..Default::default()
    };
    let actions = step(&mut agent, common::master(event).expect("valid"));
    assert!(
        actions.iter().any(
            |a| matches!(a, AgentAction::Checkpoint { write: w, .. } if matches!(**w, CheckpointWrite::Resources(_)))
        ),
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
    let sent: Vec<_> = registered(&mut agent).into_iter().filter(|a| matches!(a, AgentAction::ToMaster(_))).collect();
    assert_eq!(sent.len(), 1, "the pending update goes out again");
    assert_eq!(agent.live_containers(), ["c1"]);
}

#[test]
fn executors_that_died_while_the_agent_was_down_fail_their_tasks() {
    let mut agent = Agent::new(config());
    agent.recover(recovered(false, Vec::new(), TaskState::TaskRunning), NOW);
    let updates: Vec<TaskStatus> = registered(&mut agent)
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
    registered(&mut agent);
    agent.handle(NOW + Duration::from_secs(3), AgentInput::Tick).expect("tick");
    assert!(
        common::drain(&mut agent)
            .iter()
            .any(|a| matches!(a, AgentAction::DestroyContainer { container_id } if container_id == "c1"))
    );
    let exited = AgentInput::ContainerExited { container_id: "c1".into(), status: None };
    let failed = step(&mut agent, exited)
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
    step(&mut agent, update(TaskState::TaskFinished, 1));
    let container_id = container(&agent);
    step(&mut agent, AgentInput::ContainerExited { container_id, status: Some(0) });
    let tasks = agent.registration_call("1", Default::default()).reregister.expect("a REREGISTER call").tasks;
    assert_eq!(tasks.len(), 1, "the master must still learn of the ended task");
    assert_eq!(tasks[0].state, TaskState::TaskFinished as i32);
    // Once acknowledged, it is no longer reported.
    acknowledge(&mut agent, "t", &[1; 16]);
    let tasks = agent.registration_call("1", Default::default()).reregister.expect("a REREGISTER call").tasks;
    assert!(tasks.is_empty(), "{tasks:?}");
}

#[test]
fn updates_an_executor_sends_again_are_acknowledged_but_not_forwarded_twice() {
    let mut agent = running_agent(true);
    step(&mut agent, update(TaskState::TaskRunning, 1));
    acknowledge(&mut agent, "t", &[1; 16]);
    // The executor never saw its acknowledgement and, subscribing again,
    // sends the update once more.
    let Some(call::Update { status }) = update_call("t", "t", TaskState::TaskRunning, 1).update else { unreachable!() };
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
    let Ok(ExecutorRequest::Subscribe(subscribe)) = ExecutorRequest::try_from(subscribe) else { unreachable!() };
    let actions = step(&mut agent, AgentInput::ExecutorSubscribe { stream: ExecutorStream(2), subscribe });
    assert!(actions.iter().all(|a| !matches!(a, AgentAction::ToMaster(_))), "{actions:?}");
    let acknowledged = actions.iter().any(|a| {
        matches!(a, AgentAction::ToExecutor { stream: ExecutorStream(2), event }
            if event.acknowledged.as_ref().is_some_and(|ack| ack.uuid == vec![1; 16]))
    });
    assert!(acknowledged, "{actions:?}");
}

#[test]
fn nothing_that_follows_a_checkpoint_is_released_before_it_is_stored() {
    let mut agent = running_agent(true);
    agent.handle(NOW, update(TaskState::TaskRunning, 1)).expect("update");
    let actions = agent.take_actions();
    let [AgentAction::Checkpoint { ticket, .. }] = actions.as_slice() else { panic!("{actions:?}") };
    assert!(agent.awaits_checkpoint());
    // A tick while the write is in flight releases nothing either.
    agent.handle(NOW, AgentInput::Tick).expect("tick");
    assert!(agent.take_actions().is_empty());
    agent.handle(NOW, AgentInput::CheckpointStored { ticket: *ticket }).expect("stored");
    let actions = agent.take_actions();
    assert!(matches!(actions.as_slice(), [AgentAction::ToMaster(_), AgentAction::ToExecutor { .. }]), "{actions:?}");
}

#[test]
fn a_failed_checkpoint_stops_the_agent_and_releases_nothing_that_depends_on_it() {
    let mut agent = running_agent(true);
    agent.handle(NOW, update(TaskState::TaskRunning, 1)).expect("update");
    let actions = agent.take_actions();
    let [AgentAction::Checkpoint { ticket, .. }] = actions.as_slice() else { panic!("{actions:?}") };
    let failed = AgentInput::CheckpointFailed { ticket: *ticket, error: "No space left on device".into() };
    agent.handle(NOW, failed).expect("taken");
    let actions = agent.take_actions();
    let [AgentAction::Abort { message }] = actions.as_slice() else { panic!("{actions:?}") };
    assert!(message.contains("No space left on device"), "{message}");
    // Whatever happens next, the update is neither forwarded nor acknowledged.
    agent.handle(NOW, update(TaskState::TaskFinished, 2)).expect("taken");
    assert!(agent.take_actions().is_empty());
}

#[test]
fn a_framework_s_new_info_is_checkpointed() {
    let mut agent = running_agent(true);
    let mut info = framework(true);
    info.name = "renamed".into();
    let event = mesos_proto::internal::AgentEvent {
        r#type: Some(mesos_proto::internal::agent_event::Type::UpdateFramework as i32),
        update_framework: Some(mesos_proto::internal::agent_event::UpdateFramework { framework_info: info.clone() }),
        ..Default::default()
    };
    let input = common::master(event).expect("valid");
    let actions = step(&mut agent, input.clone());
    let written: Vec<&CheckpointWrite> = actions
        .iter()
        .filter_map(|a| match a {
            AgentAction::Checkpoint { write, .. } => Some(&**write),
            _ => None,
        })
        .collect();
    assert_eq!(written, [&CheckpointWrite::Framework(info.clone())]);
    assert_eq!(agent.frameworks().next().map(|f| f.info.name.as_str()), Some("renamed"));
    // The same info again writes nothing.
    assert!(step(&mut agent, input).is_empty());
}

#[test]
fn a_re_registration_reports_the_update_awaiting_acknowledgement() {
    let mut agent = running_agent(true);
    step(&mut agent, update(TaskState::TaskRunning, 1));
    step(&mut agent, update(TaskState::TaskFinished, 2));
    let address = mesos_proto::v1::Address { hostname: Some("h".into()), ip: None, port: 5051 };
    let call = agent.registration_call("v", address);
    let task = &call.reregister.expect("a re-registration").tasks[0];
    // The task ended, but the framework has yet to acknowledge RUNNING:
    // reconciliation must not tell it FINISHED before RUNNING arrives.
    assert_eq!(task.state, TaskState::TaskFinished as i32);
    assert_eq!(task.status_update_state, Some(TaskState::TaskRunning as i32));
    assert_eq!(task.status_update_uuid, Some(vec![1; 16]));
    acknowledge(&mut agent, "t", &[1; 16]);
    let address = mesos_proto::v1::Address { hostname: Some("h".into()), ip: None, port: 5051 };
    let call = agent.registration_call("v", address);
    let task = &call.reregister.expect("a re-registration").tasks[0];
    assert_eq!(task.status_update_state, Some(TaskState::TaskFinished as i32));
}

/// A task killed before its executor subscribed.
fn killed_before_delivery(checkpoint: bool) -> (Agent, Vec<AgentAction>) {
    let mut agent = Agent::new(config());
    registered(&mut agent);
    run_task(&mut agent, framework(checkpoint), task("t"));
    let event = mesos_proto::internal::AgentEvent {
        r#type: Some(mesos_proto::internal::agent_event::Type::KillTask as i32),
        kill_task: Some(mesos_proto::internal::agent_event::KillTask {
            framework_id: FrameworkId { value: "F".into() },
            task_id: TaskId { value: "t".into() },
            kill_policy: None,
        }),
        ..Default::default()
    };
    let actions = step(&mut agent, common::master(event).expect("valid"));
    (agent, actions)
}

#[test]
fn the_end_of_a_task_killed_before_delivery_is_on_disk_before_it_is_sent() {
    let (agent, actions) = killed_before_delivery(true);
    let written = actions.iter().position(|a| {
        matches!(a, AgentAction::Checkpoint { write, .. }
            if matches!(&**write, CheckpointWrite::TaskUpdates { updates, .. }
                if updates.state == Some(TaskState::TaskKilled as i32)))
    });
    let sent = actions.iter().position(|a| matches!(a, AgentAction::ToMaster(call) if call.status_update.is_some()));
    assert!(written.is_some() && written < sent, "{actions:?}");
    // It is reported, ended, if the agent re-registers before the
    // framework acknowledges its end.
    let address = mesos_proto::v1::Address { hostname: Some("h".into()), ip: None, port: 5051 };
    let reported = agent.registration_call("v", address).reregister.expect("a re-registration").tasks;
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].state, TaskState::TaskKilled as i32);
}
