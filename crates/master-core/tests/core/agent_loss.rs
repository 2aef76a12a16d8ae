//! Agents disconnecting, going silent, coming back, and being marked gone.

use std::time::Duration;

use mesos_proto::internal::agent_event;
use mesos_proto::v1::{TaskState, framework_info::capability, task_status::Reason};

use crate::harness::{Harness, TestAgent, TestFramework};

/// An agent running one task of one framework.
fn running(h: &mut Harness, capabilities: &[capability::Type], checkpoint: bool) -> (TestAgent, TestFramework) {
    let (agent, fw) = h.running_task("t", capabilities, |info| info.checkpoint = Some(checkpoint));
    h.updates(&fw);
    (agent, fw)
}

#[test]
fn a_disconnected_agent_loses_the_tasks_of_frameworks_that_do_not_checkpoint() {
    let mut h = Harness::new();
    let (agent, fw) = running(&mut h, &[capability::Type::PartitionAware], false);
    h.disconnect_agent(&agent);
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskLost as i32);
    assert_eq!(update.reason, Some(Reason::AgentDisconnected as i32));

    let mut h = Harness::new();
    let (agent, fw) = running(&mut h, &[], true);
    h.disconnect_agent(&agent);
    assert!(h.updates(&fw).is_empty(), "checkpointing frameworks keep their tasks");
    assert_eq!(h.master.framework(&fw.id).unwrap().tasks.len(), 1);
}

#[test]
fn an_unreachable_agent_that_comes_back_brings_its_tasks_back() {
    let mut h = Harness::new();
    let (mut agent, fw) = running(&mut h, &[capability::Type::PartitionAware], true);
    h.disconnect_agent(&agent);
    h.advance(Duration::from_secs(80));
    assert_eq!(h.updates(&fw)[0].state, TaskState::TaskUnreachable as i32);
    let mut task = h.master.framework(&fw.id).unwrap().unreachable_tasks[0].record.as_ref().clone();
    task.state = TaskState::TaskRunning as i32;
    let framework_info = h.master.framework(&fw.id).unwrap().info.clone();
    h.reregister_agent(&mut agent, vec![task], vec![framework_info]).expect("re-registration");
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskRunning as i32);
    assert_eq!(update.reason, Some(Reason::AgentReregistered as i32));
    let framework = h.master.framework(&fw.id).unwrap();
    assert_eq!(framework.tasks.len(), 1);
    assert!(framework.unreachable_tasks.is_empty());
    assert_eq!(h.master.unreachable_agents().count(), 0);
}

#[test]
fn agents_are_marked_unreachable_no_faster_than_the_rate_limit() {
    let mut h = Harness::with_config(|c| c.agent_removal_rate_limit = Some((1, Duration::from_secs(60))));
    let first = h.add_agent("cpus:1;mem:128");
    let second = h.add_agent("cpus:1;mem:128");
    h.disconnect_agent(&first);
    h.disconnect_agent(&second);
    h.advance(Duration::from_secs(80));
    assert_eq!(h.master.unreachable_agents().count(), 1, "one permit per minute");
    h.advance(Duration::from_secs(60));
    assert_eq!(h.master.unreachable_agents().count(), 2);
}

#[test]
fn agents_marked_gone_never_come_back() {
    let mut h = Harness::new();
    let (mut agent, aware) = running(&mut h, &[capability::Type::PartitionAware], true);
    h.mark_gone(&agent).expect("mark gone");
    assert!(h.agent_closed(&agent));
    let events = h.agent_events(&agent);
    assert!(events.iter().any(|e| e.r#type == Some(agent_event::Type::Shutdown as i32)));
    let update = h.updates(&aware).remove(0);
    assert_eq!(update.state, TaskState::TaskGoneByOperator as i32);
    assert_eq!(update.reason, Some(Reason::AgentRemovedByOperator as i32));
    // It is told to shut down when it tries to come back.
    h.reregister_agent(&mut agent, Vec::new(), Vec::new()).expect("answered on the stream");
    assert!(h.agent_closed(&agent));
    let events = h.agent_events(&agent);
    assert!(events.iter().any(|e| e.r#type == Some(agent_event::Type::Shutdown as i32)), "{events:?}");
    assert!(h.master.agent(&agent.id).is_none());
    // Unknown agents cannot be marked gone.
    let nobody = mesos_proto::v1::AgentId { value: "nobody".into() };
    assert!(h.operator_call(mesos_master_core::input::OperatorCall::MarkAgentGone(nobody)).is_err());
}

#[test]
fn an_agent_that_missed_a_teardown_is_told_again_when_it_comes_back() {
    let mut h = Harness::new();
    let (mut agent, fw) = running(&mut h, &[], true);
    let task = h.master.framework(&fw.id).unwrap().tasks.values().next().unwrap().record.as_ref().clone();
    let framework_info = h.master.framework(&fw.id).unwrap().info.clone();
    // The agent is away while its framework is torn down, so it never
    // hears SHUTDOWN_FRAMEWORK.
    h.disconnect_agent(&agent);
    h.operator_call(mesos_master_core::input::OperatorCall::Teardown(fw.id.clone())).expect("torn down");
    h.agent_events(&agent);
    // Back (the master still knows it), it reports the framework's task
    // and an executor of it.
    let executor = mesos_proto::v1::ExecutorInfo {
        executor_id: mesos_proto::v1::ExecutorId { value: "e".into() },
        framework_id: Some(fw.id.clone()),
        resources: mesos_resources::parse::resources("cpus:0.5;mem:64", "*")
            .unwrap()
            .to_proto(mesos_resources::ResourceFormat::PostRefinement),
        ..Default::default()
    };
    let info = mesos_proto::v1::AgentInfo {
        hostname: "host".into(),
        id: Some(agent.id.clone()),
        resources: mesos_resources::parse::resources("cpus:2;mem:1024;disk:1000", "*")
            .unwrap()
            .to_proto(mesos_resources::ResourceFormat::PostRefinement),
        ..Default::default()
    };
    let reregister = mesos_proto::internal::agent_call::Reregister {
        agent_info: info,
        tasks: vec![task],
        frameworks: vec![framework_info],
        executor_infos: vec![executor],
        ..Default::default()
    };
    agent.stream = mesos_master_core::StreamId(900);
    agent.stream_id = "stream-900".into();
    let input = mesos_master_core::Input::AgentReregister {
        stream: agent.stream,
        stream_id: agent.stream_id.clone(),
        reregister: Box::new(reregister),
    };
    h.input(input).expect("re-registration");
    let shutdowns: Vec<_> = h.agent_events(&agent).into_iter().filter_map(|e| e.shutdown_framework).collect();
    assert_eq!(shutdowns.len(), 1);
    assert_eq!(shutdowns[0].framework_id, fw.id);
    assert!(h.master.framework(&fw.id).is_none(), "the removed framework stays removed");
    // Its executor's resources were given back with it: they are not in
    // use again.
    let known = h.master.agent(&agent.id).unwrap();
    assert!(known.used.is_empty(), "{:?}", known.used);
    assert!(known.executors.is_empty());
}

#[test]
fn a_task_whose_end_was_still_on_a_removed_agent_is_reported_as_a_live_one_would_be() {
    let mut h = Harness::new();
    let (agent, fw) = running(&mut h, &[capability::Type::PartitionAware], true);
    // The agent resends RUNNING, knowing the task has finished since; the
    // framework has not been told FINISHED when the agent is marked gone.
    h.agent_update_with_latest(&agent, &fw, "t", TaskState::TaskRunning, 1, Some(TaskState::TaskFinished));
    assert_eq!(h.updates(&fw).len(), 1);
    h.mark_gone(&agent).expect("mark gone");
    let update = h.updates(&fw).remove(0);
    assert_eq!(update.state, TaskState::TaskGoneByOperator as i32);
    assert_eq!(update.reason, Some(Reason::AgentRemovedByOperator as i32));
    assert!(update.uuid.is_none());
    let framework = h.master.framework(&fw.id).unwrap();
    assert!(framework.tasks.is_empty());
    assert_eq!(framework.completed_tasks[0].state(), TaskState::TaskFinished, "it keeps the state it ended in");

    // A framework that was sent the end hears nothing more.
    let mut h = Harness::new();
    let (agent, fw) = running(&mut h, &[capability::Type::PartitionAware], true);
    h.agent_update(&agent, &fw, "t", TaskState::TaskFinished, 2);
    assert_eq!(h.updates(&fw).len(), 1);
    h.mark_gone(&agent).expect("mark gone");
    assert!(h.updates(&fw).is_empty());
}

#[test]
fn reconciliation_answers_the_update_a_returning_agent_has_awaiting_acknowledgement() {
    let mut h = Harness::new();
    let mut agent = h.add_agent("cpus:2;mem:1024");
    let fw = h.subscribe_with("fw", &[], |info| info.checkpoint = Some(true));
    h.allocate();
    let offer = h.offers(&fw).remove(0);
    h.call(&fw, crate::harness::launch_call(&offer, &[("t", 1.0, 128.0)])).expect("launch");
    let framework_info = h.master.framework(&fw.id).unwrap().info.clone();
    let mut task = h.master.framework(&fw.id).unwrap().tasks.values().next().unwrap().record.as_ref().clone();
    // Away, the task ran and finished; the agent comes back with RUNNING
    // still to deliver.
    h.disconnect_agent(&agent);
    task.state = TaskState::TaskFinished as i32;
    task.status_update_state = Some(TaskState::TaskRunning as i32);
    task.status_update_uuid = Some(vec![1; 16]);
    h.reregister_agent(&mut agent, vec![task], vec![framework_info]).expect("re-registration");
    let reconcile = mesos_proto::v1::scheduler::Call {
        r#type: Some(mesos_proto::v1::scheduler::call::Type::Reconcile as i32),
        reconcile: Some(Default::default()),
        ..Default::default()
    };
    h.call(&fw, reconcile).expect("reconcile");
    let answer = h.updates(&fw).pop().expect("an answer");
    assert_eq!(answer.state, TaskState::TaskRunning as i32, "FINISHED is not the framework's to hear yet");
}
