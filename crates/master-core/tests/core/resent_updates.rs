//! Updates an agent sends again after a restart or a partition: a task that
//! ended meanwhile gives its resources back once, and its final update can
//! still be acknowledged.

use std::time::Duration;

use mesos_proto::v1::framework_info::capability;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{Task, TaskState, TaskStatus};
use mesos_resources::Resources;

use crate::harness::{Harness, TestAgent, TestFramework};

/// A checkpointing framework's task running on an agent that then goes away.
fn lost_while_running(h: &mut Harness, capabilities: &[capability::Type]) -> (TestAgent, TestFramework) {
    let (agent, fw) = h.running_task("t", capabilities, |info| info.checkpoint = Some(true));
    h.updates(&fw);
    h.disconnect_agent(&agent);
    (agent, fw)
}

/// The task as the agent reports it: finished, its last update `[2; 16]`.
fn finished(mut task: Task) -> Task {
    task.state = TaskState::TaskFinished as i32;
    task.statuses = vec![TaskStatus {
        task_id: task.task_id.clone(),
        state: TaskState::TaskFinished as i32,
        uuid: Some(vec![2; 16]),
        ..Default::default()
    }];
    task
}

/// What the allocator holds for `fw` on `agent` against what the master
/// counts there (offered and used).
fn books(h: &Harness, agent: &TestAgent, fw: &TestFramework) -> (Resources, Resources) {
    let held = h
        .master
        .allocator()
        .allocated_to(&fw.id)
        .into_iter()
        .filter(|(on, _)| *on == agent.id)
        .fold(Resources::new(), |sum, (_, r)| sum.plus(&r.unallocated()));
    let master = h.master.agent(&agent.id).expect("the agent is known");
    (held, master.offered.unallocated().plus(&master.used_total().unallocated()))
}

fn same(a: &Resources, b: &Resources) -> bool {
    a.contains(b) && b.contains(a)
}

#[test]
fn a_task_that_ended_while_its_agent_was_away_frees_its_resources_once() {
    let mut h = Harness::new();
    let (mut agent, fw) = lost_while_running(&mut h, &[]);
    let task = finished(h.master.framework(&fw.id).unwrap().tasks.values().next().unwrap().record.as_ref().clone());
    let info = h.master.framework(&fw.id).unwrap().info.clone();
    h.reregister_agent(&mut agent, vec![task], vec![info]).expect("re-registration");
    assert_eq!(h.master.agent(&agent.id).unwrap().used_total(), Resources::new());
    // The whole agent is offered again.
    h.allocate();
    let (held, counted) = books(&h, &agent, &fw);
    assert!(same(&held, &counted), "{held:?} against {counted:?}");

    // The RUNNING update resent with the newer state gives nothing back twice.
    h.agent_update_with_latest(&agent, &fw, "t", TaskState::TaskRunning, 1, Some(TaskState::TaskFinished));
    let (held, counted) = books(&h, &agent, &fw);
    assert!(same(&held, &counted), "{held:?} against {counted:?}");
}

#[test]
fn the_final_update_of_a_task_back_from_an_unreachable_agent_can_be_acknowledged() {
    let mut h = Harness::new();
    let (mut agent, fw) = lost_while_running(&mut h, &[capability::Type::PartitionAware]);
    h.advance(Duration::from_secs(80));
    assert_eq!(h.updates(&fw)[0].state, TaskState::TaskUnreachable as i32);
    let task = finished(h.master.framework(&fw.id).unwrap().unreachable_tasks[0].record.as_ref().clone());
    let info = h.master.framework(&fw.id).unwrap().info.clone();
    h.reregister_agent(&mut agent, vec![task], vec![info]).expect("re-registration");

    // The agent resends RUNNING, then FINISHED, which the master already
    // saw in the agent's report; each is acknowledged in turn.
    h.agent_update_with_latest(&agent, &fw, "t", TaskState::TaskRunning, 1, Some(TaskState::TaskFinished));
    h.acknowledge(&fw, &agent, "t", 1).expect("ack");
    h.agent_update_with_latest(&agent, &fw, "t", TaskState::TaskFinished, 2, Some(TaskState::TaskFinished));
    assert_eq!(h.updates(&fw).last().map(|s| s.state), Some(TaskState::TaskFinished as i32));
    // Reconciliation reports the update awaiting acknowledgement.
    let reconcile = Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile { tasks: Vec::new() }),
        ..Default::default()
    };
    h.call(&fw, reconcile).expect("reconcile");
    assert_eq!(h.updates(&fw).last().map(|s| s.state), Some(TaskState::TaskFinished as i32));
    h.acknowledge(&fw, &agent, "t", 2).expect("ack");
    let framework = h.master.framework(&fw.id).unwrap();
    assert!(framework.tasks.is_empty(), "acknowledging the final update completes the task");
    assert_eq!(framework.completed_tasks.back().map(|t| t.state()), Some(TaskState::TaskFinished));
}
