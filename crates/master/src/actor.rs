//! The master's event loop: one task owns the core and gives it every input
//! in order through its one door (`Master::handle`), runs timers and
//! allocation cycles, and routes the core's actions to the channels behind
//! each open stream. Handlers reach it through a [`MasterHandle`] with a
//! typed input and get the core's typed answer back.
//!
//! Allocation runs every `--allocation_interval` and, when an event made new
//! offers possible, once after the queue of pending inputs is drained, so a
//! burst of events makes one cycle and two cycles never overlap.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_master_core::input::{Query, View};
use mesos_master_core::{Action, ApiError, Input, Master, Reply, StreamId};
use mesos_proto::internal::AgentEvent;
use mesos_proto::v1::master::Event as OperatorEvent;
use mesos_proto::v1::scheduler::Event;
use mesos_registry::Registry;
use tokio::sync::{mpsc, oneshot};

use crate::registry::{Store, registrar};

/// The time since the Unix epoch: the only clock the master reads.
pub fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

type Answer = oneshot::Sender<Result<Reply, ApiError>>;

/// Where the events of one stream go.
pub enum StreamSender {
    Scheduler(mpsc::UnboundedSender<Event>),
    Agent(mpsc::UnboundedSender<AgentEvent>),
    Operator(mpsc::UnboundedSender<OperatorEvent>),
}

/// Something for the event loop to do: an input for the core, with the
/// stream it opens (if it subscribes) and where the answer goes.
pub struct Command {
    input: Input,
    attach: Option<(StreamId, StreamSender)>,
    answer: Option<Answer>,
}

/// A cloneable way to reach the event loop.
#[derive(Clone)]
pub struct MasterHandle {
    commands: mpsc::UnboundedSender<Command>,
    next_stream: Arc<AtomicU64>,
}

impl MasterHandle {
    /// A fresh identity for a streaming connection.
    pub fn new_stream(&self) -> StreamId {
        StreamId(self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    /// Gives the core an input without waiting for its answer (streams
    /// that closed, registry results); false when the loop is gone.
    pub fn notify(&self, input: Input) -> bool {
        self.commands.send(Command { input, attach: None, answer: None }).is_ok()
    }

    /// Gives the core an input and waits for its answer. A change the
    /// registry records is answered once it is stored (or refused, 409).
    pub async fn call(&self, input: Input) -> Result<Reply, ApiError> {
        self.send(input, None).await
    }

    /// Opens a stream: its events go to `sender` if the core takes `input`.
    pub async fn open(&self, stream: StreamId, sender: StreamSender, input: Input) -> Result<Reply, ApiError> {
        self.send(input, Some((stream, sender))).await
    }

    /// Asks the core a question.
    pub async fn query(&self, query: Query) -> Result<View, ApiError> {
        match self.call(Input::Query(query)).await? {
            Reply::View(view) => Ok(view),
            other => Err(ApiError::unavailable(format!("Unexpected answer to a query: {other:?}"))),
        }
    }

    async fn send(&self, input: Input, attach: Option<(StreamId, StreamSender)>) -> Result<Reply, ApiError> {
        let gone = || ApiError::unavailable("The master is shutting down");
        let (answer, reply) = oneshot::channel();
        self.commands.send(Command { input, attach, answer: Some(answer) }).map_err(|_| gone())?;
        reply.await.unwrap_or_else(|_| Err(gone()))
    }
}

/// The registry the core was recovered from, and where to keep it.
pub struct RegistrySetup {
    pub registry: Registry,
    pub store: Box<dyn Store>,
    pub store_timeout: Duration,
}

/// The commands of an event loop not started yet.
pub struct Inbox(mpsc::UnboundedReceiver<Command>);

/// A handle whose event loop starts later (once this master leads):
/// commands sent meanwhile wait in the inbox.
pub fn handle() -> (MasterHandle, Inbox) {
    let (commands, inbox) = mpsc::unbounded_channel();
    (MasterHandle { commands, next_stream: Arc::new(AtomicU64::new(1)) }, Inbox(inbox))
}

/// Starts the event loop around `core` on `inbox`, with a registrar writing
/// its registry operations.
pub fn start(
    handle: &MasterHandle,
    inbox: Inbox,
    core: Master,
    allocation_interval: Duration,
    registry: RegistrySetup,
) {
    let registrar = registrar::spawn(registry.registry, registry.store, registry.store_timeout, handle.clone());
    tokio::spawn(EventLoop::new(core, allocation_interval, registrar).run(inbox.0));
}

/// Starts the event loop around `core` at once.
pub fn spawn(core: Master, allocation_interval: Duration, registry: RegistrySetup) -> MasterHandle {
    let (handle, inbox) = handle();
    start(&handle, inbox, core, allocation_interval, registry);
    handle
}

struct EventLoop {
    core: Master,
    allocation_interval: Duration,
    next_allocation: Duration,
    schedulers: HashMap<StreamId, mpsc::UnboundedSender<Event>>,
    agents: HashMap<StreamId, mpsc::UnboundedSender<AgentEvent>>,
    registrar: mpsc::UnboundedSender<registrar::Request>,
    /// Operator calls waiting for their registry operation, by ticket.
    waiting: HashMap<u64, Answer>,
    operators: HashMap<StreamId, mpsc::UnboundedSender<OperatorEvent>>,
}

impl EventLoop {
    fn new(
        core: Master,
        allocation_interval: Duration,
        registrar: mpsc::UnboundedSender<registrar::Request>,
    ) -> EventLoop {
        EventLoop {
            core,
            allocation_interval,
            next_allocation: now() + allocation_interval,
            schedulers: HashMap::new(),
            agents: HashMap::new(),
            registrar,
            waiting: HashMap::new(),
            operators: HashMap::new(),
        }
    }

    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Command>) {
        loop {
            let deadline = self.core.next_deadline().map_or(self.next_allocation, |d| d.min(self.next_allocation));
            let wait = deadline.saturating_sub(now());
            tokio::select! {
                command = inbox.recv() => {
                    let Some(command) = command else { break };
                    self.handle(command);
                    while let Ok(command) = inbox.try_recv() {
                        self.handle(command);
                    }
                }
                () = tokio::time::sleep(wait) => {}
            }
            let now = now();
            let _ = self.core.handle(now, Input::Tick);
            if now >= self.next_allocation {
                self.next_allocation = now + self.allocation_interval;
                let _ = self.core.handle(now, Input::Allocate);
            } else if self.core.allocation_wanted() {
                let _ = self.core.handle(now, Input::Allocate);
            }
            self.dispatch();
        }
    }

    fn handle(&mut self, command: Command) {
        let Command { input, attach, answer } = command;
        let opened = attach.map(|(stream, sender)| {
            match sender {
                StreamSender::Scheduler(events) => self.schedulers.insert(stream, events).is_none(),
                StreamSender::Agent(events) => self.agents.insert(stream, events).is_none(),
                StreamSender::Operator(events) => self.operators.insert(stream, events).is_none(),
            };
            stream
        });
        match &input {
            Input::SchedulerClosed { stream } => {
                self.schedulers.remove(stream);
            }
            Input::AgentClosed { stream } => {
                self.agents.remove(stream);
            }
            Input::OperatorClosed { stream } => {
                self.operators.remove(stream);
            }
            Input::RegistryApplied { ticket, result } => {
                if let Some(waiting) = self.waiting.remove(ticket) {
                    let _ = waiting.send(result.clone().map(|()| Reply::Done).map_err(ApiError::conflict));
                }
            }
            _ => {}
        }
        let result = self.core.handle(now(), input);
        if result.is_err()
            && let Some(stream) = opened
        {
            self.schedulers.remove(&stream);
            self.agents.remove(&stream);
            self.operators.remove(&stream);
        }
        match (result, answer) {
            (Ok(Reply::Stored { ticket }), Some(answer)) => {
                self.waiting.insert(ticket, answer);
            }
            (result, Some(answer)) => {
                let _ = answer.send(result);
            }
            (_, None) => {}
        }
        // Actions go out in the order they were decided, before later inputs.
        self.dispatch();
    }

    fn dispatch(&mut self) {
        for action in self.core.take_actions() {
            match action {
                Action::ToFramework { stream, event } => {
                    if let Some(events) = self.schedulers.get(&stream) {
                        let _ = events.send(*event);
                    }
                }
                Action::CloseFramework { stream } => {
                    self.schedulers.remove(&stream);
                }
                Action::ToAgent { stream, event } => {
                    if let Some(events) = self.agents.get(&stream) {
                        let _ = events.send(*event);
                    }
                }
                Action::CloseAgent { stream } => {
                    self.agents.remove(&stream);
                }
                Action::Registry { ticket, operation } => {
                    let _ = self.registrar.send((ticket, *operation));
                }
                Action::Abort { message } => {
                    tracing::error!("{message}; the master cannot go on");
                    eprintln!("mesos-master: {message}");
                    std::process::exit(1);
                }
                Action::ToOperator { stream, event } => {
                    if let Some(events) = self.operators.get(&stream) {
                        let _ = events.send(*event);
                    }
                }
                Action::ToOperators { event } => {
                    for events in self.operators.values() {
                        let _ = events.send((*event).clone());
                    }
                }
                Action::CloseOperator { stream } => {
                    self.operators.remove(&stream);
                }
            }
        }
    }
}
