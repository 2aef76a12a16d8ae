//! Applying task status updates to the master's books and passing them on to
//! frameworks; completing tasks and giving their resources back.

use std::time::Duration;

use mesos_proto::v1::scheduler::{Event, event};
use mesos_proto::v1::{FrameworkId, TaskId, TaskState, TaskStatus};

use crate::master::Master;

impl Master {
    /// Sends an UPDATE event to a connected framework.
    pub(crate) fn send_update_event(&mut self, framework: &FrameworkId, status: TaskStatus) {
        let event = Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update { status }),
            ..Default::default()
        };
        self.send_to_framework(framework, event);
    }

    /// Records a status for a known task. `latest` is the newest state the
    /// sender knows, which may be ahead of `status.state`. When the task
    /// turns terminal its resources go back to the allocator.
    pub(crate) fn update_task(
        &mut self,
        framework_id: &FrameworkId,
        status: &TaskStatus,
        latest: TaskState,
        now: Duration,
    ) {
        let Some(framework) = self.frameworks.get_mut(framework_id) else {
            return;
        };
        let Some(task) = framework.tasks.get_mut(&status.task_id) else {
            return;
        };
        let was_terminal = task.is_terminal();
        let before = task.record.state;
        task.apply_status(status, latest);
        let changed = (task.record.state != before).then(|| task.state());
        if let Some(state) = changed {
            self.notify_task_updated(framework_id, status, state);
        }
        let Some(task) = self.frameworks.get_mut(framework_id).and_then(|f| f.tasks.get_mut(&status.task_id)) else {
            return;
        };
        if !was_terminal && latest.is_terminal() {
            let (agent_id, resources) = (task.record.agent_id.clone(), task.resources.clone());
            self.counters.count_terminal(status);
            if let Some(agent) = self.agents.get_mut(&agent_id) {
                agent.remove_used(framework_id, &resources);
            }
            self.allocator.recover_resources(framework_id, &agent_id, &resources, None, now);
            self.allocation_wanted = true;
            self.check_drained(&agent_id);
        }
    }

    /// Moves a terminal task out of the active set.
    pub(crate) fn complete_task(&mut self, framework_id: &FrameworkId, task_id: &TaskId, _now: Duration) {
        let max = self.config.max_completed_tasks_per_framework;
        let Some(framework) = self.frameworks.get_mut(framework_id) else {
            return;
        };
        let Some(task) = framework.tasks.remove(task_id) else {
            return;
        };
        if let Some(agent) = self.agents.get_mut(&task.record.agent_id) {
            agent.tasks.remove(&(framework_id.clone(), task_id.clone()));
        }
        framework.complete_task(task, max);
    }

    /// Ends a task on the master's own authority (agent lost, framework
    /// removed): the update has no uuid, so it is not acknowledged and the
    /// task completes at once.
    pub(crate) fn terminate_task(
        &mut self,
        framework_id: &FrameworkId,
        status: TaskStatus,
        now: Duration,
        notify: bool,
    ) {
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
        self.update_task(framework_id, &status, state, now);
        self.complete_task(framework_id, &status.task_id, now);
        if notify {
            self.send_update_event(framework_id, status);
        }
    }
}
