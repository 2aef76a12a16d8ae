//! Status updates the agent itself creates (a task killed before launch, an
//! executor that died), and the uuids that make them reliable.

use std::time::Duration;

use mesos_proto::internal::agent_call::StatusUpdate;
use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::{ExecutorId, FrameworkId, TaskId, TaskState, TaskStatus, task_status};

use crate::agent::{Agent, AgentAction};

impl Agent {
    /// A fresh 16-byte uuid (version 4 layout) for an update.
    pub(crate) fn next_uuid(&mut self) -> Vec<u8> {
        self.uuid_counter += 1;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.config.uuid_seed.to_be_bytes());
        bytes[8..].copy_from_slice(&self.uuid_counter.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        bytes.to_vec()
    }

    /// A fresh container id, unique to this agent process (the uuid seed
    /// is drawn anew at every start) and reproducible from the seed.
    pub(crate) fn new_container_id(&mut self) -> String {
        let bytes = self.next_uuid();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
    }

    /// Creates a reliable update on the agent's authority and queues it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_agent_status(
        &mut self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task_id: &TaskId,
        state: TaskState,
        reason: task_status::Reason,
        message: &str,
        now: Duration,
    ) {
        let status = self.agent_status(task_id, executor_id, state, reason, message, now);
        self.record_status(framework_id, executor_id, &status);
        self.queue_update(framework_id.clone(), status, now);
    }

    /// A reliable update on the agent's authority, not queued yet.
    pub(crate) fn agent_status(
        &mut self,
        task_id: &TaskId,
        executor_id: &ExecutorId,
        state: TaskState,
        reason: task_status::Reason,
        message: &str,
        now: Duration,
    ) -> TaskStatus {
        TaskStatus {
            task_id: task_id.clone(),
            state: state as i32,
            message: Some(message.to_owned()),
            source: Some(task_status::Source::Agent as i32),
            reason: Some(reason as i32),
            agent_id: self.agent_id.clone(),
            executor_id: Some(executor_id.clone()),
            timestamp: Some(now.as_secs_f64()),
            uuid: Some(self.next_uuid()),
            ..Default::default()
        }
    }

    /// Puts an update into the status update manager; sends it if it is the
    /// head of its stream and the agent is registered.
    pub(crate) fn queue_update(&mut self, framework_id: FrameworkId, status: TaskStatus, now: Duration) {
        let task_id = status.task_id.clone();
        let update = StatusUpdate { framework_id: framework_id.clone(), status, latest_state: None };
        let head = self.updates.add(update, now);
        // On disk before it goes anywhere.
        self.checkpoint_task_updates(&framework_id, &task_id);
        if let Some(head) = head {
            self.send_update(head);
        }
    }

    pub(crate) fn send_update(&mut self, update: StatusUpdate) {
        if !self.registered {
            return;
        }
        let call = AgentCall {
            agent_id: self.agent_id.clone(),
            r#type: Some(agent_call::Type::StatusUpdate as i32),
            status_update: Some(update),
            ..Default::default()
        };
        self.actions.push(AgentAction::ToMaster(Box::new(call)));
    }

    /// Whether an update with this uuid was already accepted for the task.
    pub(crate) fn already_received(
        &self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task_id: &TaskId,
        uuid: Option<&[u8]>,
    ) -> bool {
        let Some(uuid) = uuid else { return false };
        let Some(executor) = self.frameworks.get(framework_id).and_then(|f| f.executors.get(executor_id)) else {
            return false;
        };
        executor
            .tasks
            .get(task_id)
            .into_iter()
            .chain(executor.completed_tasks.iter().filter(|t| t.info.task_id == *task_id))
            .any(|task| task.received.iter().any(|seen| seen.as_slice() == uuid))
    }

    /// Records a task's new state in its executor; terminal tasks move to
    /// the executor's completed list.
    pub(crate) fn record_status(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId, status: &TaskStatus) {
        let Some(executor) = self.frameworks.get_mut(framework_id).and_then(|f| f.executors.get_mut(executor_id))
        else {
            return;
        };
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
        if let Some(task) = executor.tasks.get_mut(&status.task_id) {
            task.state = state;
            task.latest = Some(status.clone());
            task.received.extend(status.uuid.clone());
            if state.is_terminal()
                && let Some(task) = executor.tasks.remove(&status.task_id)
            {
                executor.completed_tasks.push_back(task);
                self.resize_container(framework_id, executor_id);
            }
        }
    }
}
