//! Agents: their cores' one door, registration (retried while the master
//! refuses it), the calls they post to the master, what becomes of the
//! actions their cores decide, crashes and restarts, and the wipe of an
//! agent the master shut down.

use std::time::Duration;

use mesos_agent_core::{Agent, AgentAction, AgentInput, CheckpointTicket, CheckpointWrite, FromMaster};
use mesos_master_core::input::AgentRequest;
use mesos_master_core::{Input, StreamId};
use mesos_proto::internal::{AgentCall, AgentEvent};
use rand::Rng;

use super::{Endpoint, Event, Link, World};
use crate::agent::SimExecutor;
use crate::disk::MemDisk;

impl World {
    pub(super) fn connect_agent(&mut self, agent: usize) {
        if self.agents[agent].partitioned || self.agents[agent].core.is_none() {
            return;
        }
        if let Some((old, _)) = self.agents[agent].stream.take() {
            self.streams.remove(&old);
            let _ = self.master_input(Input::AgentClosed { stream: old });
        }
        let (stream, stream_id) = self.new_stream();
        let address = mesos_proto::v1::Address {
            hostname: Some(format!("agent-{agent}")),
            ip: Some("10.0.0.1".into()),
            port: 5051,
        };
        let call = self.agents[agent].core.as_ref().expect("checked above").registration_call("sim", address);
        self.streams.insert(stream, Endpoint::Agent(agent));
        self.agents[agent].stream = Some((stream, stream_id.clone()));
        let input = match AgentRequest::parse(call, None) {
            Ok(AgentRequest::Register(register)) => Input::AgentRegister { stream, stream_id, register },
            Ok(AgentRequest::Reregister(reregister)) => Input::AgentReregister { stream, stream_id, reregister },
            other => {
                self.fault(format!("agent {agent} sent a malformed registration: {other:?}"));
                return;
            }
        };
        if let Err(error) = self.master_input(input) {
            // Refused (its machine is down): it tries again later.
            self.fault(format!("agent {agent} registration refused: {error}"));
            self.streams.remove(&stream);
            if self.agents[agent].stream.as_ref().map(|s| s.0) == Some(stream) {
                self.agents[agent].stream = None;
            }
            let backoff = Duration::from_millis(self.rng.random_range(1_000..3_000));
            self.schedule(backoff, Event::AgentConnect(agent));
        }
    }

    /// An agent's call reaches the master (unless the agent is cut off).
    pub(super) fn agent_call(&mut self, agent: usize, stream_id: String, call: AgentCall) {
        if self.agents[agent].partitioned {
            return;
        }
        match AgentRequest::parse(call, Some(&stream_id)) {
            Ok(AgentRequest::Call { agent_id, stream_id, call }) => {
                let _ = self.master_input(Input::AgentCall { agent_id, stream_id, call });
            }
            other => self.fault(format!("the master refused an agent call: {other:?}")),
        }
    }

    pub(super) fn deliver_to_agent(&mut self, agent: usize, stream: StreamId, event: AgentEvent) {
        let sim = &mut self.agents[agent];
        if sim.partitioned || sim.stream.as_ref().map(|s| s.0) != Some(stream) || sim.core.is_none() {
            return;
        }
        match FromMaster::try_from(event) {
            Ok(message) => {
                self.agent_input(agent, AgentInput::FromMaster(message));
            }
            Err(error) => self.fault(format!("agent {agent} ignored a malformed event: {error}")),
        }
    }

    /// Gives an agent's core one input (unless it is down) and carries out
    /// what it decides. Refused executor calls are the simulated
    /// executor's business; the result says whether the core took it.
    pub(super) fn agent_input(&mut self, agent: usize, input: AgentInput) -> bool {
        self.coverage.agent_input(&input);
        self.agents_changed = true;
        let now = self.now;
        let Some(core) = self.agents[agent].core.as_mut() else { return false };
        let taken = core.handle(now, input).is_ok();
        self.dispatch_agent(agent);
        taken
    }

    fn send_to_master(&mut self, agent: usize, call: AgentCall) {
        let Some((_, stream_id)) = self.agents[agent].stream.clone() else { return };
        if self.agents[agent].partitioned {
            return;
        }
        let is_update = call.status_update.is_some();
        // Calls are HTTP requests: an update may be lost or arrive twice.
        if is_update && self.faults_enabled && self.rng.random_bool(self.config.message_fault_rate) {
            self.fault(format!("an update from agent {agent} was lost"));
            return;
        }
        let twice = is_update && self.faults_enabled && self.rng.random_bool(self.config.message_fault_rate);
        let delay = self.link_delay(Link::AgentToMaster(agent));
        self.schedule(delay, Event::ToMaster { agent, stream_id: stream_id.clone(), call: Box::new(call.clone()) });
        if twice {
            let delay = self.link_delay(Link::AgentToMaster(agent));
            self.schedule(delay, Event::ToMaster { agent, stream_id, call: Box::new(call) });
        }
    }

    pub(super) fn dispatch_agent(&mut self, agent: usize) {
        let Some(core) = self.agents[agent].core.as_mut() else { return };
        for action in core.take_actions() {
            self.coverage.agent_action(&action);
            match action {
                AgentAction::ToMaster(call) => self.send_to_master(agent, *call),
                AgentAction::LaunchExecutor(spec) => {
                    let incarnation = self.agents[agent].incarnation;
                    let container = spec.container_id.clone();
                    if self.faults_enabled && self.rng.random_bool(self.config.launch_failure_rate) {
                        self.fault(format!("container {container} on agent {agent} failed to start"));
                        let delay = Duration::from_millis(self.rng.random_range(10..200));
                        self.schedule(delay, Event::LaunchFailed { agent, incarnation, container });
                        continue;
                    }
                    let framework_id = spec.framework.id.clone().unwrap_or_default();
                    let executor = SimExecutor::new(framework_id, spec.executor.executor_id.clone());
                    self.agents[agent].executors.insert(container.clone(), executor);
                    let delay = Duration::from_millis(self.rng.random_range(10..200));
                    self.schedule(delay, Event::ExecutorSubscribe { agent, container });
                }
                AgentAction::DestroyContainer { container_id } => {
                    let delay = self.delay();
                    self.schedule(delay, Event::ExecutorExit { agent, container: container_id, status: Some(9) });
                }
                // Simulated containers have no size to change.
                AgentAction::UpdateContainer { .. } => {}
                AgentAction::ToExecutor { stream, event } => self.deliver_to_executor(agent, stream, *event),
                AgentAction::CloseExecutor { stream } => {
                    if let Some(container) = self.agents[agent].container_of(stream)
                        && let Some(executor) = self.agents[agent].executors.get_mut(&container)
                    {
                        executor.stream = None;
                    }
                }
                AgentAction::Checkpoint { ticket, write } => self.write_checkpoint(agent, ticket, write),
                AgentAction::Abort { message } => {
                    self.fault(format!("agent {agent} stopped: {message}"));
                    self.crash_agent(agent);
                    let down = Duration::from_millis(self.rng.random_range(500..5_000));
                    self.schedule(down, Event::AgentRestart(agent));
                    return;
                }
                AgentAction::Shutdown { message } => {
                    self.fault(format!("the master shut agent {agent} down: {message}"));
                    self.wipe_agent(agent);
                    return;
                }
            }
        }
    }

    /// Writes take a while, complete in order, and now and then fail (a
    /// full or failing disk).
    fn write_checkpoint(&mut self, agent: usize, ticket: CheckpointTicket, write: Box<CheckpointWrite>) {
        if self.trace {
            eprintln!("    agent {agent} checkpoints {}", crate::disk::describe(&write));
        }
        let failed = self.faults_enabled && self.rng.random_bool(self.config.checkpoint_failure_rate);
        if failed {
            self.fault(format!("a checkpoint write on agent {agent} failed"));
        }
        let incarnation = self.agents[agent].incarnation;
        let delay = self.link_delay(Link::Disk(agent));
        self.schedule(delay, Event::CheckpointWritten { agent, incarnation, ticket, write, failed });
    }

    pub(super) fn checkpoint_written(
        &mut self,
        agent: usize,
        incarnation: u64,
        ticket: CheckpointTicket,
        write: CheckpointWrite,
        failed: bool,
    ) {
        // A write in flight when the agent crashed is lost.
        if self.agents[agent].incarnation != incarnation || self.agents[agent].core.is_none() {
            return;
        }
        let input = if failed {
            AgentInput::CheckpointFailed { ticket, error: "simulated write failure".into() }
        } else {
            self.agents[agent].disk.apply(&write);
            AgentInput::CheckpointStored { ticket }
        };
        self.agent_input(agent, input);
    }

    pub(super) fn restart_agent(&mut self, agent: usize) {
        let sim = &mut self.agents[agent];
        if sim.core.is_some() || sim.machine_off {
            return;
        }
        // A new process draws a new seed for its uuids and container ids.
        sim.incarnation += 1;
        sim.config.uuid_seed = sim.config.uuid_seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut core = Agent::new(sim.config.clone());
        let executors = &sim.executors;
        if let Some(state) = sim.disk.recover(|container| executors.contains_key(container)) {
            core.recover(state, self.now);
        }
        let live = core.live_containers();
        // Executors the agent does not know of are killed.
        sim.executors.retain(|container, _| live.contains(container));
        let containers: Vec<String> = sim.executors.keys().cloned().collect();
        sim.core = Some(core);
        self.agents_changed = true;
        self.fault(format!("agent {agent} restarted"));
        for container in containers {
            let delay = Duration::from_millis(self.rng.random_range(50..500));
            self.schedule(delay, Event::ExecutorSubscribe { agent, container });
        }
        self.dispatch_agent(agent);
        self.schedule(Duration::from_millis(100), Event::AgentConnect(agent));
    }

    /// The agent process dies: the master sees its stream close; executors
    /// of checkpointing frameworks (all, here) live on without a connection.
    pub(super) fn crash_agent(&mut self, agent: usize) {
        self.agents_changed = true;
        let sim = &mut self.agents[agent];
        sim.core = None;
        for executor in sim.executors.values_mut() {
            executor.stream = None;
        }
        if let Some((stream, _)) = sim.stream.take() {
            self.streams.remove(&stream);
            let _ = self.master_input(Input::AgentClosed { stream });
        }
    }

    /// The master will not have the agent back (marked gone, its machine
    /// down, refused): it stops, and the operator wipes the machine (its
    /// executors and work directory gone), so that it starts later as a
    /// new agent.
    pub(super) fn wipe_agent(&mut self, agent: usize) {
        self.crash_agent(agent);
        let sim = &mut self.agents[agent];
        sim.executors.clear();
        sim.disk = MemDisk::default();
        sim.incarnation += 1;
        sim.wipes += 1;
        let back = Duration::from_millis(self.rng.random_range(3_000..15_000));
        self.schedule(back, Event::AgentRestart(agent));
    }

    /// A machine taken down for maintenance is powered off (whether or not
    /// its agent heard the master's SHUTDOWN): wiped, and off until the
    /// operator brings it back.
    pub(super) fn machine_off(&mut self, agent: usize) {
        // Quiescence brought every machine back.
        if self.agents[agent].machine_off || !self.faults_enabled {
            return;
        }
        self.fault(format!("the machine of agent {agent} is powered off for maintenance"));
        self.wipe_agent(agent);
        self.agents[agent].machine_off = true;
    }
}
