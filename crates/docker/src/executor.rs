//! `mesos-docker-executor`: runs one task in a Docker container named
//! `mesos-<container id>` and reports its states: TASK_STARTING, then
//! TASK_RUNNING once the container started, then TASK_FINISHED or
//! TASK_FAILED with the container's exit code, or TASK_KILLED. The
//! container's output is copied to the executor's own `stdout` and
//! `stderr`, which are the sandbox's. A pull that fails (no registry
//! reachable) fails the task with the Engine's reason.

use std::process::ExitCode;
use std::time::Duration;

use mesos_client::executor::{Executor, ExecutorEnv, ExecutorEvent, ExecutorHandle};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::event;
use mesos_proto::v1::{
    FrameworkInfo, TaskId, TaskInfo, TaskState, TaskStatus, framework_info::capability, task_status,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::Engine;
use crate::spec::container_spec;

/// Grace period of a kill when the task names none.
const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(3);
/// How long an ended container's remaining output may take to copy.
const OUTPUT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for the agent to acknowledge the terminal update.
const TERMINAL_ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// The executor's `main`.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let env = match ExecutorEnv::from_env() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(env))
}

struct State {
    handle: ExecutorHandle,
    engine: Engine,
    name: String,
    framework: Option<FrameworkInfo>,
    task: Option<TaskInfo>,
    killing: bool,
    terminal: Option<Vec<u8>>,
    shutting_down: bool,
}

async fn run(env: ExecutorEnv) -> ExitCode {
    let socket = std::env::var("MESOS_DOCKER_SOCKET").unwrap_or_else(|_| "/var/run/docker.sock".to_owned());
    let container_id = std::env::var("MESOS_CONTAINER_ID").unwrap_or_else(|_| env.executor_id.value.clone());
    let (handle, mut events) = Executor::start(env.clone(), ContentType::Protobuf);
    // Waiting for the container and following its output last as long as
    // the task.
    let engine = match Engine::connect(&socket, Duration::from_secs(10 * 365 * 24 * 3600)) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let mut state = State {
        handle,
        engine,
        name: crate::container_name(&container_id),
        framework: None,
        task: None,
        killing: false,
        terminal: None,
        shutting_down: false,
    };
    let (exited_tx, mut exited) = mpsc::unbounded_channel::<i64>();
    let mut leave_at: Option<Instant> = None;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(ExecutorEvent::Event(event)) => {
                    if state.event(*event, &env, &exited_tx).await {
                        return ExitCode::SUCCESS;
                    }
                }
                Some(ExecutorEvent::AgentLost(reason)) if state.task.is_none() => {
                    eprintln!("Agent lost: {reason}; exiting");
                    return ExitCode::FAILURE;
                }
                Some(ExecutorEvent::AgentLost(reason)) => {
                    eprintln!("Agent lost: {reason}; removing the container and exiting");
                    let _ = state.engine.remove(&state.name).await;
                    return ExitCode::FAILURE;
                }
                None => return ExitCode::FAILURE,
            },
            Some(code) = exited.recv() => {
                state.report_exit(code).await;
                leave_at = Some(Instant::now() + TERMINAL_ACK_TIMEOUT);
            }
            () = sleep_until(leave_at) => return ExitCode::SUCCESS,
        }
        if state.terminal.is_some() && state.handle.all_acknowledged() {
            return ExitCode::SUCCESS;
        }
    }
}

impl State {
    /// Handles an event; returns whether the executor is done.
    async fn event(
        &mut self,
        event: mesos_proto::v1::executor::Event,
        env: &ExecutorEnv,
        exited: &mpsc::UnboundedSender<i64>,
    ) -> bool {
        let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
        eprintln!("Received {}", kind.map_or("an unknown event", |k| k.as_str_name()));
        match kind {
            Some(event::Type::Subscribed) => self.framework = event.subscribed.map(|s| s.framework_info),
            Some(event::Type::Launch) => {
                if let Some(launch) = event.launch {
                    if self.task.is_some() {
                        let status = status(
                            &launch.task.task_id,
                            TaskState::TaskFailed,
                            "Attempted to run multiple tasks using a Docker executor",
                        );
                        let _ = self.handle.update(status).await;
                    } else {
                        self.launch(launch.task, env, exited).await;
                    }
                }
            }
            Some(event::Type::Kill) => {
                if let Some(kill) = event.kill {
                    let grace = kill
                        .kill_policy
                        .and_then(|p| p.grace_period)
                        .or_else(|| self.task.as_ref().and_then(|t| t.kill_policy).and_then(|p| p.grace_period))
                        .map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64))
                        .unwrap_or(DEFAULT_KILL_GRACE);
                    self.kill(grace).await;
                }
            }
            Some(event::Type::Shutdown) => {
                self.shutting_down = true;
                if self.task.is_none() || self.terminal.is_some() {
                    return true;
                }
                let grace =
                    env.shutdown_grace_period.saturating_sub(Duration::from_secs(1)).max(Duration::from_millis(100));
                self.kill(grace).await;
            }
            _ => {}
        }
        false
    }

    async fn launch(&mut self, task: TaskInfo, env: &ExecutorEnv, exited: &mpsc::UnboundedSender<i64>) {
        let task_id = task.task_id.clone();
        self.task = Some(task.clone());
        let _ = self.handle.update(status(&task_id, TaskState::TaskStarting, "")).await;
        let spec = match container_spec(&task, &self.name, &env.directory) {
            Ok(spec) => spec,
            Err(error) => return self.fail(&format!("Failed to launch container: {error}")).await,
        };
        if (spec.force_pull || !self.engine.has_image(&spec.image).await)
            && let Err(error) = self.engine.pull(&spec.image).await
        {
            return self.fail(&format!("Failed to launch container: {error}")).await;
        }
        let work_dir = std::env::var("MESOS_AGENT_WORK_DIR").unwrap_or_default();
        let labels = [(crate::WORK_DIR_LABEL.to_owned(), work_dir)];
        // After a restart of this executor the container may run already.
        if !self.engine.running(&self.name).await {
            let _ = self.engine.remove(&self.name).await;
            if let Err(error) = self.engine.run(&spec, &labels).await {
                return self.fail(&format!("Failed to launch container: {error}")).await;
            }
        }
        let (engine, name) = (self.engine.clone(), self.name.clone());
        let output =
            tokio::spawn(async move { engine.follow_logs(&name, tokio::io::stdout(), tokio::io::stderr()).await });
        let (engine, name, exited) = (self.engine.clone(), self.name.clone(), exited.clone());
        tokio::spawn(async move {
            let code = engine.wait(&name).await.unwrap_or(-1);
            // The container's last output is copied before its end is
            // reported: this executor exits soon after, and the container
            // goes with it.
            let _ = tokio::time::timeout(OUTPUT_DRAIN_TIMEOUT, output).await;
            let _ = exited.send(code);
        });
        let _ = self.handle.update(status(&task_id, TaskState::TaskRunning, "")).await;
    }

    async fn fail(&mut self, message: &str) {
        eprintln!("{message}");
        let Some(task) = &self.task else { return };
        let mut failed = status(&task.task_id, TaskState::TaskFailed, message);
        failed.reason = Some(task_status::Reason::ContainerLaunchFailed as i32);
        self.terminal = self.handle.update(failed).await.ok();
    }

    async fn kill(&mut self, grace: Duration) {
        let Some(task) = self.task.clone() else { return };
        if self.killing || self.terminal.is_some() {
            return;
        }
        self.killing = true;
        let killing_capable = self.framework.as_ref().is_some_and(|f| {
            f.capabilities.iter().any(|c| c.r#type == Some(capability::Type::TaskKillingState as i32))
        });
        if killing_capable {
            let _ = self.handle.update(status(&task.task_id, TaskState::TaskKilling, "")).await;
        }
        let (engine, name) = (self.engine.clone(), self.name.clone());
        tokio::spawn(async move {
            if let Err(error) = engine.stop(&name, grace).await {
                eprintln!("{error}");
            }
        });
    }

    async fn report_exit(&mut self, code: i64) {
        let Some(task) = self.task.clone() else { return };
        if self.terminal.is_some() {
            return;
        }
        let (state, message) = if self.killing || self.shutting_down {
            (TaskState::TaskKilled, "Container was killed".to_owned())
        } else if code == 0 {
            (TaskState::TaskFinished, "Container exited with status 0".to_owned())
        } else {
            (TaskState::TaskFailed, format!("Container exited with status {code}"))
        };
        self.terminal = self.handle.update(status(&task.task_id, state, &message)).await.ok().or(Some(Vec::new()));
    }
}

fn status(task_id: &TaskId, state: TaskState, message: &str) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: (!message.is_empty()).then(|| message.to_owned()),
        ..Default::default()
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
