//! What the agent core asks to be written to disk so that a restarted agent
//! can recover the executors and tasks of checkpointing frameworks. The
//! daemon writes each record atomically; the outbox releases the actions
//! that follow a record only once the daemon reports it durable (an
//! executor is acknowledged only after its update is on disk).

use mesos_proto::internal::{ExecutorRun, TaskUpdates};
use mesos_proto::v1::{self, AgentInfo, ExecutorId, FrameworkId, FrameworkInfo, TaskId, TaskInfo};

use crate::agent::Agent;
use crate::records::Executor;

/// One record to write.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckpointWrite {
    /// The agent's info with its id (always written).
    Agent(AgentInfo),
    /// A checkpointing framework's info.
    Framework(FrameworkInfo),
    /// One run of an executor.
    Executor { framework_id: FrameworkId, run: Box<ExecutorRun> },
    /// A task given to an executor.
    Task { framework_id: FrameworkId, executor_id: ExecutorId, container_id: String, task: Box<TaskInfo> },
    /// The agent's dynamic reservations and persistent volumes (always
    /// written, whatever the frameworks ask).
    Resources(Vec<v1::Resource>),
    /// Where a task's updates stand.
    TaskUpdates {
        framework_id: FrameworkId,
        executor_id: ExecutorId,
        container_id: String,
        task_id: TaskId,
        updates: Box<TaskUpdates>,
    },
}

impl Agent {
    pub(crate) fn checkpoint(&mut self, write: CheckpointWrite) {
        self.actions.push_checkpoint(write);
    }

    /// Whether `framework` asked for checkpointing.
    pub(crate) fn checkpoints(&self, framework: &FrameworkId) -> bool {
        self.frameworks.get(framework).is_some_and(|f| f.info.checkpoint())
    }

    /// Records a new executor run, and its framework when first seen.
    pub(crate) fn checkpoint_executor(&mut self, framework: &FrameworkInfo, executor: &Executor, new_framework: bool) {
        let Some(framework_id) = framework.id.clone() else { return };
        if !framework.checkpoint() {
            return;
        }
        if new_framework {
            self.checkpoint(CheckpointWrite::Framework(framework.clone()));
        }
        let run = ExecutorRun {
            executor_info: executor.info.clone(),
            container_id: executor.container_id.clone(),
            command_executor: Some(executor.command_executor),
        };
        self.checkpoint(CheckpointWrite::Executor { framework_id, run: Box::new(run) });
    }

    /// Records a task handed to an executor.
    pub(crate) fn checkpoint_task(
        &mut self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        container_id: &str,
        task: &TaskInfo,
    ) {
        if self.checkpoints(framework_id) {
            self.checkpoint(CheckpointWrite::Task {
                framework_id: framework_id.clone(),
                executor_id: executor_id.clone(),
                container_id: container_id.to_owned(),
                task: Box::new(task.clone()),
            });
        }
    }

    /// Records where a task's updates stand after an update or an
    /// acknowledgement.
    pub(crate) fn checkpoint_task_updates(&mut self, framework_id: &FrameworkId, task_id: &TaskId) {
        if !self.checkpoints(framework_id) {
            return;
        }
        let Some(framework) = self.frameworks.get(framework_id) else { return };
        let found = framework.executors.values().chain(framework.completed_executors.iter()).find_map(|executor| {
            let task = executor
                .tasks
                .get(task_id)
                .or_else(|| executor.completed_tasks.iter().find(|t| t.info.task_id == *task_id))?;
            Some((executor.info.executor_id.clone(), executor.container_id.clone(), task))
        });
        let Some((executor_id, container_id, task)) = found else { return };
        let updates = TaskUpdates {
            state: Some(task.state as i32),
            latest: task.latest.clone(),
            pending: self.updates.pending(framework_id, task_id).cloned().collect(),
            received: task.received.clone(),
        };
        self.checkpoint(CheckpointWrite::TaskUpdates {
            framework_id: framework_id.clone(),
            executor_id,
            container_id,
            task_id: task_id.clone(),
            updates: Box::new(updates),
        });
    }
}
