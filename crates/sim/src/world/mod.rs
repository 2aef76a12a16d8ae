//! The simulated world: one master core, agents and frameworks, virtual
//! time, and a queue of timed events. Every action a core decides becomes
//! an event delivered after a small random delay; faults come from the
//! seeded random generator, so a seed replays the same run.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use mesos_agent_core::{Agent, AgentAction, AgentConfig, AgentInput, CheckpointTicket, CheckpointWrite, FromMaster};
use mesos_master_core::input::{AgentRequest, SchedulerRequest};
use mesos_master_core::{Action, Input, Master, MasterConfig, Reply, StreamId};
use mesos_proto::internal::{AgentCall, AgentEvent, agent_call, agent_event};
use mesos_proto::v1::scheduler::{Call, Event as SchedulerEvent, event};
use mesos_proto::v1::{AgentInfo, MasterInfo, TaskState};
use mesos_resources::{ResourceFormat, Resources};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::agent::{SimAgent, SimExecutor};
use crate::framework::SimFramework;
use crate::{SimConfig, SimFailure};

mod executors;
mod faults;

/// Something that happens at a point in virtual time.
#[derive(Debug)]
pub enum Event {
    MasterTimers,
    AgentTimers(usize),
    ToAgent {
        agent: usize,
        stream: StreamId,
        event: Box<AgentEvent>,
    },
    ToMaster {
        agent: usize,
        stream_id: String,
        call: Box<AgentCall>,
    },
    ToFramework {
        framework: usize,
        stream: StreamId,
        event: Box<SchedulerEvent>,
    },
    FromFramework {
        framework: usize,
        call: Box<Call>,
    },
    AgentConnect(usize),
    AgentRestart(usize),
    ExecutorSubscribe {
        agent: usize,
        container: String,
    },
    ExecutorUpdate {
        agent: usize,
        container: String,
        task: String,
        state: TaskState,
    },
    ExecutorExit {
        agent: usize,
        container: String,
        status: Option<i32>,
    },
    /// An agent's checkpoint write finished (or failed), if the agent did
    /// not crash meanwhile.
    CheckpointWritten {
        agent: usize,
        incarnation: u64,
        ticket: CheckpointTicket,
        write: Box<CheckpointWrite>,
        failed: bool,
    },
    /// The registry finished storing an operation.
    RegistryStored {
        ticket: u64,
        operation: Box<mesos_registry::Operation>,
    },
    FrameworkSubscribe(usize),
    Heal(usize),
    Fault,
}

/// A one-way connection; messages on one arrive in the order they were
/// sent, as on a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Link {
    MasterToAgent(usize),
    AgentToMaster(usize),
    MasterToFramework(usize),
    FrameworkToMaster(usize),
    /// The master's writes to its registry.
    Registry,
    /// An agent's checkpoint writes.
    Disk(usize),
}

/// Who is at the other end of a master stream.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Agent(usize),
    Framework(usize),
}

pub struct World {
    pub seed: u64,
    pub config: SimConfig,
    pub rng: StdRng,
    pub now: Duration,
    pub step: u64,
    queue: BinaryHeap<Reverse<(Duration, u64)>>,
    events: BTreeMap<u64, Event>,
    next_event: u64,
    pub master: Master,
    pub agents: Vec<SimAgent>,
    pub frameworks: Vec<SimFramework>,
    streams: BTreeMap<StreamId, Endpoint>,
    next_stream: u64,
    next_allocation: Duration,
    /// When the last message on each link arrives.
    links: BTreeMap<Link, Duration>,
    pub faults_enabled: bool,
    /// Print every event (`MESOS_SIM_TRACE=1`), to follow a failing seed.
    pub trace: bool,
    pub faults: Vec<String>,
    /// Generation numbers of executor updates, in order.
    next_generation: u64,
    /// What the master's registry store holds.
    pub registry: mesos_registry::Registry,
    /// Why the master asked to abort, if it did.
    pub aborted: Option<String>,
    /// What the cores were given and decided, by kind.
    pub coverage: crate::coverage::Coverage,
    master_config: MasterConfig,
    /// Master failovers so far (each new master gets a new id).
    failovers: u32,
    /// Updates agents accepted from executors, by (framework, task).
    pub generated: BTreeMap<(String, String), Vec<(u64, TaskState)>>,
}

const START: Duration = Duration::from_secs(1_000_000);

impl World {
    pub fn new(seed: u64, config: SimConfig) -> World {
        let info = MasterInfo { id: format!("sim-{seed}"), ip: 16_777_343, port: 5050, ..Default::default() };
        let mut master_config = MasterConfig::new(info);
        master_config.agent_ping_timeout = Duration::from_secs(2);
        master_config.max_agent_ping_timeouts = 3;
        master_config.allocator.seed = seed;
        master_config.hash_seed = seed;
        master_config.agent_reregister_timeout = Duration::from_secs(20);
        let mut world = World {
            master_config: master_config.clone(),
            failovers: 0,
            seed,
            rng: StdRng::seed_from_u64(seed),
            now: START,
            step: 0,
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            next_event: 0,
            master: Master::new(master_config, START),
            agents: Vec::new(),
            frameworks: Vec::new(),
            streams: BTreeMap::new(),
            next_stream: 0,
            next_allocation: START,
            links: BTreeMap::new(),
            faults_enabled: true,
            trace: std::env::var_os("MESOS_SIM_TRACE").is_some(),
            faults: Vec::new(),
            next_generation: 0,
            generated: BTreeMap::new(),
            registry: mesos_registry::Registry::new(),
            aborted: None,
            coverage: Default::default(),
            config,
        };
        for index in 0..world.config.agents {
            let total = mesos_resources::parse::resources("cpus:2;mem:512;disk:1024", "*").expect("constant resources");
            let agent_config = AgentConfig {
                info: AgentInfo {
                    hostname: format!("agent-{index}"),
                    port: Some(5051),
                    resources: total.to_proto(ResourceFormat::PostRefinement),
                    ..Default::default()
                },
                executor_registration_timeout: Duration::from_secs(60),
                executor_shutdown_grace_period: Duration::from_secs(5),
                executor_reregistration_timeout: Duration::from_secs(2),
                launcher_dir: "/sim".into(),
                max_completed_executors_per_framework: 50,
                uuid_seed: seed.wrapping_add(index as u64),
            };
            world.agents.push(SimAgent::new(agent_config, total));
            world.schedule(Duration::ZERO, Event::AgentConnect(index));
            world.schedule(Duration::from_millis(100), Event::AgentTimers(index));
        }
        for index in 0..world.config.frameworks {
            let partition_aware = world.rng.random_bool(0.5);
            let max = world.config.tasks_per_framework;
            world.frameworks.push(SimFramework::new(format!("framework-{index}"), partition_aware, max));
            world.schedule(Duration::from_millis(10 * index as u64 + 5), Event::FrameworkSubscribe(index));
        }
        world.schedule(Duration::from_millis(100), Event::MasterTimers);
        let first_fault = world.fault_delay();
        world.schedule(first_fault, Event::Fault);
        world
    }

    pub fn schedule(&mut self, after: Duration, event: Event) {
        self.next_event += 1;
        self.queue.push(Reverse((self.now + after, self.next_event)));
        self.events.insert(self.next_event, event);
    }

    fn delay(&mut self) -> Duration {
        Duration::from_millis(self.rng.random_range(1..20))
    }

    /// A random delay that keeps the messages on `link` in order.
    fn link_delay(&mut self, link: Link) -> Duration {
        let arrival = (self.now + self.delay()).max(self.links.get(&link).copied().unwrap_or_default());
        self.links.insert(link, arrival);
        arrival - self.now
    }

    fn fault_delay(&mut self) -> Duration {
        let mean = self.config.fault_interval.as_millis().max(1) as u64;
        Duration::from_millis(self.rng.random_range(mean / 2..=mean * 3 / 2))
    }

    fn new_stream(&mut self) -> (StreamId, String) {
        self.next_stream += 1;
        (StreamId(self.next_stream), format!("stream-{}", self.next_stream))
    }

    /// Runs until `until` (virtual), checking invariants after every step.
    pub fn run_until(&mut self, until: Duration) -> Result<(), SimFailure> {
        while let Some(Reverse((at, id))) = self.queue.peek().copied() {
            if at > until {
                break;
            }
            self.queue.pop();
            // Events dropped by a master failover are gone from the map.
            let Some(event) = self.events.remove(&id) else { continue };
            self.now = at;
            self.step += 1;
            if self.trace {
                eprintln!("[{:?} #{}] {}", self.elapsed(), self.step, describe(&event));
            }
            self.handle(event);
            if self.trace {
                eprintln!("{}", crate::invariants::books(self));
            }
            crate::invariants::check_step(self).map_err(|message| self.failure(message))?;
        }
        self.now = until;
        Ok(())
    }

    pub fn failure(&self, message: String) -> SimFailure {
        SimFailure { seed: self.seed, step: self.step, at: self.now - START, message, faults: self.faults.clone() }
    }

    /// Master failovers so far.
    pub fn failovers(&self) -> u32 {
        self.failovers
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - START
    }

    pub fn start() -> Duration {
        START
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::MasterTimers => {
                let _ = self.master_input(Input::Tick);
                if self.now >= self.next_allocation || self.master.allocation_wanted() {
                    if self.now >= self.next_allocation {
                        self.next_allocation = self.now + Duration::from_secs(1);
                    }
                    let _ = self.master_input(Input::Allocate);
                }
                self.schedule(Duration::from_millis(100), Event::MasterTimers);
            }
            Event::AgentTimers(agent) => {
                self.agent_input(agent, AgentInput::Tick);
                self.schedule(Duration::from_millis(100), Event::AgentTimers(agent));
            }
            Event::ToAgent { agent, stream, event } => self.deliver_to_agent(agent, stream, *event),
            Event::ToMaster { agent, stream_id, call } => {
                if self.agents[agent].partitioned {
                    return;
                }
                match AgentRequest::parse(*call, Some(&stream_id)) {
                    Ok(AgentRequest::Call { agent_id, stream_id, call }) => {
                        let _ = self.master_input(Input::AgentCall { agent_id, stream_id, call });
                    }
                    other => {
                        self.faults.push(format!("{:?}: the master refused an agent call: {other:?}", self.elapsed()))
                    }
                }
            }
            Event::ToFramework { framework, stream, event } => self.deliver_to_framework(framework, stream, *event),
            Event::FromFramework { framework, call } => {
                let Some((_, stream_id)) = self.frameworks[framework].stream.clone() else { return };
                let mut call = *call;
                call.framework_id = self.frameworks[framework].id.clone();
                match SchedulerRequest::parse(call, Some(&stream_id)) {
                    Ok(SchedulerRequest::Call { framework_id, stream_id, call }) => {
                        let _ = self.master_input(Input::SchedulerCall { framework_id, stream_id, call });
                    }
                    other => self.faults.push(format!("{:?}: a malformed scheduler call: {other:?}", self.elapsed())),
                }
            }
            Event::AgentConnect(agent) => self.connect_agent(agent),
            Event::AgentRestart(agent) => self.restart_agent(agent),
            Event::ExecutorSubscribe { agent, container } => self.executor_subscribe(agent, &container),
            Event::ExecutorUpdate { agent, container, task, state } => {
                self.executor_update(agent, &container, &task, state)
            }
            Event::ExecutorExit { agent, container, status } => {
                if self.agents[agent].executors.remove(&container).is_some() {
                    self.agent_input(agent, AgentInput::ContainerExited { container_id: container, status });
                }
            }
            Event::CheckpointWritten { agent, incarnation, ticket, write, failed } => {
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
            Event::FrameworkSubscribe(framework) => self.subscribe_framework(framework),
            Event::RegistryStored { ticket, operation } => {
                let result = self.registry.apply(&operation).map(|_| ()).map_err(|e| e.to_string());
                let _ = self.master_input(Input::RegistryApplied { ticket, result });
            }
            Event::Heal(agent) => {
                self.agents[agent].partitioned = false;
                // The agent notices the silence and registers again.
                self.schedule(Duration::from_millis(200), Event::AgentConnect(agent));
            }
            Event::Fault => {
                if self.faults_enabled {
                    self.inject_fault();
                    let next = self.fault_delay();
                    self.schedule(next, Event::Fault);
                }
            }
        }
    }

    // -----------------------------------------------------------------------
    // The master.

    /// Gives the master core one input through its door and carries out
    /// what it decides.
    pub(super) fn master_input(&mut self, input: Input) -> Result<Reply, mesos_master_core::ApiError> {
        self.coverage.master_input(&input);
        let reply = self.master.handle(self.now, input);
        self.dispatch_master();
        reply
    }

    fn dispatch_master(&mut self) {
        for action in self.master.take_actions() {
            self.coverage.master_action(&action);
            match action {
                // The simulation has no operators subscribed.
                Action::ToOperator { .. } | Action::ToOperators { .. } | Action::CloseOperator { .. } => {}
                Action::ToFramework { stream, event } => {
                    if let Some(Endpoint::Framework(framework)) = self.streams.get(&stream).copied() {
                        let delay = self.link_delay(Link::MasterToFramework(framework));
                        self.schedule(delay, Event::ToFramework { framework, stream, event });
                    }
                }
                Action::CloseFramework { stream } => {
                    if let Some(Endpoint::Framework(framework)) = self.streams.remove(&stream)
                        && self.frameworks[framework].stream.as_ref().map(|s| s.0) == Some(stream)
                    {
                        self.frameworks[framework].stream = None;
                        let backoff = Duration::from_millis(self.rng.random_range(500..3000));
                        self.schedule(backoff, Event::FrameworkSubscribe(framework));
                    }
                }
                Action::ToAgent { stream, event } => {
                    if let Some(Endpoint::Agent(agent)) = self.streams.get(&stream).copied() {
                        let delay = self.link_delay(Link::MasterToAgent(agent));
                        self.schedule(delay, Event::ToAgent { agent, stream, event });
                    }
                }
                Action::Registry { ticket, operation } => {
                    // Writes take a while and complete in the order asked.
                    let delay = self.link_delay(Link::Registry);
                    self.schedule(delay, Event::RegistryStored { ticket, operation });
                }
                Action::Abort { message } => self.aborted = Some(message),
                Action::CloseAgent { stream } => {
                    if let Some(Endpoint::Agent(agent)) = self.streams.remove(&stream)
                        && self.agents[agent].stream.as_ref().map(|s| s.0) == Some(stream)
                    {
                        self.agents[agent].stream = None;
                        if self.agents[agent].core.is_some() {
                            self.agent_input(agent, AgentInput::MasterDisconnected);
                            if !self.agents[agent].partitioned {
                                let backoff = Duration::from_millis(self.rng.random_range(200..2000));
                                self.schedule(backoff, Event::AgentConnect(agent));
                            }
                        }
                    }
                }
            }
        }
    }

    // -----------------------------------------------------------------------
    // Agents.

    fn connect_agent(&mut self, agent: usize) {
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
                self.faults.push(format!("agent {agent} sent a malformed registration: {other:?}"));
                return;
            }
        };
        if let Err(error) = self.master_input(input) {
            self.faults.push(format!("agent {agent} registration refused: {error}"));
        }
    }

    fn deliver_to_agent(&mut self, agent: usize, stream: StreamId, event: AgentEvent) {
        let sim = &mut self.agents[agent];
        if sim.partitioned || sim.stream.as_ref().map(|s| s.0) != Some(stream) || sim.core.is_none() {
            return;
        }
        let message = match FromMaster::try_from(event) {
            Ok(message) => message,
            Err(error) => {
                self.faults.push(format!("{:?}: agent {agent} ignored a malformed event: {error}", self.elapsed()));
                return;
            }
        };
        match &message {
            FromMaster::RunTask { task, .. } => {
                sim.launched.insert(task.task_id.value.clone());
            }
            FromMaster::RunTaskGroup { group, .. } => {
                sim.launched.extend(group.tasks.iter().map(|t| t.task_id.value.clone()));
            }
            _ => {}
        }
        self.agent_input(agent, AgentInput::FromMaster(message));
    }

    /// Gives an agent's core one input (unless it is down) and carries out
    /// what it decides.
    pub(super) fn agent_input(&mut self, agent: usize, input: AgentInput) {
        self.coverage.agent_input(&input);
        let now = self.now;
        let Some(core) = self.agents[agent].core.as_mut() else { return };
        // Refused executor calls are the simulated executor's business.
        let _ = core.handle(now, input);
        self.dispatch_agent(agent);
    }

    fn send_to_master(&mut self, agent: usize, call: AgentCall) {
        let Some((_, stream_id)) = self.agents[agent].stream.clone() else { return };
        if self.agents[agent].partitioned {
            return;
        }
        let is_update = call.status_update.is_some();
        // Calls are HTTP requests: an update may be lost or arrive twice.
        if is_update && self.faults_enabled && self.rng.random_bool(self.config.message_fault_rate) {
            self.faults.push(format!("{:?}: an update from agent {agent} was lost", self.elapsed()));
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

    fn dispatch_agent(&mut self, agent: usize) {
        let Some(core) = self.agents[agent].core.as_mut() else { return };
        for action in core.take_actions() {
            self.coverage.agent_action(&action);
            match action {
                AgentAction::ToMaster(call) => self.send_to_master(agent, *call),
                AgentAction::LaunchExecutor(spec) => {
                    let executor = SimExecutor {
                        framework_id: spec.framework.id.clone().unwrap_or_default(),
                        executor_id: spec.executor.executor_id.clone(),
                        stream: None,
                        tasks: BTreeMap::new(),
                        unacked: Vec::new(),
                        exiting: false,
                    };
                    self.agents[agent].executors.insert(spec.container_id.clone(), executor);
                    let delay = Duration::from_millis(self.rng.random_range(10..200));
                    self.schedule(delay, Event::ExecutorSubscribe { agent, container: spec.container_id });
                }
                AgentAction::DestroyContainer { container_id } => {
                    let delay = self.delay();
                    self.schedule(delay, Event::ExecutorExit { agent, container: container_id, status: Some(9) });
                }
                // Simulated containers have no size to change.
                AgentAction::UpdateContainer { .. } => {}
                AgentAction::ToExecutor { stream, event } => self.deliver_to_executor(agent, stream, *event),
                AgentAction::CloseExecutor { stream } => {
                    if let Some(container) = self.agents[agent].container_of(stream) {
                        self.agents[agent].executors.get_mut(&container).expect("found").stream = None;
                    }
                }
                AgentAction::Checkpoint { ticket, write } => {
                    if self.trace {
                        eprintln!("    agent {agent} checkpoints {}", crate::disk::describe(&write));
                    }
                    // Writes take a while, complete in order, and now and
                    // then fail (a full or failing disk).
                    let failed = self.faults_enabled && self.rng.random_bool(self.config.checkpoint_failure_rate);
                    if failed {
                        self.faults.push(format!("{:?}: a checkpoint write on agent {agent} failed", self.elapsed()));
                    }
                    let incarnation = self.agents[agent].incarnation;
                    let delay = self.link_delay(Link::Disk(agent));
                    self.schedule(delay, Event::CheckpointWritten { agent, incarnation, ticket, write, failed });
                }
                AgentAction::Abort { message } => {
                    self.faults.push(format!("{:?}: agent {agent} stopped: {message}", self.elapsed()));
                    self.crash_agent(agent);
                    let down = Duration::from_millis(self.rng.random_range(500..5_000));
                    self.schedule(down, Event::AgentRestart(agent));
                    return;
                }
                AgentAction::Shutdown { message } => {
                    self.faults.push(format!("{:?}: the master shut agent {agent} down: {message}", self.elapsed()));
                    self.crash_agent(agent);
                    return;
                }
            }
        }
    }

    fn restart_agent(&mut self, agent: usize) {
        let sim = &mut self.agents[agent];
        if sim.core.is_some() {
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
        self.faults.push(format!("{:?}: agent {agent} restarted", self.elapsed()));
        for container in containers {
            let delay = Duration::from_millis(self.rng.random_range(50..500));
            self.schedule(delay, Event::ExecutorSubscribe { agent, container });
        }
        self.dispatch_agent(agent);
        self.schedule(Duration::from_millis(100), Event::AgentConnect(agent));
    }

    // -----------------------------------------------------------------------
    // Frameworks.

    fn subscribe_framework(&mut self, framework: usize) {
        if self.frameworks[framework].stream.is_some() {
            return;
        }
        let (stream, stream_id) = self.new_stream();
        let call = self.frameworks[framework].subscribe_call();
        self.streams.insert(stream, Endpoint::Framework(framework));
        self.frameworks[framework].stream = Some((stream, stream_id.clone()));
        let input = match SchedulerRequest::parse(call, None) {
            Ok(SchedulerRequest::Subscribe(subscribe)) => {
                Input::SchedulerSubscribe { stream, stream_id, subscribe: Box::new(subscribe) }
            }
            other => {
                self.faults.push(format!("framework {framework} sent a malformed SUBSCRIBE: {other:?}"));
                return;
            }
        };
        if let Err(error) = self.master_input(input) {
            self.faults.push(format!("framework {framework} subscription refused: {error}"));
        }
    }

    fn deliver_to_framework(&mut self, framework: usize, stream: StreamId, event: SchedulerEvent) {
        if self.frameworks[framework].stream.as_ref().map(|s| s.0) != Some(stream) {
            return;
        }
        let mut calls = Vec::new();
        let sim = &mut self.frameworks[framework];
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                sim.id = event.subscribed.map(|s| s.framework_id);
                calls.push(sim.reconcile_all());
            }
            Some(event::Type::Offers) => {
                for offer in event.offers.map(|o| o.offers).unwrap_or_default() {
                    calls.push(sim.answer_offer(&offer));
                }
            }
            Some(event::Type::Update) => {
                if let Some(ack) = event.update.and_then(|u| sim.record(&u.status)) {
                    calls.push(ack);
                }
            }
            _ => {}
        }
        for call in calls {
            let delay = self.link_delay(Link::FrameworkToMaster(framework));
            self.schedule(delay, Event::FromFramework { framework, call: Box::new(call) });
        }
    }

    /// Stops faults and brings everything back: partitions healed, agents
    /// restarted, frameworks reconnected.
    pub fn quiesce(&mut self) {
        self.faults_enabled = false;
        for agent in 0..self.agents.len() {
            if self.agents[agent].partitioned {
                self.agents[agent].partitioned = false;
                self.schedule(Duration::from_millis(100), Event::AgentConnect(agent));
            }
            if self.agents[agent].core.is_none() {
                self.schedule(Duration::from_millis(100), Event::AgentRestart(agent));
            }
        }
        for framework in 0..self.frameworks.len() {
            if self.frameworks[framework].stream.is_none() {
                self.schedule(Duration::from_millis(100), Event::FrameworkSubscribe(framework));
            }
        }
    }

    /// Every framework stops launching tasks and reconciles all of them.
    pub fn reconcile_everything(&mut self) {
        for framework in 0..self.frameworks.len() {
            self.frameworks[framework].max_tasks = 0;
            let call = self.frameworks[framework].reconcile_all();
            self.schedule(Duration::from_millis(10), Event::FromFramework { framework, call: Box::new(call) });
        }
    }

    /// The resources every task of the simulation uses.
    pub fn task_resources() -> Resources {
        crate::framework::task_resources()
    }
}

/// One line about an event, for traces.
fn describe(event: &Event) -> String {
    match event {
        Event::ToAgent { agent, event, .. } => {
            format!("master -> agent {agent}: {:?}", event.r#type.and_then(|t| agent_event::Type::try_from(t).ok()))
                + &event
                    .run_task
                    .as_ref()
                    .map(|r| {
                        let framework = r.framework_info.id.as_ref().map(|id| id.value.as_str()).unwrap_or_default();
                        format!(" {framework} {}", r.task.task_id.value)
                    })
                    .unwrap_or_default()
        }
        Event::ToMaster { agent, call, .. } => {
            format!("agent {agent} -> master: {:?}", call.r#type.and_then(|t| agent_call::Type::try_from(t).ok()))
                + &call
                    .status_update
                    .as_ref()
                    .map(|u| {
                        let (framework, status) = (&u.framework_id.value, &u.status);
                        format!(" {framework} {} {:?} latest {:?}", status.task_id.value, status.state, u.latest_state)
                    })
                    .unwrap_or_default()
        }
        Event::ToFramework { framework, event, .. } => {
            format!("master -> framework {framework}: {:?}", event.r#type.and_then(|t| event::Type::try_from(t).ok()))
                + &event
                    .update
                    .as_ref()
                    .map(|u| {
                        let status = &u.status;
                        format!(" {} {:?} reason {:?}", status.task_id.value, status.state, status.reason)
                    })
                    .unwrap_or_default()
        }
        Event::FromFramework { framework, call } => format!(
            "framework {framework} -> master: {:?}",
            call.r#type.and_then(|t| mesos_proto::v1::scheduler::call::Type::try_from(t).ok())
        ),
        other => format!("{other:?}"),
    }
}
