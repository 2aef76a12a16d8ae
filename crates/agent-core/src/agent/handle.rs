//! The one door into the agent core: [`Agent::handle`] takes every
//! [`AgentInput`] with the current time and leaves the actions it decided
//! in the outbox. The daemon, the simulation and the tests all drive the
//! core through it.

use std::time::Duration;

use crate::agent::Agent;
use crate::agent::executors::ExecutorError;
use crate::input::AgentInput;

impl Agent {
    /// Applies one input. Only executor calls can be refused; their error
    /// carries the status Mesos answers with.
    pub fn handle(&mut self, now: Duration, input: AgentInput) -> Result<(), ExecutorError> {
        match input {
            AgentInput::FromMaster(message) => self.master_message(message, now),
            AgentInput::MasterDisconnected => self.disconnected(),
            AgentInput::ExecutorSubscribe { stream, subscribe } => {
                return self.executor_subscribe(stream, subscribe, now);
            }
            AgentInput::ExecutorCall(call) => return self.executor_call(call, now),
            AgentInput::ExecutorClosed { stream } => self.executor_disconnected(stream),
            AgentInput::ContainerLaunchFailed { container_id, message } => {
                self.container_launch_failed(&container_id, &message, now)
            }
            AgentInput::ContainerExited { container_id, status } => self.container_exited(&container_id, status, now),
            AgentInput::ContainerLimited { container_id, limitation } => {
                self.container_limited(&container_id, limitation, now)
            }
            AgentInput::CheckpointStored { ticket } => self.actions.stored(ticket),
            AgentInput::CheckpointFailed { ticket, error } => {
                self.actions.failed(format!("Failed to write checkpoint {}: {error}", ticket.0))
            }
            AgentInput::Tick => self.tick(now),
        }
        Ok(())
    }
}
