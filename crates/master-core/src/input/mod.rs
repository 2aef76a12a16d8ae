//! Everything that can happen to the master, as one closed set of typed
//! inputs, and what [`crate::Master::handle`] answers. Wire messages are
//! parsed into these types once, at the core's edge (`scheduler.rs`,
//! `agent.rs`, `operator.rs`), so the core never sees a call without the
//! parts it requires; the daemon, the simulation and the tests all drive
//! the core through this one door.

mod agent;
mod operator;
mod query;
mod scheduler;

pub use agent::{AgentMessage, AgentRequest};
pub use operator::{OperatorCall, OperatorRequest, quota_config_of_request};
pub use query::{DaemonFacts, Query, TaskQuery, View};
pub use scheduler::{SchedulerCall, SchedulerRequest, SchedulerSubscribe};

use mesos_proto::internal::agent_call;
use mesos_proto::v1::{AgentId, FrameworkId};

use crate::StreamId;

/// One thing that happened to the master.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A scheduler opened a subscription stream, named `stream_id` to it.
    SchedulerSubscribe {
        stream: StreamId,
        stream_id: String,
        subscribe: Box<SchedulerSubscribe>,
    },
    /// A call on a scheduler's subscription.
    SchedulerCall {
        framework_id: FrameworkId,
        stream_id: String,
        call: SchedulerCall,
    },
    /// A scheduler's subscription stream closed.
    SchedulerClosed {
        stream: StreamId,
    },
    /// An agent opened its stream with REGISTER.
    AgentRegister {
        stream: StreamId,
        stream_id: String,
        register: Box<agent_call::Register>,
    },
    /// An agent opened its stream with REREGISTER.
    AgentReregister {
        stream: StreamId,
        stream_id: String,
        reregister: Box<agent_call::Reregister>,
    },
    /// A call of a registered agent, on the stream named `stream_id`.
    AgentCall {
        agent_id: AgentId,
        stream_id: Option<String>,
        call: AgentMessage,
    },
    /// An agent's stream closed.
    AgentClosed {
        stream: StreamId,
    },
    /// An operator subscribed to the event stream.
    OperatorSubscribe {
        stream: StreamId,
    },
    OperatorClosed {
        stream: StreamId,
    },
    /// A change an operator asks for.
    Operator(OperatorCall),
    /// A question about the state.
    Query(Query),
    /// The registry stored (or refused) the operation with this ticket.
    RegistryApplied {
        ticket: u64,
        result: Result<(), String>,
    },
    /// Time passed: timeouts, pings, retries that are due.
    Tick,
    /// An allocation cycle.
    Allocate,
}

impl Input {
    /// The input's kind, for traces and for counting what a simulation
    /// exercised (operator calls and queries are named by their own kind).
    pub fn kind(&self) -> &'static str {
        match self {
            Input::SchedulerSubscribe { .. } => "SchedulerSubscribe",
            Input::SchedulerCall { .. } => "SchedulerCall",
            Input::SchedulerClosed { .. } => "SchedulerClosed",
            Input::AgentRegister { .. } => "AgentRegister",
            Input::AgentReregister { .. } => "AgentReregister",
            Input::AgentCall { .. } => "AgentCall",
            Input::AgentClosed { .. } => "AgentClosed",
            Input::OperatorSubscribe { .. } => "OperatorSubscribe",
            Input::OperatorClosed { .. } => "OperatorClosed",
            Input::Operator(call) => call.kind(),
            Input::Query(_) => "Query",
            Input::RegistryApplied { .. } => "RegistryApplied",
            Input::Tick => "Tick",
            Input::Allocate => "Allocate",
        }
    }

    /// Every kind but the operator calls' (see [`OperatorCall::KINDS`]).
    pub const KINDS: &[&str] = &[
        "SchedulerSubscribe",
        "SchedulerCall",
        "SchedulerClosed",
        "AgentRegister",
        "AgentReregister",
        "AgentCall",
        "AgentClosed",
        "OperatorSubscribe",
        "OperatorClosed",
        "Query",
        "RegistryApplied",
        "Tick",
        "Allocate",
    ];
}

/// What the master answers to an input it took.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Done (`200 OK`, or `202 Accepted` where Mesos answers so).
    Done,
    /// Applied; the agent learns of it next (`202 Accepted`).
    Accepted,
    /// An agent's stream is open for the agent with this id.
    AgentSubscribed(AgentId),
    /// The change waits for the registry: answer once
    /// [`Input::RegistryApplied`] with this ticket comes.
    Stored {
        ticket: u64,
    },
    View(View),
}
