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

mod agent;
mod checkpoint;
mod containers;
mod executors;
mod handle;
mod input;
mod master_messages;
mod outbox;
mod records;
mod recovery;
mod status;
pub mod status_updates;

pub use agent::{Agent, AgentAction, AgentConfig, LaunchSpec};
pub use checkpoint::CheckpointWrite;
pub use containers::{COMMAND_EXECUTOR_CPUS, COMMAND_EXECUTOR_MEM, ContainerLimitation};
pub use executors::ExecutorError;
pub use input::{
    AgentInput, ExecutorCall, ExecutorCallKind, ExecutorRequest, ExecutorSubscribe, FromMaster, MasterMessageError,
};
pub use outbox::CheckpointTicket;
pub use records::{AgentTask, Executor, ExecutorPhase, ExecutorStream, FrameworkEntry, Queued, Termination};
pub use recovery::{RecoveredExecutor, RecoveredFramework, RecoveredState, RecoveredTask};
