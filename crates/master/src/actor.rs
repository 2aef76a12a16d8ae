//! The master's event loop: one task owns the core and takes every input in
//! order from a channel, runs timers and allocation cycles, and routes the
//! core's actions to the channels behind each open stream.
//!
//! Allocation runs every `--allocation_interval` and, when an event made new
//! offers possible, once after the queue of pending inputs is drained, so a
//! burst of events makes one cycle and two cycles never overlap.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_master_core::{Action, ApiError, Master, StreamId};
use mesos_proto::internal::{AgentCall, AgentEvent};
use mesos_proto::v1::AgentId;
use mesos_proto::v1::master::Event as OperatorEvent;
use mesos_proto::v1::scheduler::{Call, Event};
use mesos_registry::Registry;
use tokio::sync::{mpsc, oneshot};

use crate::registry::{Store, registrar};

/// The time since the Unix epoch: the only clock the master reads.
pub fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

type Reply<T> = oneshot::Sender<Result<T, ApiError>>;

/// A read-only look at the core, run inside the loop.
pub type Inspector = Box<dyn FnOnce(&Master, Duration) + Send>;

/// A change to the core made inside the loop (operator calls).
pub type Mutator = Box<dyn FnOnce(&mut Master, Duration) + Send>;

/// Something for the event loop to do.
pub enum Command {
    Subscribe {
        stream: StreamId,
        stream_id: String,
        call: Box<Call>,
        events: mpsc::UnboundedSender<Event>,
        reply: Reply<()>,
    },
    SchedulerCall {
        stream_id: Option<String>,
        call: Box<Call>,
        reply: Reply<()>,
    },
    SchedulerClosed {
        stream: StreamId,
    },
    AgentSubscribe {
        stream: StreamId,
        stream_id: String,
        call: Box<AgentCall>,
        events: mpsc::UnboundedSender<AgentEvent>,
        reply: Reply<AgentId>,
    },
    AgentCall {
        stream_id: Option<String>,
        call: Box<AgentCall>,
        reply: Reply<()>,
    },
    AgentClosed {
        stream: StreamId,
    },
    /// An operator subscribes to the event stream.
    OperatorSubscribe {
        stream: StreamId,
        events: mpsc::UnboundedSender<OperatorEvent>,
    },
    OperatorClosed {
        stream: StreamId,
    },
    /// Runs a read-only closure on the core (state endpoints).
    Inspect(Inspector),
    /// Runs a closure that changes the core (operator calls).
    Mutate(Mutator),
    /// Runs a closure that may ask for a registry operation, and answers
    /// once that is stored.
    MutateStored {
        change: StoredMutator,
        reply: Reply<()>,
    },
    /// The registrar stored (or the registry refused) an operation.
    RegistryApplied {
        ticket: u64,
        result: Result<(), String>,
    },
}

/// A change that returns the registry ticket to wait for, if any.
pub type StoredMutator = Box<dyn FnOnce(&mut Master, Duration) -> Result<Option<u64>, ApiError> + Send>;

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

    /// Queues a command; false when the loop is gone.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }

    /// Runs `change` on the core and returns its result; the actions it
    /// decides go out right after.
    pub async fn mutate<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Master, Duration) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Mutate(Box::new(move |master, now| {
            let _ = reply.send(change(master, now));
        }));
        if !self.send(command) {
            return None;
        }
        answer.await.ok()
    }

    /// Runs `change` on the core and waits until the registry operation it
    /// asked for (if any) is stored; an operation the registry refuses is a
    /// 409 with its reason.
    pub async fn mutate_stored(
        &self,
        change: impl FnOnce(&mut Master, Duration) -> Result<Option<u64>, ApiError> + Send + 'static,
    ) -> Result<(), ApiError> {
        let (reply, answer) = oneshot::channel();
        if !self.send(Command::MutateStored { change: Box::new(change), reply }) {
            return Err(ApiError::unavailable("The master is shutting down"));
        }
        answer.await.unwrap_or_else(|_| Err(ApiError::unavailable("The master is shutting down")))
    }

    /// Runs `inspect` on the core and returns its result.
    pub async fn inspect<T: Send + 'static>(
        &self,
        inspect: impl FnOnce(&Master, Duration) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Inspect(Box::new(move |master, now| {
            let _ = reply.send(inspect(master, now));
        }));
        if !self.send(command) {
            return None;
        }
        answer.await.ok()
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
    waiting: HashMap<u64, Reply<()>>,
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
            self.core.tick(now);
            if now >= self.next_allocation {
                self.next_allocation = now + self.allocation_interval;
                self.core.allocate(now);
            } else if self.core.allocation_wanted() {
                self.core.allocate(now);
            }
            self.dispatch();
        }
    }

    fn handle(&mut self, command: Command) {
        let now = now();
        match command {
            Command::Subscribe { stream, stream_id, call, events, reply } => {
                self.schedulers.insert(stream, events);
                let result = self.core.subscribe(now, stream, stream_id, *call);
                if result.is_err() {
                    self.schedulers.remove(&stream);
                }
                let _ = reply.send(result);
            }
            Command::SchedulerCall { stream_id, call, reply } => {
                let _ = reply.send(self.core.scheduler_call(now, stream_id.as_deref(), *call));
            }
            Command::SchedulerClosed { stream } => {
                self.schedulers.remove(&stream);
                self.core.scheduler_disconnected(now, stream);
            }
            Command::AgentSubscribe { stream, stream_id, call, events, reply } => {
                self.agents.insert(stream, events);
                let result = self.core.agent_subscribe(now, stream, stream_id, *call);
                if result.is_err() {
                    self.agents.remove(&stream);
                }
                let _ = reply.send(result);
            }
            Command::AgentCall { stream_id, call, reply } => {
                let _ = reply.send(self.core.agent_call(now, stream_id.as_deref(), *call));
            }
            Command::AgentClosed { stream } => {
                self.agents.remove(&stream);
                self.core.agent_disconnected(now, stream);
            }
            Command::OperatorSubscribe { stream, events } => {
                self.operators.insert(stream, events);
                self.core.operator_subscribe(stream, now);
            }
            Command::OperatorClosed { stream } => {
                self.operators.remove(&stream);
                self.core.operator_disconnected(stream);
            }
            Command::Inspect(inspect) => inspect(&self.core, now),
            Command::Mutate(change) => change(&mut self.core, now),
            Command::MutateStored { change, reply } => match change(&mut self.core, now) {
                Ok(Some(ticket)) => {
                    self.waiting.insert(ticket, reply);
                }
                other => {
                    let _ = reply.send(other.map(|_| ()));
                }
            },
            Command::RegistryApplied { ticket, result } => {
                if let Some(reply) = self.waiting.remove(&ticket) {
                    let _ = reply.send(result.clone().map_err(ApiError::conflict));
                }
                self.core.registry_applied(ticket, result, now);
            }
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
