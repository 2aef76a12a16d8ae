//! The simulated executors: subscribing to their agent, taking its events,
//! and the updates they send.

use std::time::Duration;

use mesos_agent_core::{AgentInput, ExecutorRequest, ExecutorStream};
use mesos_proto::v1::executor::{
    Call as ExecutorCall, Event as ExecutorEvent, call as executor_call, event as executor_event,
};
use mesos_proto::v1::{TaskId, TaskState, TaskStatus, task_status};
use rand::Rng;

use super::{Event, World};

impl World {
    pub(super) fn executor_subscribe(&mut self, agent: usize, container: &str) {
        let stream = self.agents[agent].new_executor_stream();
        let sim = &mut self.agents[agent];
        let (Some(core), Some(executor)) = (sim.core.as_mut(), sim.executors.get_mut(container)) else { return };
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
        let input = AgentInput::ExecutorSubscribe { stream, subscribe };
        self.coverage.agent_input(&input);
        if core.handle(self.now, input).is_ok() {
            executor.stream = Some(stream);
            // What the agent accepted again counts as generated.
            let unacked = executor.unacked.clone();
            for status in unacked {
                self.record_generated(agent, container, &status);
            }
        } else {
            self.agents[agent].executors.remove(container);
        }
        self.dispatch_agent(agent);
    }

    pub(super) fn deliver_to_executor(&mut self, agent: usize, stream: ExecutorStream, event: ExecutorEvent) {
        let Some(container) = self.agents[agent].container_of(stream) else { return };
        let kind = event.r#type.and_then(|t| executor_event::Type::try_from(t).ok());
        let mut later = Vec::new();
        let executor = self.agents[agent].executors.get_mut(&container).expect("found");
        match kind {
            Some(executor_event::Type::Launch) => {
                if let Some(launch) = event.launch {
                    let task = launch.task.task_id.value;
                    executor.tasks.insert(task.clone(), TaskState::TaskStaging);
                    later.push((Duration::from_millis(5), task.clone(), TaskState::TaskRunning));
                    let runtime = Duration::from_millis(self.rng.random_range(500..30_000));
                    later.push((runtime, task, TaskState::TaskFinished));
                }
            }
            Some(executor_event::Type::Kill) => {
                if let Some(kill) = event.kill {
                    later.push((Duration::from_millis(20), kill.task_id.value, TaskState::TaskKilled));
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
        let (Some(core), Some(_)) = (sim.core.as_mut(), executor.stream) else { return };
        let call = ExecutorCall {
            executor_id: executor.executor_id.clone(),
            framework_id: executor.framework_id.clone(),
            r#type: Some(executor_call::Type::Update as i32),
            update: Some(executor_call::Update { status: status.clone() }),
            ..Default::default()
        };
        let Ok(ExecutorRequest::Call(call)) = ExecutorRequest::try_from(call) else { return };
        let input = AgentInput::ExecutorCall(call);
        self.coverage.agent_input(&input);
        if core.handle(self.now, input).is_ok() {
            self.record_generated(agent, container, &status);
        }
        self.dispatch_agent(agent);
    }

    pub(super) fn record_generated(&mut self, agent: usize, container: &str, status: &TaskStatus) {
        let Some(executor) = self.agents[agent].executors.get(container) else { return };
        let key = (executor.framework_id.value.clone(), status.task_id.value.clone());
        let generation = crate::framework::generation(status).unwrap_or_default();
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        let list = self.generated.entry(key).or_default();
        if !list.iter().any(|(g, _)| *g == generation) {
            list.push((generation, state));
        }
    }
}
