//! The master's decision logic as a pure state machine.
//!
//! [`Master`] holds frameworks, agents, offers and tasks. Everything that
//! happens to it (a scheduler subscribes or calls, an agent registers or
//! sends an update, an operator changes or asks something, a stream closes,
//! a registry write completes, time passes) is one [`Input`], parsed from
//! the wire once at the core's edge, given to [`Master::handle`] with the
//! current time; it answers with a [`Reply`] (or an [`ApiError`] carrying
//! Mesos's status) and leaves [`Action`]s in its outbox (events to send on
//! scheduler, agent and operator streams, streams to close, registry
//! operations to store). It reads no clock (time comes in as `now`, since
//! the Unix epoch), opens no socket and touches no disk, so it can be tested
//! exhaustively and simulated at scale.
//!
//! Code map:
//! - `input/`: the closed set of inputs and replies, and the parsing of
//!   scheduler, agent and operator calls into them;
//! - `master/mod.rs`: state (private to `master` and its children),
//!   configuration, outbox, timers, the offer cycle; `master/handle.rs`:
//!   the one door;
//! - `master/scheduler/`: the v1 scheduler API (subscribe, accept and
//!   launch validation, the small calls, reconciliation);
//! - `master/agents.rs`, `master/agent_loss.rs`: the agent protocol
//!   (registration, updates, pings, loss);
//! - `master/updates.rs`: applying status updates; `master/removal.rs`:
//!   removing frameworks; `master/registrar.rs`: registry operations and
//!   what waits for them;
//! - `master/maintenance/`: the schedule, machines down and up, inverse
//!   offers, draining and deactivating agents;
//! - `master/operator/`: the operator's changes, the v1 operator API's
//!   views of the state and the operator event stream;
//!   `master/queries.rs`: answers to queries; `legacy/`: the legacy JSON
//!   endpoints' views;
//! - `framework.rs`, `agent.rs`, `task.rs`, `offer.rs`: the records;
//! - `master/metrics.rs`: counters and Mesos-named metrics.

mod agent;
pub mod error;
mod framework;
pub mod ids;
pub mod input;
pub mod legacy;
mod master;
mod offer;
mod task;

pub use agent::{Agent, AgentConnection};
pub use error::{ApiError, ApiStatus};
pub use framework::{Capabilities, Connection, Framework};
pub use input::{Input, Reply};
pub use master::metrics::Counters;
pub use master::operator::time_info;
pub use master::{Action, Master, MasterConfig};
pub use offer::Offer;
pub use task::Task;

/// Identifies one streaming connection (a scheduler subscription or an
/// agent's stream) between the core and the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u64);
