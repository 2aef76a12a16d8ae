//! Faults drawn from the seed: agent crashes and partitions, framework
//! disconnections, dying executors and master failovers.

use std::time::Duration;

use mesos_master_core::Master;
use rand::Rng;

use super::{Event, Link, World};

impl World {
    pub(super) fn inject_fault(&mut self) {
        let choice = self.rng.random_range(0..6);
        let agents = self.agents.len();
        match choice {
            0 if agents > 0 => {
                let agent = self.rng.random_range(0..agents);
                if self.agents[agent].core.is_none() {
                    return;
                }
                self.faults.push(format!("{:?}: agent {agent} crashed", self.elapsed()));
                self.crash_agent(agent);
                let down = Duration::from_millis(self.rng.random_range(500..15_000));
                self.schedule(down, Event::AgentRestart(agent));
            }
            1 if agents > 0 => {
                let agent = self.rng.random_range(0..agents);
                if self.agents[agent].partitioned {
                    return;
                }
                let length = Duration::from_millis(self.rng.random_range(1_000..20_000));
                self.faults.push(format!("{:?}: agent {agent} partitioned for {length:?}", self.elapsed()));
                self.agents[agent].partitioned = true;
                self.schedule(length, Event::Heal(agent));
            }
            2 => {
                let framework = self.rng.random_range(0..self.frameworks.len());
                let Some((stream, _)) = self.frameworks[framework].stream.take() else { return };
                self.faults.push(format!("{:?}: framework {framework} disconnected", self.elapsed()));
                self.streams.remove(&stream);
                let _ = self.master_input(mesos_master_core::Input::SchedulerClosed { stream });
                let back = Duration::from_millis(self.rng.random_range(200..10_000));
                self.schedule(back, Event::FrameworkSubscribe(framework));
            }
            4 => self.fail_over_master(),
            3 if agents > 0 => {
                let agent = self.rng.random_range(0..agents);
                let containers: Vec<String> = self.agents[agent].executors.keys().cloned().collect();
                if containers.is_empty() || self.agents[agent].core.is_none() {
                    return;
                }
                let container = containers[self.rng.random_range(0..containers.len())].clone();
                self.faults.push(format!("{:?}: an executor on agent {agent} died", self.elapsed()));
                self.schedule(Duration::ZERO, Event::ExecutorExit { agent, container, status: Some(137) });
            }
            _ => {}
        }
    }

    /// The leading master dies and another takes over from the registry.
    /// Registry writes in flight either completed or did not (the store
    /// fences a deposed leader); every stream breaks, and agents and
    /// frameworks come back to the new leader.
    pub(super) fn fail_over_master(&mut self) {
        let in_flight: Vec<u64> = self
            .events
            .iter()
            .filter(|(_, event)| matches!(event, Event::RegistryStored { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in in_flight {
            if let Some(Event::RegistryStored { operation, .. }) = self.events.remove(&id)
                && self.rng.random_bool(0.5)
            {
                let _ = self.registry.apply(&operation);
            }
        }
        self.links.remove(&Link::Registry);
        self.streams.clear();
        for agent in 0..self.agents.len() {
            let sim = &mut self.agents[agent];
            if sim.stream.take().is_some() && sim.core.is_some() {
                let partitioned = sim.partitioned;
                self.agent_input(agent, mesos_agent_core::AgentInput::MasterDisconnected);
                if !partitioned {
                    let backoff = Duration::from_millis(self.rng.random_range(200..2000));
                    self.schedule(backoff, Event::AgentConnect(agent));
                }
            }
        }
        for framework in 0..self.frameworks.len() {
            if self.frameworks[framework].stream.take().is_some() {
                let backoff = Duration::from_millis(self.rng.random_range(200..3000));
                self.schedule(backoff, Event::FrameworkSubscribe(framework));
            }
        }
        self.failovers += 1;
        let mut config = self.master_config.clone();
        config.info.id = format!("{}-{}", config.info.id, self.failovers);
        let mut master = Master::new(config, self.now);
        master.recover(self.registry.clone(), self.now);
        self.master = master;
        self.faults.push(format!("{:?}: the master failed over", self.elapsed()));
        self.dispatch_master();
    }

    /// The agent process dies: the master sees its stream close; executors
    /// of checkpointing frameworks (all, here) live on without a connection.
    pub(super) fn crash_agent(&mut self, agent: usize) {
        let sim = &mut self.agents[agent];
        sim.core = None;
        for executor in sim.executors.values_mut() {
            executor.stream = None;
        }
        if let Some((stream, _)) = sim.stream.take() {
            self.streams.remove(&stream);
            let _ = self.master_input(mesos_master_core::Input::AgentClosed { stream });
        }
    }
}
