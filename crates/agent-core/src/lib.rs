//! The agent's decision logic as a pure state machine.
//!
//! [`Agent`] tracks frameworks, executors and tasks, and owns the status
//! update manager that delivers every task's updates reliably and in order.
//! Everything that happens to it (the master's messages, the executor API's
//! calls, the fates of containers, checkpoint results, the passage of time)
//! is one [`AgentInput`], given to [`Agent::handle`] with the current time;
//! the daemon carries out the [`AgentAction`]s it decides: calls to the
//! master, container launches and destructions, events to executors,
//! checkpoint writes (what follows a write waits until it is durable). It
//! reads no clock and touches no disk or socket.
//!
//! Code map: `input.rs` (the inputs and their parsing from the wire),
//! `agent/mod.rs` (state, private to `agent` and its children; actions;
//! registration; timers), `agent/handle.rs` (the one door),
//! `agent/master_messages.rs`, `agent/executors.rs`, `agent/containers.rs`,
//! `agent/status.rs`, `agent/checkpoint.rs`, `agent/recovery.rs`,
//! `outbox.rs` (actions held behind checkpoints), `status_updates.rs` (the
//! status update manager), `records.rs` (frameworks, executors, tasks).

mod agent;
mod input;
mod outbox;
mod records;
pub mod status_updates;

pub use agent::checkpoint::CheckpointWrite;
pub use agent::containers::{COMMAND_EXECUTOR_CPUS, COMMAND_EXECUTOR_MEM, ContainerLimitation};
pub use agent::executors::ExecutorError;
pub use agent::recovery::{RecoveredExecutor, RecoveredFramework, RecoveredState, RecoveredTask};
pub use agent::{Agent, AgentAction, AgentConfig, LaunchSpec};
pub use input::{
    AgentInput, ExecutorCall, ExecutorCallKind, ExecutorRequest, ExecutorSubscribe, FromMaster, MasterMessageError,
};
pub use outbox::CheckpointTicket;
pub use records::{AgentTask, Executor, ExecutorPhase, ExecutorStream, FrameworkEntry, Queued, Termination};
