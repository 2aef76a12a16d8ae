//! Faults drawn from the seed: agent crashes and partitions, framework
//! disconnections, dying executors, containers over a limit, executors
//! whose stream closes, and master failovers. (Lost and duplicated
//! updates, failed checkpoint writes and container launches are drawn
//! where they happen, in `agents.rs`.)

use std::time::Duration;

use mesos_agent_core::{AgentInput, ContainerLimitation};
use mesos_master_core::{Input, Master};
use mesos_proto::v1::task_status::Reason;
use mesos_resources::{Resource, ResourceFormat, Resources};
use rand::Rng;

use super::{Event, Link, World};

impl World {
    pub(super) fn inject_fault(&mut self) {
        let choice = self.rng.random_range(0..8);
        let agents = self.agents.len();
        match choice {
            0 if agents > 0 => {
                let agent = self.rng.random_range(0..agents);
                if self.agents[agent].core.is_none() {
                    return;
                }
                self.fault(format!("agent {agent} crashed"));
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
                self.fault(format!("agent {agent} partitioned for {length:?}"));
                self.agents[agent].partitioned = true;
                self.schedule(length, Event::Heal(agent));
            }
            2 => {
                let framework = self.rng.random_range(0..self.frameworks.len());
                let Some((stream, _)) = self.frameworks[framework].stream.take() else { return };
                self.fault(format!("framework {framework} disconnected"));
                self.streams.remove(&stream);
                let _ = self.master_input(Input::SchedulerClosed { stream });
                let back = Duration::from_millis(self.rng.random_range(200..10_000));
                self.schedule(back, Event::FrameworkSubscribe(framework));
            }
            3 => {
                if let Some((agent, container)) = self.pick_container() {
                    self.fault(format!("an executor on agent {agent} died"));
                    self.schedule(Duration::ZERO, Event::ExecutorExit { agent, container, status: Some(137) });
                }
            }
            4 => self.fail_over_master(),
            5 => {
                if let Some((agent, container)) = self.pick_container() {
                    self.fault(format!("container {container} on agent {agent} went over its memory limit"));
                    let limited = Resources::from_iter([Resource::scalar("mem", 64.0)]);
                    let limitation = ContainerLimitation {
                        reason: Reason::ContainerLimitationMemory,
                        message: "Memory limit exceeded".into(),
                        resources: limited.to_proto(ResourceFormat::PostRefinement),
                    };
                    self.agent_input(agent, AgentInput::ContainerLimited { container_id: container, limitation });
                }
            }
            6 => {
                if let Some((agent, container)) = self.pick_container() {
                    self.executor_stream_closes(agent, &container);
                }
            }
            _ => {}
        }
    }

    /// A container of an executor on an agent that is up, at random.
    fn pick_container(&mut self) -> Option<(usize, String)> {
        let agent = self.rng.random_range(0..self.agents.len().max(1));
        let sim = self.agents.get(agent)?;
        let containers: Vec<&String> = sim.executors.keys().collect();
        if containers.is_empty() || sim.core.is_none() {
            return None;
        }
        Some((agent, containers[self.rng.random_range(0..containers.len())].clone()))
    }

    /// The leading master dies and another takes over from the registry.
    /// Registry writes in flight either completed or did not (the store
    /// fences a deposed leader); every stream breaks, and agents,
    /// frameworks and operators come back to the new leader.
    pub(super) fn fail_over_master(&mut self) {
        let in_flight: Vec<u64> = self
            .events
            .iter()
            .filter(|(_, (_, event))| matches!(event, Event::RegistryStored { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in in_flight {
            if let Some((_, Event::RegistryStored { operation, .. })) = self.events.remove(&id)
                && self.rng.random_bool(0.5)
            {
                let _ = self.registry.apply(&operation);
            }
        }
        self.links.remove(&Link::Registry);
        self.streams.clear();
        self.operator.subscriptions.clear();
        for agent in 0..self.agents.len() {
            let sim = &mut self.agents[agent];
            if sim.stream.take().is_some() && sim.core.is_some() {
                let partitioned = sim.partitioned;
                self.agent_input(agent, AgentInput::MasterDisconnected);
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
        self.master_changed = true;
        self.fault("the master failed over");
        self.dispatch_master();
    }
}
