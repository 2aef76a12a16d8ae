//! The master: its one door, its timers, and what becomes of the actions
//! it decides (events on links to agents, frameworks and operators,
//! registry writes that complete in order).

use std::time::Duration;

use mesos_agent_core::AgentInput;
use mesos_master_core::{Action, Input, Reply, StreamId};
use rand::Rng;

use super::{Endpoint, Event, Link, World};

impl World {
    pub(super) fn master_timers(&mut self) {
        let _ = self.master_input(Input::Tick);
        if self.now >= self.next_allocation || self.master.allocation_wanted() {
            if self.now >= self.next_allocation {
                self.next_allocation = self.now + Duration::from_secs(1);
            }
            let _ = self.master_input(Input::Allocate);
        }
        self.schedule(Duration::from_millis(100), Event::MasterTimers);
    }

    /// Gives the master core one input through its door and carries out
    /// what it decides.
    pub(super) fn master_input(&mut self, input: Input) -> Result<Reply, mesos_master_core::ApiError> {
        self.coverage.master_input(&input);
        self.master_changed = true;
        let reply = self.master.handle(self.now, input);
        self.dispatch_master();
        reply
    }

    pub(super) fn registry_stored(&mut self, ticket: u64, operation: mesos_registry::Operation) {
        let result = self.registry.apply(&operation).map(|_| ()).map_err(|e| e.to_string());
        let _ = self.master_input(Input::RegistryApplied { ticket, result });
    }

    pub(super) fn dispatch_master(&mut self) {
        for action in self.master.take_actions() {
            self.coverage.master_action(&action);
            match action {
                Action::ToFramework { stream, event } => {
                    if let Some(Endpoint::Framework(framework)) = self.streams.get(&stream).copied() {
                        let delay = self.link_delay(Link::MasterToFramework(framework));
                        self.schedule(delay, Event::ToFramework { framework, stream, event });
                    }
                }
                Action::CloseFramework { stream } => self.end_stream(stream),
                Action::ToAgent { stream, event } => {
                    if let Some(Endpoint::Agent(agent)) = self.streams.get(&stream).copied() {
                        let delay = self.link_delay(Link::MasterToAgent(agent));
                        self.schedule(delay, Event::ToAgent { agent, stream, event });
                    }
                }
                Action::CloseAgent { stream } => self.end_stream(stream),
                Action::Registry { ticket, operation } => {
                    // Writes take a while and complete in the order asked.
                    let delay = self.link_delay(Link::Registry);
                    self.schedule(delay, Event::RegistryStored { ticket, operation });
                }
                Action::Abort { message } => self.aborted = Some(message),
                Action::ToOperator { stream, event } => self.send_to_operator(stream, event),
                Action::ToOperators { event } => {
                    for stream in self.operator.open_streams() {
                        self.send_to_operator(stream, event.clone());
                    }
                }
                Action::CloseOperator { stream } => self.end_stream(stream),
            }
        }
    }

    /// The master ends a stream: the end travels on the stream's link, so
    /// that what was sent before it arrives first.
    fn end_stream(&mut self, stream: StreamId) {
        let link = match self.streams.get(&stream).copied() {
            Some(Endpoint::Agent(agent)) => Link::MasterToAgent(agent),
            Some(Endpoint::Framework(framework)) => Link::MasterToFramework(framework),
            Some(Endpoint::Operator) => Link::MasterToOperator(stream),
            None => return,
        };
        let delay = self.link_delay(link);
        self.schedule(delay, Event::StreamEnds(stream));
    }

    /// The end of a stream reaches its far end.
    pub(super) fn stream_ends(&mut self, stream: StreamId) {
        match self.streams.remove(&stream) {
            Some(Endpoint::Framework(framework)) => self.framework_stream_closed(framework, stream),
            Some(Endpoint::Agent(agent)) => {
                if self.agents[agent].stream.as_ref().map(|s| s.0) != Some(stream) {
                    return;
                }
                self.agents[agent].stream = None;
                if self.agents[agent].core.is_some() {
                    self.agent_input(agent, AgentInput::MasterDisconnected);
                    if !self.agents[agent].partitioned {
                        let backoff = Duration::from_millis(self.rng.random_range(200..2000));
                        self.schedule(backoff, Event::AgentConnect(agent));
                    }
                }
            }
            Some(Endpoint::Operator) => self.operator.closed(stream),
            None => {}
        }
    }

    fn send_to_operator(&mut self, stream: StreamId, event: Box<mesos_proto::v1::master::Event>) {
        if let Some(Endpoint::Operator) = self.streams.get(&stream) {
            let delay = self.link_delay(Link::MasterToOperator(stream));
            self.schedule(delay, Event::ToOperator { stream, event });
        }
    }
}
