//! The one place that turns a `TaskInfo` into the `Task` record the APIs
//! report (master and agent state, operator API, re-registration): every
//! field a task's description carries, copied the same way everywhere.

use crate::v1::{AgentId, ExecutorId, FrameworkId, Task, TaskInfo, TaskState};

impl Task {
    /// The record of the task `info` describes, of `framework` on `agent`,
    /// run by `executor` (none for a command task), in `state`. Resources
    /// are the TaskInfo's; statuses, the user and the status-update fields
    /// are left for the caller.
    pub fn of_info(
        info: &TaskInfo,
        framework: FrameworkId,
        agent: AgentId,
        executor: Option<ExecutorId>,
        state: TaskState,
    ) -> Task {
        Task {
            name: info.name.clone(),
            task_id: info.task_id.clone(),
            framework_id: framework,
            executor_id: executor,
            agent_id: agent,
            state: state as i32,
            resources: info.resources.clone(),
            labels: info.labels.clone(),
            discovery: info.discovery.clone(),
            container: info.container.clone(),
            health_check: info.health_check.clone(),
            kill_policy: info.kill_policy,
            limits: info.limits.clone(),
            ..Default::default()
        }
    }
}
