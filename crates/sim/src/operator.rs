//! The simulated operator's own state: its subscriptions to the master's
//! event stream, each with the picture of the cluster it builds from the
//! SUBSCRIBED snapshot and the events that follow (checked against the
//! master at the end), and the machines it took down for maintenance.
//! What it does is in `world/operator.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mesos_master_core::StreamId;
use mesos_proto::v1::master::{Event, event};
use mesos_proto::v1::{Task, TaskState};

/// What one event-stream subscription has told the operator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatorView {
    /// SUBSCRIBED arrived.
    pub subscribed: bool,
    /// The state of every task it heard of, by (framework, task).
    pub tasks: BTreeMap<(String, String), TaskState>,
    pub agents: BTreeSet<String>,
    pub frameworks: BTreeSet<String>,
    /// Events received, SUBSCRIBED and heartbeats included.
    pub events: u64,
}

fn state_of(task: &Task) -> TaskState {
    TaskState::try_from(task.state).unwrap_or(TaskState::TaskUnknown)
}

impl OperatorView {
    /// Takes one event of the stream.
    pub fn apply(&mut self, event: &Event) {
        self.events += 1;
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                let state = event.subscribed.as_ref().and_then(|s| s.get_state.clone()).unwrap_or_default();
                *self = OperatorView { subscribed: true, events: self.events, ..Default::default() };
                let tasks = state.get_tasks.unwrap_or_default();
                // Ended ones first: a task that came back is active.
                for task in tasks.completed_tasks.iter().chain(&tasks.unreachable_tasks).chain(&tasks.tasks) {
                    self.tasks.insert((task.framework_id.value.clone(), task.task_id.value.clone()), state_of(task));
                }
                let agents = state.get_agents.unwrap_or_default().agents;
                self.agents =
                    agents.iter().filter_map(|a| a.agent_info.id.as_ref()).map(|id| id.value.clone()).collect();
                let frameworks = state.get_frameworks.unwrap_or_default().frameworks;
                self.frameworks =
                    frameworks.iter().filter_map(|f| f.framework_info.id.as_ref()).map(|id| id.value.clone()).collect();
            }
            Some(event::Type::TaskAdded) => {
                if let Some(added) = &event.task_added {
                    let task = &added.task;
                    self.tasks.insert((task.framework_id.value.clone(), task.task_id.value.clone()), state_of(task));
                }
            }
            Some(event::Type::TaskUpdated) => {
                if let Some(updated) = &event.task_updated {
                    let key = (updated.framework_id.value.clone(), updated.status.task_id.value.clone());
                    self.tasks.insert(key, TaskState::try_from(updated.state).unwrap_or(TaskState::TaskUnknown));
                }
            }
            Some(event::Type::AgentAdded) => {
                if let Some(id) = event.agent_added.as_ref().and_then(|a| a.agent.agent_info.id.as_ref()) {
                    self.agents.insert(id.value.clone());
                }
            }
            Some(event::Type::AgentRemoved) => {
                if let Some(removed) = &event.agent_removed {
                    self.agents.remove(&removed.agent_id.value);
                }
            }
            Some(event::Type::FrameworkAdded) => {
                if let Some(id) = event.framework_added.as_ref().and_then(|f| f.framework.framework_info.id.as_ref()) {
                    self.frameworks.insert(id.value.clone());
                }
            }
            Some(event::Type::FrameworkRemoved) => {
                if let Some(id) = event.framework_removed.as_ref().and_then(|f| f.framework_info.id.as_ref()) {
                    self.frameworks.remove(&id.value);
                }
            }
            _ => {}
        }
    }
}

/// The operator.
#[derive(Debug, Default)]
pub struct SimOperator {
    /// Open event-stream subscriptions, by stream.
    pub subscriptions: BTreeMap<StreamId, OperatorView>,
    /// Machines it took down, by agent index, and since when.
    pub down_since: BTreeMap<usize, Duration>,
    /// Persistent volumes made so far (for their ids).
    pub volumes: u64,
    /// Calls it made, and how many the master refused.
    pub calls: u64,
    pub refused: u64,
    /// Queries answered and checked.
    pub queries: u64,
}

impl SimOperator {
    pub fn open_streams(&self) -> Vec<StreamId> {
        self.subscriptions.keys().copied().collect()
    }

    /// An event arrives on `stream` (dropped if it is no longer open).
    pub fn receive(&mut self, stream: StreamId, event: Event) {
        if let Some(view) = self.subscriptions.get_mut(&stream) {
            view.apply(&event);
        }
    }

    /// The master ended a subscription.
    pub fn closed(&mut self, stream: StreamId) {
        self.subscriptions.remove(&stream);
    }
}
