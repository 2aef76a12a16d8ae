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

/// How many requests from handlers may wait for the event loop; beyond it
/// a request is answered `503 Service Unavailable` with `Retry-After`
/// instead of queueing without limit.
pub const REQUEST_BACKLOG: usize = 4096;

/// Where the events of one stream go. Each stream's queue is bounded (by
/// `--event_stream_backlog`): a subscriber that stops reading is
/// disconnected, as Mesos closes a stream it cannot write to, instead of
/// holding the master's memory.
pub enum StreamSender {
    Scheduler(mpsc::Sender<Event>),
    Agent(mpsc::Sender<AgentEvent>),
    Operator(mpsc::Sender<OperatorEvent>),
}

/// Something for the event loop to do: an input for the core, with the
/// stream it opens (if it subscribes) and where the answer goes.
pub struct Command {
    input: Input,
    attach: Option<(StreamId, StreamSender)>,
    answer: Option<Answer>,
}

/// A cloneable way to reach the event loop: requests on a bounded queue,
/// notifications (streams that closed, registry results, which the loop
/// must never lose and which are bounded by the streams and operations
/// open) on their own.
#[derive(Clone)]
pub struct MasterHandle {
    requests: mpsc::Sender<Command>,
    notifications: mpsc::UnboundedSender<Command>,
    stops: mpsc::UnboundedSender<Stop>,
    next_stream: Arc<AtomicU64>,
    event_backlog: usize,
}

/// A request to stop, answered once the loop is gone.
type Stop = oneshot::Sender<()>;

impl MasterHandle {
    /// The queue for one stream's events.
    pub fn event_queue<E>(&self) -> (mpsc::Sender<E>, mpsc::Receiver<E>) {
        mpsc::channel(self.event_backlog)
    }

    /// A fresh identity for a streaming connection.
    pub fn new_stream(&self) -> StreamId {
        StreamId(self.next_stream.fetch_add(1, Ordering::Relaxed))
    }

    /// Gives the core an input without waiting for its answer (streams
    /// that closed, registry results); false when the loop is gone.
    pub fn notify(&self, input: Input) -> bool {
        self.notifications.send(Command { input, attach: None, answer: None }).is_ok()
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

    /// Stops the event loop after the inputs already queued: every stream
    /// it feeds (schedulers, agents, operators) ends, and this resolves once
    /// the registry operations the core asked for are stored. A loop that
    /// has not started (a standby's) answers when its inbox is dropped.
    pub async fn shut_down(&self) {
        let (done, stopped) = oneshot::channel();
        if self.stops.send(done).is_ok() {
            let _ = stopped.await;
        }
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
        self.requests.try_send(Command { input, attach, answer: Some(answer) }).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => ApiError::unavailable("The master is overloaded; retry later"),
            mpsc::error::TrySendError::Closed(_) => gone(),
        })?;
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
pub struct Inbox {
    requests: mpsc::Receiver<Command>,
    notifications: mpsc::UnboundedReceiver<Command>,
    stops: mpsc::UnboundedReceiver<Stop>,
}

/// A handle whose event loop starts later (once this master leads):
/// commands sent meanwhile wait in the inbox. Each event stream queues at
/// most `event_backlog` events.
pub fn handle(event_backlog: usize) -> (MasterHandle, Inbox) {
    let (requests, requests_inbox) = mpsc::channel(REQUEST_BACKLOG);
    let (notifications, notifications_inbox) = mpsc::unbounded_channel();
    let (stops, stops_inbox) = mpsc::unbounded_channel();
    let next_stream = Arc::new(AtomicU64::new(1));
    let handle = MasterHandle { requests, notifications, stops, next_stream, event_backlog };
    (handle, Inbox { requests: requests_inbox, notifications: notifications_inbox, stops: stops_inbox })
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
    let (registrar, written) =
        registrar::spawn(registry.registry, registry.store, registry.store_timeout, handle.clone());
    tokio::spawn(async move {
        let stopped = EventLoop::new(core, allocation_interval, registrar).run(inbox).await;
        // The loop held the registrar's only sender: it ends once it has
        // stored what it was asked.
        let _ = written.await;
        if let Some(done) = stopped {
            let _ = done.send(());
        }
    });
}

struct EventLoop {
    core: Master,
    allocation_interval: Duration,
    next_allocation: Duration,
    schedulers: HashMap<StreamId, mpsc::Sender<Event>>,
    agents: HashMap<StreamId, mpsc::Sender<AgentEvent>>,
    registrar: mpsc::UnboundedSender<registrar::Request>,
    /// Operator calls waiting for their registry operation, by ticket.
    waiting: HashMap<u64, Answer>,
    operators: HashMap<StreamId, mpsc::Sender<OperatorEvent>>,
    /// Streams whose subscriber stopped reading (or left), to be closed.
    overflowed: Vec<Input>,
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
            overflowed: Vec::new(),
        }
    }

    /// Runs until every handle is gone, or until asked to stop (then
    /// returns whom to tell, after the inputs queued before); dropping the
    /// loop ends every stream it feeds.
    async fn run(mut self, mut inbox: Inbox) -> Option<Stop> {
        loop {
            let deadline = self.core.next_deadline().map_or(self.next_allocation, |d| d.min(self.next_allocation));
            let wait = deadline.saturating_sub(now());
            tokio::select! {
                biased;
                command = inbox.notifications.recv() => {
                    self.handle(command?);
                }
                command = inbox.requests.recv() => {
                    self.handle(command?);
                    // Take what else is waiting, so a burst makes one
                    // allocation cycle; notifications first.
                    loop {
                        if let Ok(command) = inbox.notifications.try_recv() {
                            self.handle(command);
                        } else if let Ok(command) = inbox.requests.try_recv() {
                            self.handle(command);
                        } else {
                            break;
                        }
                    }
                }
                Some(stop) = inbox.stops.recv() => {
                    while let Ok(command) = inbox.notifications.try_recv().or_else(|_| inbox.requests.try_recv()) {
                        self.handle(command);
                    }
                    return Some(stop);
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

    /// Carries out the core's actions; streams that cannot take their
    /// events are closed and the core told, until nothing is left to do.
    fn dispatch(&mut self) {
        loop {
            for action in self.core.take_actions() {
                self.carry_out(action);
            }
            if self.overflowed.is_empty() {
                return;
            }
            for input in std::mem::take(&mut self.overflowed) {
                let _ = self.core.handle(now(), input);
            }
        }
    }

    fn carry_out(&mut self, action: Action) {
        match action {
            Action::ToFramework { stream, event } => {
                if let Some(events) = self.schedulers.get(&stream)
                    && events.try_send(*event).is_err()
                {
                    tracing::warn!(?stream, "a scheduler stopped reading its events; disconnecting it");
                    self.schedulers.remove(&stream);
                    self.overflowed.push(Input::SchedulerClosed { stream });
                }
            }
            Action::CloseFramework { stream } => {
                self.schedulers.remove(&stream);
            }
            Action::ToAgent { stream, event } => {
                if let Some(events) = self.agents.get(&stream)
                    && events.try_send(*event).is_err()
                {
                    tracing::warn!(?stream, "an agent stopped reading its events; disconnecting it");
                    self.agents.remove(&stream);
                    self.overflowed.push(Input::AgentClosed { stream });
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
            Action::ToOperator { stream, event } => self.send_to_operator(stream, *event),
            Action::ToOperators { event } => {
                let streams: Vec<StreamId> = self.operators.keys().copied().collect();
                for stream in streams {
                    self.send_to_operator(stream, (*event).clone());
                }
            }
            Action::CloseOperator { stream } => {
                self.operators.remove(&stream);
            }
        }
    }

    fn send_to_operator(&mut self, stream: StreamId, event: OperatorEvent) {
        if let Some(events) = self.operators.get(&stream)
            && events.try_send(event).is_err()
        {
            tracing::warn!(?stream, "an operator stopped reading its event stream; closing it");
            self.operators.remove(&stream);
            self.overflowed.push(Input::OperatorClosed { stream });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_beyond_the_backlog_are_refused_at_once() {
        // A loop that never runs: every request waits in the queue.
        let (handle, _inbox) = handle(16);
        let mut waiting = Vec::new();
        for _ in 0..REQUEST_BACKLOG {
            let handle = handle.clone();
            waiting.push(tokio::spawn(async move { handle.call(Input::Tick).await }));
        }
        // Let every queued request reach the queue.
        while handle.requests.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = handle.call(Input::Tick).await.expect_err("refused");
        assert_eq!(refused.status, mesos_master_core::ApiStatus::ServiceUnavailable);
        assert!(refused.message.contains("overloaded"), "{refused}");
        // Notifications are never refused.
        assert!(handle.notify(Input::Tick));
        for task in waiting {
            task.abort();
        }
    }
}
