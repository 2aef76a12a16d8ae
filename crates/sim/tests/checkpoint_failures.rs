//! A checkpoint write that fails, at every write a task's life makes: the
//! agent core stops (`AgentAction::Abort`) and releases nothing that
//! depended on the write, and an agent restarted from what the disk holds
//! loses no update it had acknowledged to its executor.
//!
//! The disk is the simulation's in-memory store, which keeps exactly the
//! records the daemon's files would.

use std::collections::BTreeSet;
use std::time::Duration;

use mesos_agent_core::{
    Agent, AgentAction, AgentConfig, AgentInput, CheckpointWrite, ExecutorRequest, ExecutorStream, FromMaster,
};
use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState, TaskStatus,
};
use mesos_sim::disk::MemDisk;

const NOW: Duration = Duration::from_secs(1000);

fn config(seed: u64) -> AgentConfig {
    AgentConfig {
        info: AgentInfo { hostname: "h".into(), ..Default::default() },
        executor_registration_timeout: Duration::from_secs(60),
        executor_shutdown_grace_period: Duration::from_secs(5),
        executor_reregistration_timeout: Duration::from_secs(2),
        launcher_dir: "/bin".into(),
        max_completed_executors_per_framework: 10,
        uuid_seed: seed,
    }
}

fn master(event: AgentEvent) -> AgentInput {
    AgentInput::FromMaster(FromMaster::try_from(event).expect("a valid event"))
}

fn registered() -> AgentInput {
    master(AgentEvent {
        r#type: Some(agent_event::Type::Registered as i32),
        registered: Some(agent_event::Registered {
            agent_id: AgentId { value: "A".into() },
            master_info: Default::default(),
            ping_timeout_seconds: None,
        }),
        ..Default::default()
    })
}

fn executor(call: Call) -> AgentInput {
    match ExecutorRequest::try_from(call).expect("a valid call") {
        ExecutorRequest::Subscribe(subscribe) => AgentInput::ExecutorSubscribe { stream: ExecutorStream(1), subscribe },
        ExecutorRequest::Call(call) => AgentInput::ExecutorCall(call),
    }
}

fn update(state: TaskState, uuid: u8) -> AgentInput {
    executor(Call {
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
    })
}

/// A checkpointing framework's task, from launch to its acknowledged end,
/// with reserved resources recorded on the way.
fn scenario() -> Vec<AgentInput> {
    let framework = FrameworkInfo {
        user: "u".into(),
        name: "f".into(),
        id: Some(FrameworkId { value: "F".into() }),
        checkpoint: Some(true),
        ..Default::default()
    };
    let task = TaskInfo {
        name: "t".into(),
        task_id: TaskId { value: "t".into() },
        command: Some(CommandInfo { value: Some("sleep 1".into()), ..Default::default() }),
        ..Default::default()
    };
    let acknowledge = |uuid: u8| {
        master(AgentEvent {
            r#type: Some(agent_event::Type::Acknowledge as i32),
            acknowledge: Some(agent_event::Acknowledge {
                framework_id: FrameworkId { value: "F".into() },
                task_id: TaskId { value: "t".into() },
                uuid: vec![uuid; 16],
            }),
            ..Default::default()
        })
    };
    vec![
        registered(),
        master(AgentEvent {
            r#type: Some(agent_event::Type::CheckpointResources as i32),
            checkpoint_resources: Some(agent_event::CheckpointResources { resources: Vec::new() }),
            ..Default::default()
        }),
        master(AgentEvent {
            r#type: Some(agent_event::Type::RunTask as i32),
            run_task: Some(agent_event::RunTask { framework_info: framework, task }),
            ..Default::default()
        }),
        executor(Call {
            executor_id: ExecutorId { value: "t".into() },
            framework_id: FrameworkId { value: "F".into() },
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(Default::default()),
            ..Default::default()
        }),
        update(TaskState::TaskRunning, 1),
        acknowledge(1),
        update(TaskState::TaskFinished, 2),
        acknowledge(2),
    ]
}

/// What one run saw.
#[derive(Default)]
struct Run {
    /// Uuids acknowledged to the executor (the agent took them on).
    taken: BTreeSet<Vec<u8>>,
    /// Uuids the framework acknowledged.
    delivered: BTreeSet<Vec<u8>>,
    aborted: bool,
    writes: Vec<&'static str>,
}

fn kind(write: &CheckpointWrite) -> &'static str {
    match write {
        CheckpointWrite::Agent(_) => "Agent",
        CheckpointWrite::Framework(_) => "Framework",
        CheckpointWrite::Executor { .. } => "Executor",
        CheckpointWrite::Task { .. } => "Task",
        CheckpointWrite::Resources(_) => "Resources",
        CheckpointWrite::TaskUpdates { .. } => "TaskUpdates",
    }
}

/// Runs the scenario, failing the checkpoint write number `fail_at`.
fn run(fail_at: usize, disk: &mut MemDisk) -> Run {
    let mut agent = Agent::new(config(1));
    let mut seen = Run::default();
    for input in scenario() {
        if let AgentInput::FromMaster(FromMaster::Acknowledge { uuid, .. }) = &input {
            seen.delivered.insert(uuid.clone());
        }
        agent.handle(NOW, input).expect("taken");
        loop {
            let actions = agent.take_actions();
            if actions.is_empty() {
                break;
            }
            for action in actions {
                match action {
                    AgentAction::Checkpoint { ticket, write } => {
                        seen.writes.push(kind(&write));
                        let input = if seen.writes.len() - 1 == fail_at {
                            AgentInput::CheckpointFailed { ticket, error: "No space left on device".into() }
                        } else {
                            disk.apply(&write);
                            AgentInput::CheckpointStored { ticket }
                        };
                        agent.handle(NOW, input).expect("taken");
                    }
                    AgentAction::ToExecutor { event, .. } => {
                        if let Some(ack) = event.acknowledged {
                            assert!(!seen.aborted, "nothing is released after a failed write");
                            seen.taken.insert(ack.uuid);
                        }
                    }
                    AgentAction::Abort { message } => {
                        assert!(message.contains("No space left on device"), "{message}");
                        seen.aborted = true;
                    }
                    other => assert!(!seen.aborted, "released after a failed write: {other:?}"),
                }
            }
        }
        if seen.aborted {
            break;
        }
    }
    seen
}

#[test]
fn a_failed_checkpoint_at_any_write_stops_the_agent_and_a_restart_loses_no_acknowledged_update() {
    let mut kinds = BTreeSet::new();
    let mut fail_at = 0;
    loop {
        let mut disk = MemDisk::default();
        let seen = run(fail_at, &mut disk);
        kinds.extend(seen.writes.iter().copied());
        if !seen.aborted {
            assert!(fail_at > 0, "the scenario writes checkpoints");
            break;
        }
        // The agent restarts from its disk, its executor still alive.
        let mut restarted = Agent::new(config(2));
        if let Some(state) = disk.recover(|_| true) {
            restarted.recover(state, NOW);
        }
        restarted.handle(NOW, registered()).expect("taken");
        let pending: BTreeSet<Vec<u8>> = restarted
            .unacknowledged_updates(&FrameworkId { value: "F".into() }, &TaskId { value: "t".into() })
            .into_iter()
            .filter_map(|status| status.uuid.clone())
            .collect();
        for uuid in &seen.taken {
            assert!(
                seen.delivered.contains(uuid) || pending.contains(uuid),
                "write {fail_at} ({}) failed: update {uuid:?} was acknowledged to the executor, but the restarted \
                 agent neither has it nor did the framework acknowledge it",
                seen.writes[fail_at]
            );
        }
        fail_at += 1;
    }
    let expected: BTreeSet<&str> = ["Agent", "Framework", "Executor", "Task", "Resources", "TaskUpdates"].into();
    assert_eq!(kinds, expected, "a failure at every kind of checkpoint write");
}
