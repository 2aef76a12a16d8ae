//! The command executor's life: subscribe, run the one task it is given,
//! report its states, kill it on request, and leave once its terminal
//! update is acknowledged.

use std::process::ExitCode;
use std::time::Duration;

use mesos_client::executor::{Executor, ExecutorEnv, ExecutorEvent, ExecutorHandle};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::event;
use mesos_proto::v1::{
    FrameworkInfo, KillPolicy, TaskId, TaskInfo, TaskState, TaskStatus, framework_info::capability,
};
use nix::sys::signal::Signal;
use tokio::sync::mpsc;

use crate::process;

/// Grace period of a kill when the task names none, as Mesos's command
/// executor has it.
const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(3);

/// How long to wait for the agent to acknowledge the terminal update before
/// leaving anyway (the agent has then lost it and will report the task).
const TERMINAL_ACK_TIMEOUT: Duration = Duration::from_secs(30);

pub struct CommandExecutor {
    env: ExecutorEnv,
    framework: Option<FrameworkInfo>,
    task: Option<TaskInfo>,
    pid: Option<u32>,
    killing: bool,
    kill_deadline: Option<tokio::time::Instant>,
    terminal_uuid: Option<Vec<u8>>,
    leave_deadline: Option<tokio::time::Instant>,
}

impl CommandExecutor {
    pub fn new(env: ExecutorEnv) -> CommandExecutor {
        CommandExecutor {
            env,
            framework: None,
            task: None,
            pid: None,
            killing: false,
            kill_deadline: None,
            terminal_uuid: None,
            leave_deadline: None,
        }
    }

    pub async fn run(mut self) -> ExitCode {
        let (handle, mut events) = Executor::start(self.env.clone(), ContentType::Protobuf);
        let (exited_tx, mut exited) = mpsc::unbounded_channel();
        loop {
            let kill_at = self.kill_deadline;
            let leave_at = self.leave_deadline;
            tokio::select! {
                event = events.recv() => match event {
                    Some(ExecutorEvent::Event(event)) => {
                        if self.handle_event(&handle, *event, &exited_tx).await {
                            return ExitCode::SUCCESS;
                        }
                    }
                    Some(ExecutorEvent::AgentLost(reason)) => {
                        eprintln!("Agent lost: {reason}; killing the task and exiting");
                        self.force_kill();
                        return ExitCode::FAILURE;
                    }
                    None => return ExitCode::FAILURE,
                },
                status = exited.recv() => {
                    if let Some(status) = status {
                        self.report_exit(&handle, status).await;
                    }
                }
                () = sleep_until(kill_at) => {
                    self.force_kill();
                    self.kill_deadline = None;
                }
                () = sleep_until(leave_at) => return ExitCode::SUCCESS,
            }
        }
    }

    /// Handles one event; true when the executor should exit.
    async fn handle_event(
        &mut self,
        handle: &ExecutorHandle,
        event: mesos_proto::v1::executor::Event,
        exited: &mpsc::UnboundedSender<std::process::ExitStatus>,
    ) -> bool {
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                self.framework = event.subscribed.map(|s| s.framework_info);
            }
            Some(event::Type::Launch) => {
                if let Some(launch) = event.launch {
                    self.launch(handle, launch.task, exited).await;
                }
            }
            Some(event::Type::Kill) => {
                if let Some(kill) = event.kill {
                    self.kill(handle, &kill.task_id, kill.kill_policy).await;
                }
            }
            Some(event::Type::Shutdown) => {
                if self.task.is_none() {
                    return true;
                }
                let task_id = self
                    .task
                    .as_ref()
                    .map(|t| t.task_id.clone())
                    .unwrap_or_default();
                let grace = self
                    .env
                    .shutdown_grace_period
                    .saturating_sub(Duration::from_secs(1))
                    .max(Duration::from_millis(100));
                let policy = KillPolicy {
                    grace_period: Some(mesos_proto::v1::DurationInfo {
                        nanoseconds: grace.as_nanos() as i64,
                    }),
                };
                self.kill(handle, &task_id, Some(policy)).await;
            }
            Some(event::Type::Acknowledged) => {
                if let Some(ack) = event.acknowledged
                    && self.terminal_uuid.as_deref() == Some(ack.uuid.as_slice())
                {
                    return true;
                }
            }
            Some(event::Type::Error) => {
                eprintln!(
                    "Error from the agent: {}",
                    event.error.map(|e| e.message).unwrap_or_default()
                );
            }
            _ => {}
        }
        false
    }

    async fn launch(
        &mut self,
        handle: &ExecutorHandle,
        task: TaskInfo,
        exited: &mpsc::UnboundedSender<std::process::ExitStatus>,
    ) {
        if self.task.is_some() {
            let status = self.status(
                &task.task_id,
                TaskState::TaskFailed,
                "Attempted to run multiple tasks using a command executor",
            );
            let _ = handle.update(status).await;
            return;
        }
        let task_id = task.task_id.clone();
        let _ = handle
            .update(self.status(&task_id, TaskState::TaskStarting, ""))
            .await;
        let command = task.command.clone().unwrap_or_default();
        self.task = Some(task);
        match process::spawn(&command) {
            Ok(mut child) => {
                self.pid = child.id();
                println!("Starting task {}", task_id.value);
                let _ = handle
                    .update(self.status(&task_id, TaskState::TaskRunning, ""))
                    .await;
                let exited = exited.clone();
                tokio::spawn(async move {
                    if let Ok(status) = child.wait().await {
                        let _ = exited.send(status);
                    }
                });
            }
            Err(error) => {
                let status = self.status(
                    &task_id,
                    TaskState::TaskFailed,
                    &format!("Failed to launch the command: {error}"),
                );
                self.send_terminal(handle, status).await;
            }
        }
    }

    async fn kill(
        &mut self,
        handle: &ExecutorHandle,
        task_id: &TaskId,
        policy: Option<KillPolicy>,
    ) {
        let Some(task) = &self.task else { return };
        if task.task_id != *task_id || self.killing || self.terminal_uuid.is_some() {
            return;
        }
        self.killing = true;
        let grace = policy
            .or(task.kill_policy)
            .and_then(|p| p.grace_period)
            .map(|g| Duration::from_nanos(g.nanoseconds.max(0) as u64))
            .unwrap_or(DEFAULT_KILL_GRACE);
        if self.framework.as_ref().is_some_and(|f| {
            f.capabilities
                .iter()
                .any(|c| c.r#type == Some(capability::Type::TaskKillingState as i32))
        }) {
            let _ = handle
                .update(self.status(task_id, TaskState::TaskKilling, ""))
                .await;
        }
        if let Some(pid) = self.pid {
            process::signal_group(pid, Signal::SIGTERM);
            self.kill_deadline = Some(tokio::time::Instant::now() + grace);
        }
    }

    fn force_kill(&mut self) {
        if let Some(pid) = self.pid {
            process::signal_group(pid, Signal::SIGKILL);
        }
    }

    async fn report_exit(&mut self, handle: &ExecutorHandle, status: std::process::ExitStatus) {
        // Whatever the task left in its process group goes with it.
        self.force_kill();
        self.kill_deadline = None;
        let task_id = self
            .task
            .as_ref()
            .map(|t| t.task_id.clone())
            .unwrap_or_default();
        let message = process::describe(&status);
        let state = if self.killing {
            TaskState::TaskKilled
        } else if status.success() {
            TaskState::TaskFinished
        } else {
            TaskState::TaskFailed
        };
        let status = self.status(&task_id, state, &message);
        self.send_terminal(handle, status).await;
    }

    async fn send_terminal(&mut self, handle: &ExecutorHandle, status: TaskStatus) {
        self.leave_deadline = Some(tokio::time::Instant::now() + TERMINAL_ACK_TIMEOUT);
        match handle.update(status).await {
            Ok(uuid) => self.terminal_uuid = Some(uuid),
            Err(error) => eprintln!("Failed to send the terminal update: {error}"),
        }
    }

    fn status(&self, task_id: &TaskId, state: TaskState, message: &str) -> TaskStatus {
        TaskStatus {
            task_id: task_id.clone(),
            state: state as i32,
            message: (!message.is_empty()).then(|| message.to_owned()),
            ..Default::default()
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
