//! The agent's event loop: one task owns the core, takes every input in
//! order (master events, executor calls, container fates, timers) and carries
//! out the core's actions: posting calls to the master, launching and
//! destroying containers, and streaming events to executors.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_agent_core::{
    Agent, AgentAction, AgentInput, ExecutorCall, ExecutorError, ExecutorStream, ExecutorSubscribe, LaunchSpec,
};
use mesos_proto::internal::AgentCall;
use mesos_proto::v1::executor::Event as ExecutorEvent;
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
    /// The stream to the master closed.
    MasterDisconnected,
    /// An executor subscribes; its events go to `events`.
    ExecutorSubscribe {
        stream: ExecutorStream,
        subscribe: ExecutorSubscribe,
        events: mpsc::Sender<ExecutorEvent>,
        reply: Reply,
    },
    ExecutorCall {
        call: ExecutorCall,
        reply: Reply,
    },
    /// Anything else for the core: master messages, container fates,
    /// checkpoint results.
    Input(AgentInput),
    Inspect(Inspector),
    /// Stop after the inputs queued before this one (see
    /// [`AgentHandle::shut_down`]).
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// How many requests from HTTP handlers (executor calls, state queries)
/// may wait for the event loop; beyond it they are answered `503`.
pub const REQUEST_BACKLOG: usize = 1024;

/// Events queued for one executor at most; an executor that stops reading
/// its stream is disconnected (it re-subscribes, as after any break).
pub const EXECUTOR_EVENT_BACKLOG: usize = 1024;

/// Why a request did not reach the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("The agent is overloaded; retry later")]
    Overloaded,
    #[error("Agent is shutting down")]
    ShuttingDown,
}

/// A cloneable way to reach the event loop: requests from handlers on a
/// bounded queue, notifications (master events, container fates,
/// checkpoint results, which must never be lost) on their own.
#[derive(Clone)]
pub struct AgentHandle {
    requests: mpsc::Sender<Command>,
    notifications: mpsc::UnboundedSender<Command>,
    next_stream: Arc<AtomicU64>,
}

impl AgentHandle {
    pub fn new_stream(&self) -> ExecutorStream {
        ExecutorStream(self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    /// Queues a notification; false when the loop is gone.
    pub fn send(&self, command: Command) -> bool {
        self.notifications.send(command).is_ok()
    }

    /// Queues a request from a handler, unless too many wait already.
    pub fn request(&self, command: Command) -> Result<(), Unavailable> {
        self.requests.try_send(command).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => Unavailable::Overloaded,
            mpsc::error::TrySendError::Closed(_) => Unavailable::ShuttingDown,
        })
    }

    /// Stops the event loop after the notifications already queued: the
    /// executors' streams end and nothing more is done to containers, which
    /// keep running. Resolves once the loop is gone and the checkpoint
    /// records it asked for are written.
    pub async fn shut_down(&self) {
        let (done, stopped) = oneshot::channel();
        if self.send(Command::Shutdown { done }) {
            let _ = stopped.await;
        }
    }

    /// Runs `inspect` on the core and returns its result; `None` when the
    /// agent is overloaded or shutting down (a handler's request).
    pub async fn inspect<T: Send + 'static>(
        &self,
        inspect: impl FnOnce(&Agent, Duration) -> T + Send + 'static,
    ) -> Option<T> {
        let (command, answer) = inspection(inspect);
        self.request(command).ok()?;
        answer.await.ok()
    }

    /// Like [`AgentHandle::inspect`], for the agent's own tasks (the link
    /// to the master): never refused while the loop runs.
    pub async fn inspect_internal<T: Send + 'static>(
        &self,
        inspect: impl FnOnce(&Agent, Duration) -> T + Send + 'static,
    ) -> Option<T> {
        let (command, answer) = inspection(inspect);
        if !self.send(command) {
            return None;
        }
        answer.await.ok()
    }
}

fn inspection<T: Send + 'static>(
    inspect: impl FnOnce(&Agent, Duration) -> T + Send + 'static,
) -> (Command, oneshot::Receiver<T>) {
    let (reply, answer) = oneshot::channel();
    let command = Command::Inspect(Box::new(move |agent, now| {
        let _ = reply.send(inspect(agent, now));
    }));
    (command, answer)
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
    let (requests, requests_inbox) = mpsc::channel(REQUEST_BACKLOG);
    let (notifications, notifications_inbox) = mpsc::unbounded_channel();
    let handle = AgentHandle { requests, notifications, next_stream: Arc::new(AtomicU64::new(1)) };
    let (outbox, outbox_rx) = mpsc::unbounded_channel();
    tokio::spawn(post_to_master(outbox_rx));
    let (checkpoints, written) = checkpoint::queue::spawn(launcher.paths.clone(), handle.clone());
    let event_loop = EventLoop {
        checkpoints,
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
            forward.send(Command::Input(AgentInput::ContainerLimited { container_id, limitation }));
        }
    });
    tokio::spawn(async move {
        if let Some(done) = event_loop.run(requests_inbox, notifications_inbox).await {
            // The loop held the writer's only sender: it ends once the
            // records asked for are on disk.
            let _ = written.await;
            let _ = done.send(());
        }
    });
    handle
}

/// Watches an executor this agent did not start (it survived a restart):
/// it cannot be waited for, so its process is polled.
async fn watch_adopted(container: mesos_proto::internal::ContainerProcess, handle: AgentHandle) {
    while crate::process::is_running(container.pid, container.start_time) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    handle.send(Command::Input(AgentInput::ContainerExited { container_id: container.container_id, status: None }));
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
    executors: HashMap<ExecutorStream, mpsc::Sender<ExecutorEvent>>,
    shutdown: mpsc::UnboundedSender<String>,
    /// Writes checkpoint records in order, off the loop.
    checkpoints: mpsc::UnboundedSender<checkpoint::queue::Job>,
}

impl EventLoop {
    /// Runs until every handle is gone, or until asked to stop (then returns
    /// whom to tell); dropping the loop ends every executor stream.
    async fn run(
        mut self,
        mut requests: mpsc::Receiver<Command>,
        mut notifications: mpsc::UnboundedReceiver<Command>,
    ) -> Option<oneshot::Sender<()>> {
        loop {
            let wait = self.core.next_deadline().map_or(Duration::from_secs(60), |d| d.saturating_sub(now()));
            tokio::select! {
                biased;
                command = notifications.recv() => {
                    match command? {
                        Command::Shutdown { done } => return Some(done),
                        command => self.handle(command),
                    }
                }
                command = requests.recv() => {
                    self.handle(command?);
                }
                () = tokio::time::sleep(wait) => {}
            }
            let _ = self.input(AgentInput::Tick, now());
            self.dispatch();
        }
    }

    /// Gives the core one input; only executor calls can be refused.
    fn input(&mut self, input: AgentInput, now: Duration) -> Result<(), ExecutorError> {
        self.core.handle(now, input)
    }

    fn handle(&mut self, command: Command) {
        let now = now();
        match command {
            Command::MasterConnected { url, stream_id } => self.master = Some((url, stream_id)),
            Command::MasterDisconnected => {
                self.master = None;
                let _ = self.input(AgentInput::MasterDisconnected, now);
            }
            Command::ExecutorSubscribe { stream, subscribe, events, reply } => {
                self.executors.insert(stream, events);
                let result = self.input(AgentInput::ExecutorSubscribe { stream, subscribe }, now);
                if result.is_err() {
                    self.executors.remove(&stream);
                }
                let _ = reply.send(result);
            }
            Command::ExecutorCall { call, reply } => {
                self.check_limits_before(&call, now);
                let _ = reply.send(self.input(AgentInput::ExecutorCall(call), now));
            }
            Command::Input(input) => {
                match &input {
                    AgentInput::ExecutorClosed { stream } => {
                        self.executors.remove(stream);
                    }
                    AgentInput::ContainerLaunchFailed { container_id, .. } => self.collect_sandbox(container_id, now),
                    AgentInput::ContainerLimited { container_id, limitation } => {
                        tracing::warn!(%container_id, message = %limitation.message, "container limitation");
                    }
                    AgentInput::ContainerExited { container_id, .. } => {
                        self.collect_sandbox(container_id, now);
                        self.containerizer.forget(container_id);
                        checkpoint::forget_container(&self.launcher.paths, container_id);
                    }
                    AgentInput::FromMaster(mesos_agent_core::FromMaster::Error { message }) => {
                        tracing::error!(%message, "the master reported an error");
                    }
                    _ => {}
                }
                let _ = self.input(input, now);
            }
            Command::Inspect(inspect) => inspect(&self.core, now),
            // Taken by `run` before it gets here.
            Command::Shutdown { .. } => {}
        }
        self.dispatch();
    }

    /// Carries out the core's actions; executor streams that cannot take
    /// their events are closed and the core told, until nothing is left.
    fn dispatch(&mut self) {
        loop {
            let mut overflowed = Vec::new();
            self.carry_out(&mut overflowed);
            if overflowed.is_empty() {
                return;
            }
            for stream in overflowed {
                let _ = self.input(AgentInput::ExecutorClosed { stream }, now());
            }
        }
    }

    fn carry_out(&mut self, overflowed: &mut Vec<ExecutorStream>) {
        for action in self.core.take_actions() {
            match action {
                AgentAction::ToMaster(call) => self.to_master(*call),
                AgentAction::LaunchExecutor(spec) => self.launch(*spec),
                AgentAction::DestroyContainer { container_id } => self.containerizer.destroy(&container_id),
                AgentAction::UpdateContainer { container_id, resources } => {
                    self.containerizer.update(&container_id, &resources)
                }
                AgentAction::ToExecutor { stream, event } => {
                    if let Some(events) = self.executors.get(&stream)
                        && events.try_send(*event).is_err()
                    {
                        tracing::warn!(?stream, "an executor stopped reading its events; disconnecting it");
                        self.executors.remove(&stream);
                        overflowed.push(stream);
                    }
                }
                AgentAction::CloseExecutor { stream } => {
                    self.executors.remove(&stream);
                }
                AgentAction::Checkpoint { ticket, write } => {
                    let agent_id = self.core.agent_id().map(|id| id.value.clone());
                    let _ = self.checkpoints.send(checkpoint::queue::Job { ticket, agent_id, write });
                }
                AgentAction::Abort { message } => {
                    // As Mesos does when a checkpoint cannot be written:
                    // stop, so that a restart recovers from what is on disk
                    // (executors of checkpointing frameworks keep running).
                    tracing::error!(%message, "the agent cannot go on");
                    eprintln!("mesos-agent: {message}");
                    std::process::exit(1);
                }
                AgentAction::Shutdown { message } => {
                    tracing::warn!(%message, "the master shut this agent down");
                    let _ = self.shutdown.send(message);
                }
            }
        }
    }

    /// Before an executor's report that a task ended goes in, a limit its
    /// container hit (an OOM kill) is taken first: the task ended because
    /// of it, whichever news reached the agent first.
    fn check_limits_before(&mut self, call: &ExecutorCall, now: Duration) {
        if !call.is_terminal_update() {
            return;
        }
        let container = self.core.container_of(&call.framework_id, &call.executor_id).map(str::to_owned);
        if let Some(container_id) = container
            && let Some(limitation) = self.containerizer.limitation(&container_id)
        {
            let _ = self.input(AgentInput::ContainerLimited { container_id, limitation }, now);
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
                    handle.send(Command::Input(AgentInput::ContainerExited { container_id, status }));
                }
                Err(message) => {
                    tracing::warn!(%container_id, %message, "failed to launch an executor");
                    handle.send(Command::Input(AgentInput::ContainerLaunchFailed { container_id, message }));
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
