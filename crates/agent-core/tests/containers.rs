//! Container sizes and limitations through the agent core's public interface.

mod common;

use common::{config, executor_request, launched, registered, run_task, step, subscribe, update_call};
use mesos_agent_core::{Agent, AgentAction, AgentInput, ContainerLimitation};
use mesos_proto::v1::{
    CommandInfo, ExecutorId, FrameworkId, FrameworkInfo, Resource, TaskId, TaskInfo, TaskState, task_status, value,
};
use mesos_resources::Resources;

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn framework() -> FrameworkInfo {
    FrameworkInfo {
        user: "u".into(),
        name: "f".into(),
        id: Some(FrameworkId { value: "F".into() }),
        ..Default::default()
    }
}

fn task(id: &str, mem: f64) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        resources: vec![scalar("cpus", 1.0), scalar("mem", mem)],
        command: Some(CommandInfo { value: Some("sleep 1".into()), ..Default::default() }),
        ..Default::default()
    }
}

#[test]
fn a_command_task_container_holds_the_task_and_the_executor_overhead() {
    let mut agent = Agent::new(config());
    registered(&mut agent);
    let spec = run_task(&mut agent, framework(), task("t", 64.0))
        .into_iter()
        .find_map(|a| match a {
            AgentAction::LaunchExecutor(spec) => Some(spec),
            _ => None,
        })
        .expect("a launch");
    let resources = Resources::from_proto(&spec.resources).expect("valid resources");
    assert_eq!(resources.scalar("mem").as_f64(), 96.0);
    assert_eq!(resources.scalar("cpus").as_f64(), 1.1);
    assert!(spec.executor.command.unwrap().value.unwrap().ends_with("/mesos-executor"));
}

#[test]
fn a_memory_limitation_fails_the_task_on_the_agents_authority() {
    let mut agent = Agent::new(config());
    registered(&mut agent);
    let container = launched(&run_task(&mut agent, framework(), task("t", 64.0)));
    subscribe(&mut agent, "t");
    let limitation = ContainerLimitation {
        reason: task_status::Reason::ContainerLimitationMemory,
        message: "Memory limit exceeded".into(),
        resources: vec![scalar("mem", 96.0)],
    };
    let actions = step(&mut agent, AgentInput::ContainerLimited { container_id: container.clone(), limitation });
    assert!(actions.contains(&AgentAction::DestroyContainer { container_id: container.clone() }), "{actions:?}");
    // The executor's own verdict, racing the agent's, is not taken.
    let actions = step(&mut agent, executor_request(update_call("t", "t", TaskState::TaskFailed, 1)));
    assert!(actions.iter().all(|a| !matches!(a, AgentAction::ToMaster(_))));
    let status = step(&mut agent, AgentInput::ContainerExited { container_id: container, status: Some(9) })
        .into_iter()
        .find_map(|a| match a {
            AgentAction::ToMaster(call) => call.status_update.map(|u| u.status),
            _ => None,
        })
        .expect("an update to the master");
    assert_eq!(status.state, TaskState::TaskFailed as i32);
    assert_eq!(status.reason, Some(task_status::Reason::ContainerLimitationMemory as i32));
    assert_eq!(status.source, Some(task_status::Source::Agent as i32));
    assert_eq!(status.limitation.expect("the limitation").resources, vec![scalar("mem", 96.0)]);
}

#[test]
fn a_container_is_resized_as_its_tasks_come_and_go() {
    let mut agent = Agent::new(config());
    registered(&mut agent);
    let executor = mesos_proto::v1::ExecutorInfo {
        executor_id: ExecutorId { value: "e".into() },
        resources: vec![scalar("mem", 32.0)],
        command: Some(CommandInfo { value: Some("x".into()), ..Default::default() }),
        ..Default::default()
    };
    let mut first = task("a", 100.0);
    first.command = None;
    first.executor = Some(executor.clone());
    let container = launched(&run_task(&mut agent, framework(), first));
    subscribe(&mut agent, "e");
    let mut second = task("b", 50.0);
    second.command = None;
    second.executor = Some(executor);
    let sizes: Vec<f64> = run_task(&mut agent, framework(), second)
        .into_iter()
        .filter_map(|a| match a {
            AgentAction::UpdateContainer { container_id, resources } => {
                assert_eq!(container_id, container);
                Some(Resources::from_proto(&resources).expect("valid").scalar("mem").as_f64())
            }
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [182.0]);
}
