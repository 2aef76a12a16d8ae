//! What the agent decides about containers beyond starting and ending them:
//! the resources a container must be given (its executor's plus those of
//! its live tasks, resized as tasks come and go), and what happens when a
//! container outgrows a limit (its tasks fail with the limitation's reason,
//! on the agent's authority).

use std::time::Duration;

use mesos_proto::v1::{ExecutorId, FrameworkId, Resource, TaskState, task_status::Reason};

use crate::agent::{Agent, AgentAction};
use crate::records::{Executor, ExecutorPhase, Termination};

/// CPUs added to a command executor's container on top of its task's, as
/// Mesos does.
pub const COMMAND_EXECUTOR_CPUS: f64 = 0.1;
/// Memory (MB) added to a command executor's container on top of its task's.
pub const COMMAND_EXECUTOR_MEM: f64 = 32.0;

/// A limit a container went over, as its isolation reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerLimitation {
    /// `REASON_CONTAINER_LIMITATION_MEMORY`, `_DISK`, or the general one.
    pub reason: Reason,
    /// What happened, for the tasks' status message.
    pub message: String,
    /// The resources whose limit was hit (for `TaskStatus.limitation`).
    pub resources: Vec<Resource>,
}

impl Executor {
    /// Resources its container holds: the executor's own and those of every
    /// task that is queued or not yet terminal.
    pub fn container_resources(&self) -> Vec<Resource> {
        let live = self.tasks.values().filter(|t| !t.state.is_terminal()).map(|t| &t.info);
        let queued = self.queued.iter().flat_map(|q| q.tasks());
        self.info.resources.iter().chain(live.chain(queued).flat_map(|t| t.resources.iter())).cloned().collect()
    }
}

impl Agent {
    /// The isolation of a container reports it went over a limit: the agent
    /// ends the container, and its unfinished tasks fail with the
    /// limitation's reason. Updates its executor sends from now on are
    /// refused, so that the agent's verdict is the one reported.
    pub(crate) fn container_limited(&mut self, container_id: &str, limitation: ContainerLimitation, _now: Duration) {
        let Some(executor) = self
            .frameworks
            .values_mut()
            .flat_map(|f| f.executors.values_mut())
            .find(|e| e.container_id == container_id && e.phase != ExecutorPhase::Terminated)
        else {
            return;
        };
        if executor.termination.as_ref().is_some_and(|t| t.limitation.is_some()) {
            return;
        }
        executor.phase = ExecutorPhase::Terminating;
        executor.registration_deadline = None;
        executor.termination = Some(Termination {
            state: TaskState::TaskFailed,
            reason: limitation.reason,
            message: limitation.message.clone(),
            limitation: Some(limitation.resources),
        });
        self.actions.push(AgentAction::DestroyContainer { container_id: container_id.to_owned() });
    }

    /// Tells the daemon the resources of an executor's container when they
    /// changed (a task arrived or ended).
    pub(crate) fn resize_container(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId) {
        let Some(executor) = self.executor_mut(framework_id, executor_id) else { return };
        if !matches!(executor.phase, ExecutorPhase::Launching | ExecutorPhase::Running) {
            return;
        }
        let resources = executor.container_resources();
        if executor.container_size.as_ref() == Some(&resources) {
            return;
        }
        executor.container_size = Some(resources.clone());
        let container_id = executor.container_id.clone();
        self.actions.push(AgentAction::UpdateContainer { container_id, resources });
    }
}
