//! A small driver for agent-core tests: every input goes through
//! [`Agent::handle`], and checkpoints are reported stored at once (as a
//! disk that never fails would), so a test sees every action in the order
//! the world would.

#![allow(dead_code)]

use std::time::Duration;

use mesos_agent_core::{
    Agent, AgentAction, AgentConfig, AgentInput, ExecutorRequest, ExecutorStream, FromMaster, MasterMessageError,
};
use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::executor::{Call, call};
use mesos_proto::v1::{AgentId, AgentInfo, ExecutorId, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskStatus};

pub const NOW: Duration = Duration::from_secs(1000);

pub fn config() -> AgentConfig {
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

/// Feeds `input`, reports every checkpoint stored, and returns every
/// action released, in order.
pub fn step(agent: &mut Agent, input: AgentInput) -> Vec<AgentAction> {
    agent.handle(NOW, input).expect("accepted");
    drain(agent)
}

/// The released actions, checkpoints reported stored until nothing waits.
pub fn drain(agent: &mut Agent) -> Vec<AgentAction> {
    let mut all = Vec::new();
    loop {
        let actions = agent.take_actions();
        if actions.is_empty() {
            return all;
        }
        for action in actions {
            if let AgentAction::Checkpoint { ticket, .. } = &action {
                let ticket = *ticket;
                all.push(action);
                agent.handle(NOW, AgentInput::CheckpointStored { ticket }).expect("stored");
            } else {
                all.push(action);
            }
        }
    }
}

/// A master event, parsed as the daemon parses it.
pub fn master(event: AgentEvent) -> Result<AgentInput, MasterMessageError> {
    FromMaster::try_from(event).map(AgentInput::FromMaster)
}

pub fn registered(agent: &mut Agent) -> Vec<AgentAction> {
    let event = AgentEvent {
        r#type: Some(agent_event::Type::Registered as i32),
        registered: Some(agent_event::Registered {
            agent_id: AgentId { value: "A".into() },
            master_info: Default::default(),
            ping_timeout_seconds: None,
        }),
        ..Default::default()
    };
    step(agent, master(event).expect("valid"))
}

/// RUN_TASK; returns the container id of the executor launched (or the
/// existing one's) and the actions.
pub fn run_task(agent: &mut Agent, framework: FrameworkInfo, task: TaskInfo) -> Vec<AgentAction> {
    let event = AgentEvent {
        r#type: Some(agent_event::Type::RunTask as i32),
        run_task: Some(agent_event::RunTask { framework_info: framework, task }),
        ..Default::default()
    };
    step(agent, master(event).expect("valid"))
}

/// The container id of the first launch among `actions`.
pub fn launched(actions: &[AgentAction]) -> String {
    actions
        .iter()
        .find_map(|a| match a {
            AgentAction::LaunchExecutor(spec) => Some(spec.container_id.clone()),
            _ => None,
        })
        .expect("a launch")
}

pub fn executor_request(call: Call) -> AgentInput {
    match ExecutorRequest::try_from(call).expect("a valid call") {
        ExecutorRequest::Subscribe(subscribe) => AgentInput::ExecutorSubscribe { stream: ExecutorStream(1), subscribe },
        ExecutorRequest::Call(call) => AgentInput::ExecutorCall(call),
    }
}

pub fn subscribe(agent: &mut Agent, executor: &str) -> Vec<AgentAction> {
    let call = Call {
        executor_id: ExecutorId { value: executor.into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(Default::default()),
        ..Default::default()
    };
    step(agent, executor_request(call))
}

pub fn update_call(executor: &str, task: &str, state: mesos_proto::v1::TaskState, uuid: u8) -> Call {
    Call {
        executor_id: ExecutorId { value: executor.into() },
        framework_id: FrameworkId { value: "F".into() },
        r#type: Some(call::Type::Update as i32),
        update: Some(call::Update {
            status: TaskStatus {
                task_id: TaskId { value: task.into() },
                state: state as i32,
                uuid: Some(vec![uuid; 16]),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

pub fn acknowledge(agent: &mut Agent, task: &str, uuid: &[u8]) -> Vec<AgentAction> {
    let event = AgentEvent {
        r#type: Some(agent_event::Type::Acknowledge as i32),
        acknowledge: Some(agent_event::Acknowledge {
            framework_id: FrameworkId { value: "F".into() },
            task_id: TaskId { value: task.into() },
            uuid: uuid.to_vec(),
        }),
        ..Default::default()
    };
    step(agent, master(event).expect("valid"))
}
