//! The agent's event loop: one task owns the core, takes every input in
//! order (master events, executor calls, container fates, timers) and carries
//! out the core's actions: posting calls to the master, launching and
//! destroying containers, and streaming events to executors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_agent_core::{Agent, AgentAction, ExecutorError, ExecutorStream, LaunchSpec};
use mesos_proto::internal::{AgentCall, AgentEvent, agent_call, agent_event};
use mesos_proto::v1::executor::{Call as ExecutorCall, Event as ExecutorEvent};
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint;
use crate::containerizer::Containerizer;
use crate::gc::collector::Collector;
use crate::launch::Launcher;

/// The time since the Unix epoch: the only clock the agent reads.
pub fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

type Reply = oneshot::Sender<Result<(), ExecutorError>>;

/// A read-only look at the core, run inside the loop.
pub type Inspector = Box<dyn FnOnce(&Agent, Duration) + Send>;

/// Something for the event loop to do.
pub enum Command {
    /// A stream to the master is open (`REGISTERED` will follow on it).
    MasterConnected {
        url: String,
        stream_id: String,
    },
    MasterEvent(Box<AgentEvent>),
    MasterDisconnected,
    ExecutorSubscribe {
        stream: ExecutorStream,
        call: Box<ExecutorCall>,
        events: mpsc::UnboundedSender<ExecutorEvent>,
        reply: Reply,
    },
    ExecutorCall {
        call: Box<ExecutorCall>,
        reply: Reply,
    },
    ExecutorClosed {
        stream: ExecutorStream,
    },
    ContainerLaunchFailed {
        container_id: String,
        message: String,
    },
    ContainerExited {
        container_id: String,
        status: Option<i32>,
    },
    /// The container went over a limit of its isolation.
    ContainerLimited {
        container_id: String,
        limitation: mesos_agent_core::ContainerLimitation,
    },
    Inspect(Inspector),
}

/// A cloneable way to reach the event loop.
#[derive(Clone)]
pub struct AgentHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_stream: Arc<AtomicU64>,
}

impl AgentHandle {
    pub fn new_stream(&self) -> ExecutorStream {
        ExecutorStream(self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Runs `inspect` on the core and returns its result.
    pub async fn inspect<T: Send + 'static>(
        &self,
        inspect: impl FnOnce(&Agent, Duration) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Inspect(Box::new(move |agent, now| {
            let _ = reply.send(inspect(agent, now));
        }));
        if !self.send(command) {
            return None;
        }
        answer.await.ok()
    }
}

/// Starts the event loop around `core`. `shutdown` is triggered when the
/// master tells the agent to go away.
pub fn spawn(
    core: Agent,
    launcher: Launcher,
    containerizer: Containerizer,
    gc: Collector,
    adopted: Vec<mesos_proto::internal::ContainerProcess>,
    mut limited: mpsc::UnboundedReceiver<(String, mesos_agent_core::ContainerLimitation)>,
    shutdown: mpsc::UnboundedSender<String>,
) -> AgentHandle {
    let (commands, inbox) = mpsc::unbounded_channel();
    let handle = AgentHandle { commands, next_stream: Arc::new(AtomicU64::new(1)) };
    let (outbox, outbox_rx) = mpsc::unbounded_channel();
    tokio::spawn(post_to_master(outbox_rx));
    let event_loop = EventLoop {
        core,
        launcher,
        containerizer,
        gc,
        handle: handle.clone(),
        master: None,
        outbox,
        executors: HashMap::new(),
        shutdown,
    };
    let agent_id = event_loop.core.agent_id().map(|a| a.value.clone()).unwrap_or_default();
    for container in adopted {
        let executor = event_loop
            .core
            .frameworks()
            .flat_map(|f| f.executors.values().map(move |e| (f, e)))
            .find(|(_, e)| e.container_id == container.container_id);
        let (resources, sandbox, docker) = match executor {
            Some((framework, executor)) => {
                let docker = executor
                    .info
                    .container
                    .as_ref()
                    .is_some_and(|c| c.r#type == mesos_proto::v1::container_info::Type::Docker as i32);
                let framework_id = framework.info.id.clone().unwrap_or_default().value;
                let sandbox = event_loop.launcher.paths.sandbox(
                    &agent_id,
                    &framework_id,
                    &executor.id().value,
                    &executor.container_id,
                );
                (executor.container_resources(), Some(sandbox), docker)
            }
            None => (Vec::new(), None, false),
        };
        event_loop.containerizer.adopt(&container.container_id, container.pid, &resources, sandbox, docker);
        tokio::spawn(watch_adopted(container, handle.clone()));
    }
    let forward = handle.clone();
    tokio::spawn(async move {
        while let Some((container_id, limitation)) = limited.recv().await {
            forward.send(Command::ContainerLimited { container_id, limitation });
        }
    });
    tokio::spawn(event_loop.run(inbox));
    handle
}

/// Watches an executor this agent did not start (it survived a restart):
/// it cannot be waited for, so its process is polled.
async fn watch_adopted(container: mesos_proto::internal::ContainerProcess, handle: AgentHandle) {
    while crate::process::is_running(container.pid, container.start_time) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    handle.send(Command::ContainerExited { container_id: container.container_id, status: None });
}

struct EventLoop {
    core: Agent,
    launcher: Launcher,
    containerizer: Containerizer,
    /// Removes finished executors' sandboxes.
    gc: Collector,
    handle: AgentHandle,
    /// Url and stream id of the current master connection.
    master: Option<(String, String)>,
    outbox: mpsc::UnboundedSender<(String, String, AgentCall)>,
    executors: HashMap<ExecutorStream, mpsc::UnboundedSender<ExecutorEvent>>,
    shutdown: mpsc::UnboundedSender<String>,
}

impl EventLoop {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Command>) {
        loop {
            let wait = self.core.next_deadline().map_or(Duration::from_secs(60), |d| d.saturating_sub(now()));
            tokio::select! {
                command = inbox.recv() => {
                    let Some(command) = command else { break };
                    self.handle(command);
                }
                () = tokio::time::sleep(wait) => {}
            }
            self.core.tick(now());
            self.dispatch();
        }
    }

    fn handle(&mut self, command: Command) {
        let now = now();
        match command {
            Command::MasterConnected { url, stream_id } => self.master = Some((url, stream_id)),
            Command::MasterEvent(event) => self.master_event(*event, now),
            Command::MasterDisconnected => {
                self.master = None;
                self.core.disconnected();
            }
            Command::ExecutorSubscribe { stream, call, events, reply } => {
                self.executors.insert(stream, events);
                let result = self.core.executor_subscribe(stream, *call, now);
                if result.is_err() {
                    self.executors.remove(&stream);
                }
                let _ = reply.send(result);
            }
            Command::ExecutorCall { call, reply } => {
                self.check_limits_before(&call, now);
                let _ = reply.send(self.core.executor_call(*call, now));
            }
            Command::ExecutorClosed { stream } => {
                self.executors.remove(&stream);
                self.core.executor_disconnected(stream);
            }
            Command::ContainerLaunchFailed { container_id, message } => {
                self.collect_sandbox(&container_id, now);
                self.core.container_launch_failed(&container_id, &message, now);
            }
            Command::ContainerLimited { container_id, limitation } => {
                tracing::warn!(%container_id, message = %limitation.message, "container limitation");
                self.core.container_limited(&container_id, limitation, now);
            }
            Command::ContainerExited { container_id, status } => {
                self.collect_sandbox(&container_id, now);
                self.containerizer.forget(&container_id);
                checkpoint::forget_container(&self.launcher.paths, &container_id);
                self.core.container_exited(&container_id, status, now);
            }
            Command::Inspect(inspect) => inspect(&self.core, now),
        }
        self.dispatch();
    }

    fn master_event(&mut self, event: AgentEvent, now: Duration) {
        let kind = event.r#type.and_then(|t| agent_event::Type::try_from(t).ok()).unwrap_or(agent_event::Type::Unknown);
        match kind {
            agent_event::Type::Registered | agent_event::Type::Reregistered => {
                if let Some(registered) = event.registered {
                    tracing::info!(agent_id = %registered.agent_id.value, "registered with the master");
                    self.core.registered(registered.agent_id, now);
                }
            }
            agent_event::Type::RunTask => {
                if let Some(run) = event.run_task {
                    self.core.run_task(run.framework_info, run.task, new_container_id(), now);
                }
            }
            agent_event::Type::RunTaskGroup => {
                if let Some(run) = event.run_task_group {
                    self.core.run_task_group(
                        run.framework_info,
                        run.executor_info,
                        run.task_group,
                        new_container_id(),
                        now,
                    );
                }
            }
            agent_event::Type::KillTask => {
                if let Some(kill) = event.kill_task {
                    self.core.kill_task(&kill.framework_id, &kill.task_id, kill.kill_policy, now);
                }
            }
            agent_event::Type::Acknowledge => {
                if let Some(ack) = event.acknowledge {
                    self.core.acknowledge(&ack.framework_id, &ack.task_id, &ack.uuid, now);
                }
            }
            agent_event::Type::FrameworkToExecutor => {
                if let Some(message) = event.framework_to_executor {
                    self.core.framework_message(&message.framework_id, &message.executor_id, message.data);
                }
            }
            agent_event::Type::ShutdownFramework => {
                if let Some(shutdown) = event.shutdown_framework {
                    self.core.shutdown_framework(&shutdown.framework_id, now);
                }
            }
            agent_event::Type::ShutdownExecutor => {
                if let Some(shutdown) = event.shutdown_executor {
                    self.core.shutdown_executor(&shutdown.framework_id, &shutdown.executor_id, now);
                }
            }
            agent_event::Type::UpdateFramework => {
                if let Some(update) = event.update_framework {
                    self.core.update_framework(update.framework_info);
                }
            }
            agent_event::Type::Ping => {
                let pong = AgentCall {
                    agent_id: self.core.agent_id().cloned(),
                    r#type: Some(agent_call::Type::Pong as i32),
                    pong: Some(agent_call::Pong { sequence: event.ping.and_then(|p| p.sequence) }),
                    ..Default::default()
                };
                self.to_master(pong);
            }
            agent_event::Type::Shutdown => {
                let message = event.shutdown.and_then(|s| s.message).unwrap_or_else(|| "asked to shut down".into());
                tracing::warn!(%message, "the master shut this agent down");
                for framework in
                    self.core.frameworks().map(|f| f.info.id.clone()).collect::<Vec<_>>().into_iter().flatten()
                {
                    self.core.shutdown_framework(&framework, now);
                }
                let _ = self.shutdown.send(message);
            }
            agent_event::Type::CheckpointResources => {
                if let Some(checkpoint) = event.checkpoint_resources {
                    self.core.checkpoint_resources(checkpoint.resources);
                }
            }
            agent_event::Type::Error => {
                tracing::error!(message = ?event.error.map(|e| e.message), "the master reported an error");
            }
            agent_event::Type::Unknown => {}
        }
    }

    fn dispatch(&mut self) {
        for action in self.core.take_actions() {
            match action {
                AgentAction::ToMaster(call) => self.to_master(*call),
                AgentAction::LaunchExecutor(spec) => self.launch(*spec),
                AgentAction::DestroyContainer { container_id } => self.containerizer.destroy(&container_id),
                AgentAction::UpdateContainer { container_id, resources } => {
                    self.containerizer.update(&container_id, &resources)
                }
                AgentAction::ToExecutor { stream, event } => {
                    if let Some(events) = self.executors.get(&stream) {
                        let _ = events.send(*event);
                    }
                }
                AgentAction::CloseExecutor { stream } => {
                    self.executors.remove(&stream);
                }
                AgentAction::Checkpoint(write) => {
                    let agent = self.core.agent_id().map(|id| id.value.clone());
                    if let Err(error) = checkpoint::apply(&self.launcher.paths, agent.as_deref(), &write) {
                        tracing::error!(%error, "checkpointing failed; a restart may not recover this state");
                    }
                }
            }
        }
    }

    /// Before an executor's report that a task ended goes in, a limit its
    /// container hit (an OOM kill) is taken first: the task ended because
    /// of it, whichever news reached the agent first.
    fn check_limits_before(&mut self, call: &ExecutorCall, now: Duration) {
        use mesos_proto::v1::executor::call;
        let terminal = call.r#type == Some(call::Type::Update as i32)
            && call
                .update
                .as_ref()
                .is_some_and(|u| mesos_proto::v1::TaskState::try_from(u.status.state).is_ok_and(|s| s.is_terminal()));
        if !terminal {
            return;
        }
        let container = self
            .core
            .frameworks()
            .filter(|f| f.info.id.as_ref() == Some(&call.framework_id))
            .find_map(|f| f.executors.get(&call.executor_id))
            .map(|e| e.container_id.clone());
        if let Some(container_id) = container
            && let Some(limitation) = self.containerizer.limitation(&container_id)
        {
            self.core.container_limited(&container_id, limitation, now);
        }
    }

    fn to_master(&self, call: AgentCall) {
        if let Some((url, stream_id)) = &self.master {
            let _ = self.outbox.send((url.clone(), stream_id.clone(), call));
        }
    }

    /// The sandbox of a container whose executor the core knows.
    fn sandbox_of(&self, container_id: &str) -> Option<PathBuf> {
        let agent_id = self.core.agent_id()?.value.clone();
        self.core.frameworks().find_map(|framework| {
            let executor = framework.executors.values().find(|e| e.container_id == container_id)?;
            let framework_id = framework.info.id.clone().unwrap_or_default().value;
            Some(self.launcher.paths.sandbox(&agent_id, &framework_id, &executor.id().value, container_id))
        })
    }

    /// Schedules a finished container's sandbox for garbage collection.
    fn collect_sandbox(&self, container_id: &str, now: Duration) {
        if let Some(sandbox) = self.sandbox_of(container_id) {
            self.gc.schedule(sandbox, now);
        }
    }

    /// Prepares the sandbox, fetches URIs and starts the executor, off the
    /// loop; its fate comes back as a command.
    fn launch(&self, spec: LaunchSpec) {
        let Some(agent_id) = self.core.agent_id().cloned() else {
            return;
        };
        if let Some(sandbox) = self.sandbox_of(&spec.container_id) {
            self.gc.unschedule(sandbox);
        }
        let launcher = self.launcher.clone();
        let containerizer = self.containerizer.clone();
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let container_id = spec.container_id.clone();
            match launcher.start(&agent_id, &spec, &containerizer).await {
                Ok(mut child) => {
                    if let Some(pid) = child.id()
                        && let Err(error) = checkpoint::record_container(&launcher.paths, &container_id, pid)
                    {
                        tracing::error!(%error, "cannot record the container's process");
                    }
                    let status = child.wait().await.ok().and_then(|s| exit_code(&s));
                    handle.send(Command::ContainerExited { container_id, status });
                }
                Err(message) => {
                    tracing::warn!(%container_id, %message, "failed to launch an executor");
                    handle.send(Command::ContainerLaunchFailed { container_id, message });
                }
            }
        });
    }
}

/// Posts calls to the master one at a time, in order. A call that fails is
/// dropped: status updates are retried by the status update manager.
async fn post_to_master(mut outbox: mpsc::UnboundedReceiver<(String, String, AgentCall)>) {
    let client = mesos_http::client::Client::new().with_timeout(Duration::from_secs(10));
    while let Some((url, stream_id, call)) = outbox.recv().await {
        if let Err(error) = client.call(&url, mesos_proto::ContentType::Protobuf, &call, Some(&stream_id)).await {
            tracing::debug!(%error, "call to the master failed");
        }
    }
}

fn new_container_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The wait status as Mesos reports it: the raw status (exit code shifted,
/// or the signal).
fn exit_code(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    Some(status.into_raw())
}

/// Where the executor binaries are by default: beside this program.
pub fn default_launcher_dir() -> PathBuf {
    std::env::current_exe().ok().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_else(|| PathBuf::from("."))
}
