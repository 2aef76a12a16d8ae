//! The operator's event stream (`SUBSCRIBE` on `POST /api/v1`): who is
//! subscribed, the SUBSCRIBED snapshot that opens a stream, and the events
//! that follow it (tasks added and updated, agents added and removed,
//! frameworks added, updated and removed). Events are built only when
//! someone is subscribed, and go out as one broadcast action.

use std::collections::VecDeque;
use std::time::Duration;

use mesos_proto::v1::master::{Event, event};
use mesos_proto::v1::{AgentId, FrameworkId, FrameworkInfo, TaskId, TaskState, TaskStatus};

use crate::StreamId;
use crate::master::{Action, Master};

/// The open operator subscriptions, oldest first.
#[derive(Debug, Default)]
pub(crate) struct OperatorStreams {
    streams: VecDeque<StreamId>,
}

impl OperatorStreams {
    pub(crate) fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}

fn event(kind: event::Type) -> Event {
    Event { r#type: Some(kind as i32), ..Default::default() }
}

impl Master {
    /// An operator subscribed on `stream`: it gets SUBSCRIBED with the whole
    /// state and a first HEARTBEAT, then every event. Beyond
    /// `--max_operator_event_stream_subscribers` the oldest subscription is
    /// closed.
    pub(crate) fn operator_subscribe(&mut self, stream: StreamId, _now: Duration) {
        while self.operators.streams.len() >= self.config.max_operator_event_stream_subscribers.max(1) {
            if let Some(oldest) = self.operators.streams.pop_front() {
                self.actions.push(Action::CloseOperator { stream: oldest });
            }
        }
        self.operators.streams.push_back(stream);
        let mut subscribed = event(event::Type::Subscribed);
        subscribed.subscribed = Some(event::Subscribed {
            get_state: Some(self.get_state()),
            heartbeat_interval_seconds: Some(self.config.heartbeat_interval.as_secs_f64()),
        });
        self.actions.push(Action::ToOperator { stream, event: Box::new(subscribed) });
        self.actions.push(Action::ToOperator { stream, event: Box::new(event(event::Type::Heartbeat)) });
    }

    /// An operator's stream closed.
    pub(crate) fn operator_disconnected(&mut self, stream: StreamId) {
        self.operators.streams.retain(|s| *s != stream);
    }

    /// How many operators are subscribed.
    pub fn operator_subscribers(&self) -> usize {
        self.operators.streams.len()
    }

    /// Sends the event `make` builds to every operator, if there is one.
    fn notify_operators(&mut self, make: impl FnOnce(&Master) -> Option<Event>) {
        if self.operators.is_empty() {
            return;
        }
        if let Some(event) = make(self) {
            self.actions.push(Action::ToOperators { event: Box::new(event) });
        }
    }

    pub(crate) fn notify_task_added(&mut self, framework: &FrameworkId, task: &TaskId) {
        self.notify_operators(|master| {
            let task = master.frameworks.get(framework)?.tasks.get(task)?;
            let mut added = event(event::Type::TaskAdded);
            added.task_added = Some(event::TaskAdded { task: (*task.record).clone() });
            Some(added)
        });
    }

    /// A task's latest state became `state`, as `status` tells.
    pub(crate) fn notify_task_updated(&mut self, framework: &FrameworkId, status: &TaskStatus, state: TaskState) {
        self.notify_operators(|_| {
            let mut status = status.clone();
            status.data = None;
            let mut updated = event(event::Type::TaskUpdated);
            updated.task_updated =
                Some(event::TaskUpdated { framework_id: framework.clone(), status, state: state as i32 });
            Some(updated)
        });
    }

    pub(crate) fn notify_agent_added(&mut self, agent: &AgentId) {
        self.notify_operators(|master| {
            let agent = master.agents.get(agent)?;
            let mut added = event(event::Type::AgentAdded);
            added.agent_added = Some(event::AgentAdded { agent: master.agent_view(agent) });
            Some(added)
        });
    }

    pub(crate) fn notify_agent_removed(&mut self, agent: &AgentId) {
        self.notify_operators(|_| {
            let mut removed = event(event::Type::AgentRemoved);
            removed.agent_removed = Some(event::AgentRemoved { agent_id: agent.clone() });
            Some(removed)
        });
    }

    pub(crate) fn notify_framework_added(&mut self, framework: &FrameworkId) {
        self.notify_operators(|master| {
            let framework = master.frameworks.get(framework)?;
            let mut added = event(event::Type::FrameworkAdded);
            added.framework_added = Some(event::FrameworkAdded { framework: master.framework_view(framework) });
            Some(added)
        });
    }

    pub(crate) fn notify_framework_updated(&mut self, framework: &FrameworkId) {
        self.notify_operators(|master| {
            let framework = master.frameworks.get(framework)?;
            let mut updated = event(event::Type::FrameworkUpdated);
            updated.framework_updated = Some(event::FrameworkUpdated { framework: master.framework_view(framework) });
            Some(updated)
        });
    }

    pub(crate) fn notify_framework_removed(&mut self, info: &FrameworkInfo) {
        self.notify_operators(|_| {
            let mut removed = event(event::Type::FrameworkRemoved);
            removed.framework_removed = Some(event::FrameworkRemoved { framework_info: info.clone() });
            Some(removed)
        });
    }
}
