//! The executor side of the agent: the v1 executor API (SUBSCRIBE, UPDATE,
//! MESSAGE, HEARTBEAT) and the lifecycle of executor containers (launch
//! failures and exits).

use std::time::Duration;

use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::executor::{Event as ExecutorEvent, event as executor_event};
use mesos_proto::v1::{ContainerId, ExecutorId, FrameworkId, TaskId, TaskState, task_status};

use crate::agent::{Agent, AgentAction, launch_event};
use crate::input::{ExecutorCall, ExecutorCallKind, ExecutorSubscribe};
use crate::records::{AgentTask, ExecutorPhase, ExecutorStream};

/// A refused executor call, with the status Mesos gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutorError {
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
}

impl ExecutorError {
    pub fn status(&self) -> u16 {
        match self {
            ExecutorError::BadRequest(_) => 400,
            ExecutorError::Forbidden(_) => 403,
        }
    }
}

impl Agent {
    /// SUBSCRIBE on `stream`: the executor gets SUBSCRIBED, then the work
    /// queued for it.
    pub(crate) fn executor_subscribe(
        &mut self,
        stream: ExecutorStream,
        subscribe: ExecutorSubscribe,
        now: Duration,
    ) -> Result<(), ExecutorError> {
        let ExecutorSubscribe { framework_id, executor_id, unacknowledged_updates } = subscribe;
        let agent_info = self.info();
        let framework = self
            .frameworks
            .get_mut(&framework_id)
            .ok_or_else(|| ExecutorError::BadRequest(format!("Framework {} not found", framework_id.value)))?;
        let framework_info = framework.info.clone();
        let executor = framework
            .executors
            .get_mut(&executor_id)
            .ok_or_else(|| ExecutorError::BadRequest(format!("Executor {} not found", executor_id.value)))?;
        if executor.phase == ExecutorPhase::Terminated {
            return Err(ExecutorError::Forbidden("Executor is terminated".into()));
        }
        if let Some(old) = executor.stream.replace(stream) {
            self.streams.remove(&old);
            self.actions.push(AgentAction::CloseExecutor { stream: old });
        }
        self.streams.insert(stream, (framework_id.clone(), executor_id.clone()));
        executor.registration_deadline = None;
        let terminating = executor.phase == ExecutorPhase::Terminating;
        if !terminating {
            executor.phase = ExecutorPhase::Running;
        }
        let subscribed = ExecutorEvent {
            r#type: Some(executor_event::Type::Subscribed as i32),
            subscribed: Some(executor_event::Subscribed {
                executor_info: executor.info.clone(),
                framework_info,
                agent_info,
                container_id: Some(ContainerId { value: executor.container_id.clone(), parent: None }),
            }),
            ..Default::default()
        };
        self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(subscribed) });
        if terminating {
            let shutdown = ExecutorEvent { r#type: Some(executor_event::Type::Shutdown as i32), ..Default::default() };
            self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(shutdown) });
            return Ok(());
        }
        for work in std::mem::take(&mut executor.queued) {
            for task in work.tasks() {
                executor.tasks.insert(task.task_id.clone(), AgentTask::new(task.clone()));
            }
            self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(launch_event(&work)) });
        }
        // Updates the executor sent but never saw acknowledged go through
        // the status update manager, unless the agent had them already
        // (it restarted before acknowledging them); either way the
        // executor now gets its acknowledgement.
        for status in unacknowledged_updates {
            self.receive_update(&framework_id, &executor_id, status, now);
        }
        Ok(())
    }

    /// UPDATE, MESSAGE or HEARTBEAT from a subscribed executor.
    pub(crate) fn executor_call(&mut self, call: ExecutorCall, now: Duration) -> Result<(), ExecutorError> {
        let ExecutorCall { framework_id, executor_id, kind } = call;
        let executor =
            self.frameworks.get(&framework_id).and_then(|f| f.executors.get(&executor_id)).ok_or_else(|| {
                ExecutorError::BadRequest(format!(
                    "Executor {} of framework {} not found",
                    executor_id.value, framework_id.value
                ))
            })?;
        if executor.stream.is_none() {
            return Err(ExecutorError::Forbidden("Executor is not subscribed".into()));
        }
        let limited = executor.termination.as_ref().is_some_and(|t| t.limitation.is_some());
        match kind {
            // The container went over a limit and is being destroyed: its
            // tasks' fate is the agent's to report.
            ExecutorCallKind::Update(_) if limited => {}
            ExecutorCallKind::Update(status) => self.receive_update(&framework_id, &executor_id, *status, now),
            ExecutorCallKind::Message(data) => {
                let forward = AgentCall {
                    agent_id: self.agent_id.clone(),
                    r#type: Some(agent_call::Type::ExecutorToFramework as i32),
                    executor_to_framework: Some(agent_call::ExecutorToFramework { framework_id, executor_id, data }),
                    ..Default::default()
                };
                if self.registered {
                    self.actions.push(AgentAction::ToMaster(Box::new(forward)));
                }
            }
            ExecutorCallKind::Heartbeat => {}
        }
        Ok(())
    }

    /// The executor's subscription stream closed.
    pub(crate) fn executor_disconnected(&mut self, stream: ExecutorStream) {
        let Some((framework_id, executor_id)) = self.streams.remove(&stream) else {
            return;
        };
        if let Some(executor) = self.frameworks.get_mut(&framework_id).and_then(|f| f.executors.get_mut(&executor_id))
            && executor.stream == Some(stream)
        {
            executor.stream = None;
        }
    }

    /// The container of an executor could not be started.
    pub(crate) fn container_launch_failed(&mut self, container_id: &str, message: &str, now: Duration) {
        self.container_gone(container_id, None, Some(message), now);
    }

    /// The executor's container ended (its process exited or was killed).
    pub(crate) fn container_exited(&mut self, container_id: &str, status: Option<i32>, now: Duration) {
        self.container_gone(container_id, status, None, now);
    }

    fn container_gone(
        &mut self,
        container_id: &str,
        exit_status: Option<i32>,
        launch_error: Option<&str>,
        now: Duration,
    ) {
        let found = self.frameworks.iter().find_map(|(framework_id, framework)| {
            framework
                .executors
                .values()
                .find(|e| e.container_id == container_id)
                .map(|e| (framework_id.clone(), e.info.executor_id.clone()))
        });
        let Some((framework_id, executor_id)) = found else {
            return;
        };
        let Some(executor) = self.frameworks.get_mut(&framework_id).and_then(|f| f.executors.get_mut(&executor_id))
        else {
            return;
        };
        executor.phase = ExecutorPhase::Terminated;
        executor.registration_deadline = None;
        executor.shutdown_deadline = None;
        // Queued tasks become tasks of the executor so that their final
        // state is recorded like the others'.
        for work in std::mem::take(&mut executor.queued) {
            for task in work.tasks() {
                executor.tasks.insert(task.task_id.clone(), AgentTask::new(task.clone()));
            }
        }
        let live: Vec<TaskId> = executor.live_task_ids();
        let killed = executor.killed.clone();
        let command = executor.command_executor;
        if let Some(stream) = executor.stream.take() {
            self.streams.remove(&stream);
            self.actions.push(AgentAction::CloseExecutor { stream });
        }
        let termination = executor.termination.clone();
        let limitation = termination.as_ref().and_then(|t| t.limitation.clone());
        for task_id in live {
            let (state, reason, message) = if let Some(error) = launch_error {
                (
                    TaskState::TaskFailed,
                    task_status::Reason::ContainerLaunchFailed,
                    format!("Failed to launch container: {error}"),
                )
            } else if let Some(termination) = &termination {
                (termination.state, termination.reason, termination.message.clone())
            } else if killed.contains(&task_id) {
                (
                    TaskState::TaskKilled,
                    task_status::Reason::ExecutorTerminated,
                    "Executor terminated while the task was being killed".to_owned(),
                )
            } else if command {
                (
                    TaskState::TaskFailed,
                    task_status::Reason::CommandExecutorFailed,
                    "Command executor terminated unexpectedly".to_owned(),
                )
            } else {
                (TaskState::TaskFailed, task_status::Reason::ExecutorTerminated, "Executor terminated".to_owned())
            };
            let mut status = self.agent_status(&task_id, &executor_id, state, reason, &message, now);
            if launch_error.is_none()
                && let Some(resources) = &limitation
            {
                status.limitation = Some(mesos_proto::v1::TaskResourceLimitation { resources: resources.clone() });
            }
            self.record_status(&framework_id, &executor_id, &status);
            self.queue_update(framework_id.clone(), status, now);
        }
        let max_completed = self.config.max_completed_executors_per_framework;
        if let Some(framework) = self.frameworks.get_mut(&framework_id)
            && let Some(executor) = framework.executors.remove(&executor_id)
        {
            framework.completed_executors.push_back(executor);
            while framework.completed_executors.len() > max_completed {
                framework.completed_executors.pop_front();
            }
        }
        if !command && self.registered {
            let exited = AgentCall {
                agent_id: self.agent_id.clone(),
                r#type: Some(agent_call::Type::ExitedExecutor as i32),
                exited_executor: Some(agent_call::ExitedExecutor { framework_id, executor_id, status: exit_status }),
                ..Default::default()
            };
            self.actions.push(AgentAction::ToMaster(Box::new(exited)));
        }
    }

    /// An update from an executor: accepted unless it is one the agent
    /// already has, then acknowledged to the executor.
    fn receive_update(
        &mut self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        mut status: mesos_proto::v1::TaskStatus,
        now: Duration,
    ) {
        status.source = Some(task_status::Source::Executor as i32);
        let uuid = status.uuid.clone().unwrap_or_default();
        let task_id = status.task_id.clone();
        if !self.already_received(framework_id, executor_id, &task_id, Some(&uuid)) {
            self.accept_update(framework_id, executor_id, status, now);
        }
        self.acknowledge_executor(framework_id, executor_id, task_id, uuid);
    }

    /// Records an executor's update and hands it to the status update manager.
    fn accept_update(
        &mut self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        mut status: mesos_proto::v1::TaskStatus,
        now: Duration,
    ) {
        status.agent_id = self.agent_id.clone();
        status.executor_id = Some(executor_id.clone());
        if status.timestamp.is_none() {
            status.timestamp = Some(now.as_secs_f64());
        }
        self.record_status(framework_id, executor_id, &status);
        self.queue_update(framework_id.clone(), status, now);
    }

    /// ACKNOWLEDGED to the executor: the agent has the update in safe hands.
    fn acknowledge_executor(
        &mut self,
        framework_id: &FrameworkId,
        executor_id: &ExecutorId,
        task_id: TaskId,
        uuid: Vec<u8>,
    ) {
        let stream =
            self.frameworks.get(framework_id).and_then(|f| f.executors.get(executor_id)).and_then(|e| e.stream);
        if let Some(stream) = stream {
            let event = ExecutorEvent {
                r#type: Some(executor_event::Type::Acknowledged as i32),
                acknowledged: Some(executor_event::Acknowledged { task_id, uuid }),
                ..Default::default()
            };
            self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(event) });
        }
    }
}
