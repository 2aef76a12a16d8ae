//! A crash at any step of any checkpoint write leaves a state the agent
//! recovers from: exactly the state after some prefix of the writes.
//!
//! Run with `cargo test -p mesos-agent --features failpoints --test crash_consistency`.
#![cfg(feature = "failpoints")]

use std::panic::{AssertUnwindSafe, catch_unwind};

use mesos_agent::checkpoint::{apply, recover};
use mesos_agent::paths::Paths;
use mesos_agent_core::{CheckpointWrite, RecoveredState};
use mesos_proto::internal::{ExecutorRun, TaskUpdates, agent_call::StatusUpdate};
use mesos_proto::v1::{
    AgentId, AgentInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState, TaskStatus,
};

const POINTS: [&str; 3] = ["checkpoint::before_write", "checkpoint::before_rename", "checkpoint::after_rename"];

/// A task's life as the agent checkpoints it.
fn history() -> Vec<CheckpointWrite> {
    let framework_id = FrameworkId { value: "F".into() };
    let executor_id = ExecutorId { value: "E".into() };
    let task_id = TaskId { value: "T".into() };
    let update = |state: TaskState, uuid: u8| StatusUpdate {
        framework_id: framework_id.clone(),
        status: TaskStatus {
            task_id: task_id.clone(),
            state: state as i32,
            uuid: Some(vec![uuid; 16]),
            ..Default::default()
        },
        latest_state: None,
    };
    let updates = |state: TaskState, pending: Vec<StatusUpdate>| CheckpointWrite::TaskUpdates {
        framework_id: framework_id.clone(),
        executor_id: executor_id.clone(),
        container_id: "C".into(),
        task_id: task_id.clone(),
        updates: Box::new(TaskUpdates { state: Some(state as i32), latest: None, pending, received: Vec::new() }),
    };
    vec![
        CheckpointWrite::Agent(AgentInfo {
            hostname: "h".into(),
            id: Some(AgentId { value: "A".into() }),
            ..Default::default()
        }),
        CheckpointWrite::Framework(FrameworkInfo {
            user: "u".into(),
            name: "f".into(),
            id: Some(framework_id.clone()),
            checkpoint: Some(true),
            ..Default::default()
        }),
        CheckpointWrite::Executor {
            framework_id: framework_id.clone(),
            run: Box::new(ExecutorRun {
                executor_info: ExecutorInfo { executor_id: executor_id.clone(), ..Default::default() },
                container_id: "C".into(),
                command_executor: Some(true),
            }),
        },
        CheckpointWrite::Task {
            framework_id: framework_id.clone(),
            executor_id: executor_id.clone(),
            container_id: "C".into(),
            task: Box::new(TaskInfo { name: "t".into(), task_id: task_id.clone(), ..Default::default() }),
        },
        updates(TaskState::TaskRunning, vec![update(TaskState::TaskRunning, 1)]),
        updates(TaskState::TaskRunning, vec![]),
        updates(TaskState::TaskFinished, vec![update(TaskState::TaskFinished, 2)]),
        updates(TaskState::TaskFinished, vec![]),
    ]
}

fn recovered_state(paths: &Paths) -> Option<RecoveredState> {
    recover(paths, true).expect("recovery never fails after a crash").state
}

fn write_all(paths: &Paths, writes: &[CheckpointWrite]) {
    for write in writes {
        apply(paths, Some("A"), write).expect("write");
    }
}

#[test]
fn a_crash_at_any_step_leaves_a_recoverable_prefix() {
    let scenario = fail::FailScenario::setup();
    let history = history();
    // The state after each prefix of the history.
    let expected: Vec<Option<RecoveredState>> = (0..=history.len())
        .map(|k| {
            let dir = tempfile::tempdir().unwrap();
            let paths = Paths::new(dir.path());
            write_all(&paths, &history[..k]);
            recovered_state(&paths)
        })
        .collect();
    assert!(expected.last().unwrap().is_some());
    // Each write passes each point once per file it writes (the agent's
    // record writes three); crash at every hit of every point.
    let mut crashes = 0;
    for point in POINTS {
        for hit in 0..history.len() + 3 {
            let dir = tempfile::tempdir().unwrap();
            let paths = Paths::new(dir.path());
            fail::cfg(point, &format!("{hit}*off->panic")).unwrap();
            let crashed = catch_unwind(AssertUnwindSafe(|| write_all(&paths, &history))).is_err();
            fail::remove(point);
            crashes += usize::from(crashed);
            let state = recovered_state(&paths);
            assert!(expected.contains(&state), "a crash at {point}, hit {hit}, left a state no prefix has: {state:?}");
            if !crashed {
                assert_eq!(state, *expected.last().unwrap());
            }
        }
    }
    assert!(crashes >= 3 * history.len(), "the failpoints fired ({crashes} crashes)");
    scenario.teardown();
}

#[test]
fn a_failed_write_at_any_step_leaves_the_state_before_it() {
    let scenario = fail::FailScenario::setup();
    let history = history();
    let expected: Vec<Option<RecoveredState>> = (0..=history.len())
        .map(|k| {
            let dir = tempfile::tempdir().unwrap();
            let paths = Paths::new(dir.path());
            write_all(&paths, &history[..k]);
            recovered_state(&paths)
        })
        .collect();
    let mut failures = 0;
    for point in POINTS {
        for hit in 0..history.len() + 3 {
            let dir = tempfile::tempdir().unwrap();
            let paths = Paths::new(dir.path());
            fail::cfg(point, &format!("{hit}*off->return(error)")).unwrap();
            // The agent stops at the first failed write: what was written
            // before it, whole, is what a restart finds.
            let written = history.iter().take_while(|write| apply(&paths, Some("A"), write).is_ok()).count();
            fail::remove(point);
            let state = recovered_state(&paths);
            if written < history.len() {
                failures += 1;
                // The failed write is not on disk, or (failing after its
                // rename, or in a later file of a record that spans several)
                // is there in full: never torn.
                assert!(
                    state == expected[written] || state == expected[written + 1],
                    "a failure at {point}, hit {hit}, after {written} writes left {state:?}"
                );
            } else {
                assert_eq!(state, *expected.last().unwrap());
            }
        }
    }
    assert!(failures >= 3 * history.len(), "the failpoints fired ({failures} failures)");
    scenario.teardown();
}

#[test]
fn damaged_records_fail_strict_recovery_clearly_and_are_skipped_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::new(dir.path());
    write_all(&paths, &history());
    let record = paths.task_info("A", "F", "E", "C", "T");
    std::fs::write(&record, b"\xff\xff\xff torn").unwrap();
    let error = recover(&paths, true).unwrap_err();
    assert!(error.to_string().contains("task.info"), "{error}");
    let lenient = recover(&paths, false).expect("non-strict recovery").state.expect("the agent");
    assert!(lenient.frameworks[0].executors[0].tasks.is_empty(), "the damaged task is skipped");
}
