//! The checkpoint writer: one task that writes the core's checkpoint
//! records in the order they were asked, off the event loop (each write
//! fsyncs), and reports each as stored or failed. The core releases the
//! actions that depend on a record only when it hears that it is stored.

use mesos_agent_core::{AgentInput, CheckpointTicket, CheckpointWrite};
use tokio::sync::mpsc;

use crate::actor::{AgentHandle, Command};
use crate::paths::Paths;

/// One record to write, for the agent with this id (if it has one yet).
pub struct Job {
    pub ticket: CheckpointTicket,
    pub agent_id: Option<String>,
    pub write: Box<CheckpointWrite>,
}

/// Starts the writer; jobs sent to the returned channel are written in
/// order. The task ends once every sender is gone and what was asked is
/// written (or a write failed).
pub fn spawn(paths: Paths, handle: AgentHandle) -> (mpsc::UnboundedSender<Job>, tokio::task::JoinHandle<()>) {
    // Unbounded on purpose: the core holds back every action behind an
    // unwritten record, so the queue cannot outgrow what the agent decides
    // while one write is in flight.
    let (jobs, mut inbox) = mpsc::unbounded_channel::<Job>();
    let task = tokio::spawn(async move {
        while let Some(job) = inbox.recv().await {
            let paths = paths.clone();
            let Job { ticket, agent_id, write } = job;
            let result = tokio::task::spawn_blocking(move || super::apply(&paths, agent_id.as_deref(), &write)).await;
            let input = match result {
                Ok(Ok(())) => AgentInput::CheckpointStored { ticket },
                Ok(Err(error)) => AgentInput::CheckpointFailed { ticket, error: error.to_string() },
                Err(error) => AgentInput::CheckpointFailed { ticket, error: error.to_string() },
            };
            let failed = matches!(input, AgentInput::CheckpointFailed { .. });
            // Once the event loop has stopped nobody hears the result, but
            // what it asked for is still written: the agent's stop waits.
            handle.send(Command::Input(input));
            if failed {
                // Nothing after a failed write may reach the disk: the
                // agent stops and recovers from what is there.
                break;
            }
        }
    });
    (jobs, task)
}
