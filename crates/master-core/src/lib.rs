//! The master's decision logic as a pure state machine.
//!
//! [`Master`] holds frameworks, agents, offers and tasks. The daemon feeds it
//! what happens (a scheduler subscribes or calls, an agent registers or sends
//! an update, a stream closes, time passes) and carries out the [`Action`]s
//! it leaves in its outbox (events to send on scheduler and agent streams,
//! streams to close). It reads no clock (every method takes `now`, the time
//! since the Unix epoch), opens no socket and touches no disk, so it can be
//! tested exhaustively and simulated at scale.
//!
//! Code map:
//! - `master.rs`: state, configuration, outbox, timers, the offer cycle;
//! - `scheduler/`: the v1 scheduler API (subscribe, accept and launch
//!   validation, the small calls, reconciliation);
//! - `agents.rs`: the agent protocol (registration, updates, pings, loss);
//! - `updates.rs`: applying status updates; `removal.rs`: removing frameworks;
//! - `framework.rs`, `agent.rs`, `task.rs`, `offer.rs`: the records;
//! - `maintenance/`: the schedule, machines down and up, inverse offers,
//!   draining and deactivating agents;
//! - `operator/`: the v1 operator API's views of the state and the
//!   operator event stream;
//! - `metrics.rs`: counters and Mesos-named metrics.

mod agent;
mod agent_loss;
mod agents;
pub mod error;
mod framework;
mod handle;
pub mod ids;
pub mod input;
pub mod legacy;
mod maintenance;
mod master;
mod metrics;
mod offer;
pub mod operator;
mod queries;
mod registrar;
mod removal;
mod reservations;
mod sandbox;
mod scheduler;
mod task;
mod updates;

pub use agent::{Agent, AgentConnection};
pub use error::{ApiError, ApiStatus};
pub use framework::{Capabilities, Connection, Framework};
pub use input::{Input, Reply};
pub use master::{Action, Master, MasterConfig};
pub use metrics::Counters;
pub use offer::Offer;
pub use task::Task;

/// Identifies one streaming connection (a scheduler subscription or an
/// agent's stream) between the core and the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u64);
