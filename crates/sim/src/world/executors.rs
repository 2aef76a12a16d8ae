//! The simulated executors: subscribing to their agent (again after their
//! stream closed or the agent restarted, with the updates it has not
//! acknowledged), taking its events (LAUNCH, LAUNCH_GROUP, KILL, MESSAGE,
//! SHUTDOWN, ACKNOWLEDGED), and the updates and messages they send.

use std::time::Duration;

use mesos_agent_core::{AgentInput, ExecutorRequest, ExecutorStream};
use mesos_proto::v1::executor::{
    Call as ExecutorCall, Event as ExecutorEvent, call as executor_call, event as executor_event,
};
use mesos_proto::v1::{TaskId, TaskState, TaskStatus, task_status};
use rand::Rng;

use super::{Event, World};

/// Whether a task runs until it is killed.
fn serves(task: &mesos_proto::v1::TaskInfo) -> bool {
    task.command.as_ref().and_then(|c| c.value.as_deref()) == Some(crate::framework::SERVE)
}

impl World {
    pub(super) fn executor_subscribe(&mut self, agent: usize, container: &str) {
        let stream = self.agents[agent].new_executor_stream();
        let sim = &mut self.agents[agent];
        let (Some(_), Some(executor)) = (sim.core.as_ref(), sim.executors.get(container)) else { return };
        if executor.stream.is_some() {
            return;
        }
        let call = ExecutorCall {
            executor_id: executor.executor_id.clone(),
            framework_id: executor.framework_id.clone(),
            r#type: Some(executor_call::Type::Subscribe as i32),
            subscribe: Some(executor_call::Subscribe {
                unacknowledged_tasks: Vec::new(),
                unacknowledged_updates: executor
                    .unacked
                    .iter()
                    .map(|s| executor_call::Update { status: s.clone() })
                    .collect(),
            }),
            ..Default::default()
        };
        let Ok(ExecutorRequest::Subscribe(subscribe)) = ExecutorRequest::try_from(call) else { return };
        // The stream is the executor's before the agent answers on it.
        if let Some(executor) = self.agents[agent].executors.get_mut(container) {
            executor.stream = Some(stream);
        }
        if !self.agent_input(agent, AgentInput::ExecutorSubscribe { stream, subscribe }) {
            // Refused: the agent no longer knows it; it exits.
            self.agents[agent].executors.remove(container);
        }
    }

    /// The executor's stream to its agent closes; it subscribes again a
    /// little later.
    pub(super) fn executor_stream_closes(&mut self, agent: usize, container: &str) {
        let Some(stream) = self.agents[agent].executors.get_mut(container).and_then(|e| e.stream.take()) else {
            return;
        };
        self.fault(format!("the stream of executor {container} on agent {agent} closed"));
        self.agent_input(agent, AgentInput::ExecutorClosed { stream });
        let back = Duration::from_millis(self.rng.random_range(100..2_000));
        self.schedule(back, Event::ExecutorSubscribe { agent, container: container.to_owned() });
    }

    pub(super) fn deliver_to_executor(&mut self, agent: usize, stream: ExecutorStream, event: ExecutorEvent) {
        let Some(container) = self.agents[agent].container_of(stream) else { return };
        let kind = event.r#type.and_then(|t| executor_event::Type::try_from(t).ok());
        let mut later = Vec::new();
        let runtime = Duration::from_millis(self.rng.random_range(500..30_000));
        let Some(executor) = self.agents[agent].executors.get_mut(&container) else { return };
        match kind {
            Some(executor_event::Type::Launch) => {
                if let Some(launch) = event.launch {
                    let serves = serves(&launch.task);
                    let task = launch.task.task_id.value;
                    executor.tasks.insert(task.clone(), TaskState::TaskStaging);
                    later.push((Duration::from_millis(5), task.clone(), TaskState::TaskRunning));
                    if !serves {
                        later.push((runtime, task, TaskState::TaskFinished));
                    }
                }
            }
            Some(executor_event::Type::LaunchGroup) => {
                if let Some(launch) = event.launch_group {
                    let serves = launch.task_group.tasks.iter().any(serves);
                    let group: Vec<String> = launch.task_group.tasks.into_iter().map(|t| t.task_id.value).collect();
                    for task in &group {
                        executor.tasks.insert(task.clone(), TaskState::TaskStaging);
                        later.push((Duration::from_millis(5), task.clone(), TaskState::TaskRunning));
                        if !serves {
                            later.push((runtime, task.clone(), TaskState::TaskFinished));
                        }
                    }
                    executor.groups.push(group);
                }
            }
            Some(executor_event::Type::Kill) => {
                // Killing a task of a group kills the group.
                if let Some(kill) = event.kill {
                    for task in executor.group_of(&kill.task_id.value) {
                        later.push((Duration::from_millis(20), task, TaskState::TaskKilled));
                    }
                }
            }
            Some(executor_event::Type::Message) => {
                if let Some(message) = event.message {
                    let mut data = b"re: ".to_vec();
                    data.extend(message.data);
                    let container = container.clone();
                    self.schedule(Duration::from_millis(5), Event::ExecutorMessage { agent, container, data });
                }
            }
            Some(executor_event::Type::Shutdown) => {
                executor.exiting = true;
                for task in executor.tasks.clone().into_keys() {
                    later.push((Duration::from_millis(10), task, TaskState::TaskKilled));
                }
                let delay = Duration::from_millis(100);
                self.schedule(delay, Event::ExecutorExit { agent, container: container.clone(), status: Some(0) });
            }
            Some(executor_event::Type::Acknowledged) => {
                if let Some(ack) = event.acknowledged {
                    // The agent took charge of the update: it must reach
                    // the framework.
                    let acked: Vec<TaskStatus> = executor
                        .unacked
                        .iter()
                        .filter(|s| s.uuid.as_deref() == Some(ack.uuid.as_slice()))
                        .cloned()
                        .collect();
                    executor.unacked.retain(|s| s.uuid.as_deref() != Some(ack.uuid.as_slice()));
                    let done = !executor.tasks.is_empty()
                        && executor.tasks.values().all(|s| s.is_terminal())
                        && executor.unacked.is_empty();
                    if done && !executor.exiting {
                        executor.exiting = true;
                        self.schedule(
                            Duration::from_millis(10),
                            Event::ExecutorExit { agent, container: container.clone(), status: Some(0) },
                        );
                    }
                    for status in acked {
                        self.record_generated(agent, &container, &status);
                    }
                }
            }
            _ => {}
        }
        for (after, task, state) in later {
            self.schedule(after, Event::ExecutorUpdate { agent, container: container.clone(), task, state });
        }
    }

    pub(super) fn executor_update(&mut self, agent: usize, container: &str, task: &str, state: TaskState) {
        self.next_generation += 1;
        let generation = self.next_generation;
        let sim = &mut self.agents[agent];
        let Some(executor) = sim.executors.get_mut(container) else { return };
        let current = executor.tasks.get(task).copied();
        if current.is_none_or(|s| s.is_terminal()) {
            return;
        }
        let uuid = crate::framework::uuid_of(generation);
        let status = TaskStatus {
            task_id: TaskId { value: task.to_owned() },
            state: state as i32,
            source: Some(task_status::Source::Executor as i32),
            uuid: Some(uuid),
            ..Default::default()
        };
        executor.tasks.insert(task.to_owned(), state);
        executor.unacked.push(status.clone());
        let update = executor_call::Update { status };
        self.executor_call(agent, container, executor_call::Type::Update, |call| call.update = Some(update));
    }

    pub(super) fn executor_message(&mut self, agent: usize, container: &str, data: Vec<u8>) {
        let message = executor_call::Message { data };
        self.executor_call(agent, container, executor_call::Type::Message, |call| call.message = Some(message));
    }

    /// A call of a subscribed executor, parsed as the daemon parses it
    /// (none while it has no stream: an update waits to be sent again when
    /// it subscribes).
    fn executor_call(
        &mut self,
        agent: usize,
        container: &str,
        kind: executor_call::Type,
        fill: impl FnOnce(&mut ExecutorCall),
    ) {
        let sim = &self.agents[agent];
        let Some(executor) = sim.executors.get(container) else { return };
        if sim.core.is_none() || executor.stream.is_none() {
            return;
        }
        let mut call = ExecutorCall {
            executor_id: executor.executor_id.clone(),
            framework_id: executor.framework_id.clone(),
            r#type: Some(kind as i32),
            ..Default::default()
        };
        fill(&mut call);
        match ExecutorRequest::try_from(call) {
            Ok(ExecutorRequest::Call(call)) => {
                self.agent_input(agent, AgentInput::ExecutorCall(call));
            }
            other => self.fault(format!("executor {container} sent a malformed call: {other:?}")),
        }
    }

    pub(super) fn record_generated(&mut self, agent: usize, container: &str, status: &TaskStatus) {
        let Some(executor) = self.agents[agent].executors.get(container) else { return };
        let key = (executor.framework_id.value.clone(), status.task_id.value.clone());
        let generation = crate::framework::generation(status).unwrap_or_default();
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        let wipes = self.agents[agent].wipes;
        let list = self.generated.entry(key).or_default();
        if !list.iter().any(|g| g.generation == generation) {
            list.push(super::Generated { generation, state, agent, wipes });
        }
    }
}
