//! A task as the master tracks it: the `Task` record the operator API
//! reports, plus the resources to give back when it ends.

use std::time::Duration;

use mesos_proto::v1::{self, TaskState, TaskStatus, task_status};
use mesos_resources::{ResourceFormat, Resources};

/// A launched task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Boxed: maps of tasks move their values when they grow, and the
    /// record is large.
    pub record: Box<v1::Task>,
    /// The resources it holds, allocated to `role`.
    pub resources: Resources,
    pub role: String,
}

impl Task {
    /// A task just accepted for launch, in TASK_STAGING.
    pub fn staging(info: &v1::TaskInfo, framework: &v1::FrameworkInfo, resources: Resources, role: &str) -> Task {
        let mut record = v1::Task::of_info(
            info,
            framework.id.clone().unwrap_or_default(),
            info.agent_id.clone(),
            info.executor.as_ref().map(|e| e.executor_id.clone()),
            TaskState::TaskStaging,
        );
        record.resources = resources.to_proto(ResourceFormat::PostRefinement);
        record.user = info
            .command
            .as_ref()
            .and_then(|c| c.user.clone())
            .or_else(|| Some(framework.user.clone()).filter(|u| !u.is_empty()));
        Task { record: Box::new(record), resources, role: role.to_owned() }
    }

    pub fn state(&self) -> TaskState {
        TaskState::try_from(self.record.state).unwrap_or(TaskState::TaskStaging)
    }

    pub fn is_terminal(&self) -> bool {
        self.state().is_terminal()
    }

    /// Records an update: the latest state moves to `latest` and the status
    /// joins the task's history (without its data, as Mesos keeps it).
    /// A terminal task stays in its terminal state.
    pub fn apply_status(&mut self, status: &TaskStatus, latest: TaskState) {
        if !self.is_terminal() {
            self.record.state = latest as i32;
        }
        // The update waiting for acknowledgement is the last one received,
        // even if it was seen before (an agent resends it after a restart).
        if status.uuid.is_some() {
            self.record.status_update_state = Some(status.state);
            self.record.status_update_uuid = status.uuid.clone();
        }
        // An update resent by its agent is recorded once.
        if status.uuid.is_some() && self.record.statuses.iter().any(|s| s.uuid == status.uuid) {
            return;
        }
        let mut kept = status.clone();
        kept.data = None;
        self.record.statuses.push(kept);
    }

    /// The latest status, or a STAGING status made up for a task that has
    /// had no update yet.
    pub fn latest_status(&self, now: Duration) -> TaskStatus {
        self.record.statuses.last().cloned().unwrap_or_else(|| TaskStatus {
            task_id: self.record.task_id.clone(),
            state: self.record.state,
            agent_id: Some(self.record.agent_id.clone()),
            executor_id: self.record.executor_id.clone(),
            source: Some(task_status::Source::Master as i32),
            timestamp: Some(now.as_secs_f64()),
            ..Default::default()
        })
    }

    /// The state reconciliation reports: that of the update awaiting
    /// acknowledgement when there is one (the framework has not seen later
    /// ones yet), else the latest state, as Mesos answers.
    pub fn reconciliation_status(&self, now: Duration) -> TaskStatus {
        let mut status = self.latest_status(now);
        status.state = self.record.status_update_state.unwrap_or(self.record.state);
        status
    }

    /// Timestamp of the latest status (for sorting task lists).
    pub fn last_timestamp(&self) -> f64 {
        self.record.statuses.last().and_then(|s| s.timestamp).unwrap_or(0.0)
    }
}

/// A master-generated status (no uuid, so never acknowledged).
pub fn master_status(
    task_id: &v1::TaskId,
    agent_id: Option<&v1::AgentId>,
    state: TaskState,
    reason: task_status::Reason,
    message: impl Into<String>,
    now: Duration,
) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: Some(message.into()),
        source: Some(task_status::Source::Master as i32),
        reason: Some(reason as i32),
        agent_id: agent_id.cloned(),
        timestamp: Some(now.as_secs_f64()),
        ..Default::default()
    }
}
