//! Container sizes and limitations through the agent core's public interface.

use std::time::Duration;

use mesos_agent_core::{Agent, AgentAction, AgentConfig, ContainerLimitation, ExecutorStream};
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, FrameworkId, FrameworkInfo, Resource, TaskId, TaskInfo, TaskState,
    TaskStatus, task_status, value,
};
use mesos_resources::Resources;

const NOW: Duration = Duration::from_secs(1000);

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

fn subscribe(agent: &mut Agent, executor: &str) {
    let call = Call {
        executor_id: ExecutorId { value: executor.into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(Default::default()),
        ..Default::default()
    };
    agent.executor_subscribe(ExecutorStream(1), call, NOW).expect("subscribe");
}

#[test]
fn a_command_task_container_holds_the_task_and_the_executor_overhead() {
    let mut agent = Agent::new(config());
    agent.registered(AgentId { value: "A".into() }, NOW);
    agent.run_task(framework(), task("t", 64.0), "c1".into(), NOW);
    let spec = agent
        .take_actions()
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
    agent.registered(AgentId { value: "A".into() }, NOW);
    agent.run_task(framework(), task("t", 64.0), "c1".into(), NOW);
    subscribe(&mut agent, "t");
    agent.take_actions();
    let limitation = ContainerLimitation {
        reason: task_status::Reason::ContainerLimitationMemory,
        message: "Memory limit exceeded".into(),
        resources: vec![scalar("mem", 96.0)],
    };
    agent.container_limited("c1", limitation, NOW);
    let actions = agent.take_actions();
    assert!(actions.contains(&AgentAction::DestroyContainer { container_id: "c1".into() }), "{actions:?}");
    // The executor's own verdict, racing the agent's, is not taken.
    let update = Call {
        executor_id: ExecutorId { value: "t".into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Update as i32),
        update: Some(call::Update {
            status: TaskStatus {
                task_id: TaskId { value: "t".into() },
                state: TaskState::TaskFailed as i32,
                uuid: Some(vec![1; 16]),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    agent.executor_call(update, NOW).expect("accepted and ignored");
    assert!(agent.take_actions().iter().all(|a| !matches!(a, AgentAction::ToMaster(_))));
    agent.container_exited("c1", Some(9), NOW);
    let status = agent
        .take_actions()
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
    agent.registered(AgentId { value: "A".into() }, NOW);
    let executor = mesos_proto::v1::ExecutorInfo {
        executor_id: ExecutorId { value: "e".into() },
        resources: vec![scalar("mem", 32.0)],
        command: Some(CommandInfo { value: Some("x".into()), ..Default::default() }),
        ..Default::default()
    };
    let mut first = task("a", 100.0);
    first.command = None;
    first.executor = Some(executor.clone());
    agent.run_task(framework(), first, "c1".into(), NOW);
    subscribe(&mut agent, "e");
    agent.take_actions();
    let mut second = task("b", 50.0);
    second.command = None;
    second.executor = Some(executor);
    agent.run_task(framework(), second, "c2".into(), NOW);
    let sizes: Vec<f64> = agent
        .take_actions()
        .into_iter()
        .filter_map(|a| match a {
            AgentAction::UpdateContainer { container_id, resources } => {
                assert_eq!(container_id, "c1");
                Some(Resources::from_proto(&resources).expect("valid").scalar("mem").as_f64())
            }
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [182.0]);
}
