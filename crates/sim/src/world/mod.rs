//! The simulated world: one master core, agents, frameworks and an
//! operator, virtual time, and a queue of timed events. Every action a core
//! decides becomes an event delivered after a small random delay; faults
//! come from the seeded random generator, so a seed replays the same run.
//!
//! - `master.rs`: the master's door and its actions;
//! - `agents.rs`: agents' doors, registration, restarts and wipes;
//! - `executors.rs`: the simulated executors;
//! - `frameworks.rs`: the simulated schedulers' streams and calls;
//! - `operator.rs`: the simulated operator (reservations, volumes,
//!   maintenance, draining, quota, weights, teardowns, queries, the event
//!   stream) and what it undoes before the end;
//! - `faults.rs`: crashes, partitions, disconnections, failovers;
//! - `trace.rs`: one line per event for `MESOS_SIM_TRACE=1`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use mesos_agent_core::{AgentConfig, AgentInput, CheckpointTicket, CheckpointWrite};
use mesos_master_core::{Master, MasterConfig, StreamId};
use mesos_proto::internal::{AgentCall, AgentEvent};
use mesos_proto::v1::scheduler::{Call, Event as SchedulerEvent};
use mesos_proto::v1::{AgentInfo, MasterInfo, TaskState};
use mesos_resources::{ResourceFormat, Resources};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::agent::SimAgent;
use crate::framework::{RESERVED_ROLE, SimFramework};
use crate::operator::SimOperator;
use crate::{SimConfig, SimFailure};

mod agents;
mod executors;
mod faults;
mod frameworks;
mod master;
mod operator;
mod trace;

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
    ToOperator {
        stream: StreamId,
        event: Box<mesos_proto::v1::master::Event>,
    },
    /// The master ended a stream; its far end sees the end after what was
    /// sent on it before.
    StreamEnds(StreamId),
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
    ExecutorMessage {
        agent: usize,
        container: String,
        data: Vec<u8>,
    },
    ExecutorExit {
        agent: usize,
        container: String,
        status: Option<i32>,
    },
    /// A container could not be started.
    LaunchFailed {
        agent: usize,
        incarnation: u64,
        container: String,
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
    /// A framework's occasional call besides answering offers.
    FrameworkAct(usize),
    /// The short-lived framework's time is up.
    FrameworkTeardown(usize),
    /// The operator's next move.
    Operator,
    /// During quiescence, the operator undoes what would block the end.
    OperatorRestore,
    /// A machine taken down for maintenance is powered off.
    MachineOff(usize),
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
    MasterToOperator(StreamId),
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
    Operator,
}

pub struct World {
    pub seed: u64,
    pub config: SimConfig,
    pub rng: StdRng,
    pub now: Duration,
    pub step: u64,
    queue: BinaryHeap<Reverse<(Duration, u64)>>,
    /// Events to come, by id, with the time they happen.
    events: BTreeMap<u64, (Duration, Event)>,
    next_event: u64,
    pub master: Master,
    pub agents: Vec<SimAgent>,
    pub frameworks: Vec<SimFramework>,
    pub operator: SimOperator,
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
    /// A broken promise found while handling an event (a query's answer
    /// that contradicts the master's state, for example).
    pub violation: Option<String>,
    /// Whether the event being handled gave the master, or an agent, an
    /// input (so which invariants to check after it).
    pub master_changed: bool,
    pub agents_changed: bool,
    /// What the cores were given and decided, by kind.
    pub coverage: crate::coverage::Coverage,
    master_config: MasterConfig,
    /// Master failovers so far (each new master gets a new id).
    failovers: u32,
    /// Updates agents acknowledged to executors (so took charge of), by
    /// (framework, task).
    pub generated: BTreeMap<(String, String), Vec<Generated>>,
}

/// An update an agent took charge of.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub generation: u64,
    pub state: TaskState,
    /// The agent, and how many times it had been wiped then: an update
    /// still in an agent that is wiped is lost with the machine (its
    /// framework hears of the task from the master instead).
    pub agent: usize,
    pub wipes: u32,
}

const START: Duration = Duration::from_secs(1_000_000);

/// The resources of every simulated agent.
pub const AGENT_RESOURCES: &str = "cpus:2;mem:512;disk:1024";

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
            operator: SimOperator::default(),
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
            violation: None,
            master_changed: true,
            agents_changed: true,
            coverage: Default::default(),
            config,
        };
        for index in 0..world.config.agents {
            let total = mesos_resources::parse::resources(AGENT_RESOURCES, "*").expect("constant resources");
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
            // The first framework works in the role the operator reserves
            // resources for.
            let role = if index == 0 { RESERVED_ROLE } else { "*" };
            world.frameworks.push(SimFramework::new(format!("framework-{index}"), role, partition_aware, max));
            world.schedule(Duration::from_millis(10 * index as u64 + 5), Event::FrameworkSubscribe(index));
            let act = world.act_delay();
            world.schedule(act, Event::FrameworkAct(index));
        }
        // A short-lived framework comes during the faults, launches a few
        // tasks and is torn down.
        let partition_aware = world.rng.random_bool(0.5);
        let mut short = SimFramework::new("framework-short".into(), "*", partition_aware, 3);
        short.ephemeral = true;
        world.frameworks.push(short);
        let index = world.frameworks.len() - 1;
        let half = world.config.run_for.as_millis().max(2) as u64 / 2;
        let arrival = Duration::from_millis(world.rng.random_range(half / 4..half));
        world.schedule(arrival, Event::FrameworkSubscribe(index));
        let lifetime = Duration::from_secs(world.rng.random_range(8..25));
        world.schedule(arrival + lifetime, Event::FrameworkTeardown(index));
        world.schedule(Duration::from_millis(100), Event::MasterTimers);
        let first_fault = world.fault_delay();
        world.schedule(first_fault, Event::Fault);
        let first_move = world.operator_delay();
        world.schedule(first_move, Event::Operator);
        world
    }

    pub fn schedule(&mut self, after: Duration, event: Event) {
        self.next_event += 1;
        let at = self.now + after;
        self.queue.push(Reverse((at, self.next_event)));
        self.events.insert(self.next_event, (at, event));
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

    /// About `mean`, give or take half.
    fn around(&mut self, mean: Duration) -> Duration {
        let mean = mean.as_millis().max(1) as u64;
        Duration::from_millis(self.rng.random_range(mean / 2..=mean * 3 / 2))
    }

    fn fault_delay(&mut self) -> Duration {
        self.around(self.config.fault_interval)
    }

    fn operator_delay(&mut self) -> Duration {
        self.around(self.config.operator_interval)
    }

    fn act_delay(&mut self) -> Duration {
        self.around(Duration::from_secs(4))
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
            let Some((_, event)) = self.events.remove(&id) else { continue };
            self.now = at;
            self.step += 1;
            if self.trace {
                eprintln!("[{:?} #{}] {}", self.elapsed(), self.step, trace::describe(&event));
            }
            self.handle(event);
            if self.trace {
                eprintln!("{}", crate::invariants::books(self));
            }
            crate::invariants::check_step(self).map_err(|message| self.failure(message))?;
            self.master_changed = false;
            self.agents_changed = false;
        }
        self.now = until;
        Ok(())
    }

    pub fn failure(&self, message: String) -> SimFailure {
        SimFailure {
            seed: self.seed,
            step: self.step,
            at: self.now - START,
            message,
            faults: self.faults.clone(),
            replay: self.config.replay_command(self.seed),
        }
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

    /// Notes what happened, for the failure report.
    fn fault(&mut self, what: impl std::fmt::Display) {
        self.faults.push(format!("{:?}: {what}", self.elapsed()));
    }

    /// Events still to come that carry operator events, in the order they
    /// arrive.
    pub fn pending_operator_events(&self) -> Vec<(StreamId, &mesos_proto::v1::master::Event)> {
        let mut pending: Vec<(Duration, u64, StreamId, &mesos_proto::v1::master::Event)> = self
            .events
            .iter()
            .filter_map(|(id, (at, event))| match event {
                Event::ToOperator { stream, event } => Some((*at, *id, *stream, &**event)),
                _ => None,
            })
            .collect();
        pending.sort_by_key(|(at, id, _, _)| (*at, *id));
        pending.into_iter().map(|(_, _, stream, event)| (stream, event)).collect()
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::MasterTimers => self.master_timers(),
            Event::AgentTimers(agent) => {
                self.agent_input(agent, AgentInput::Tick);
                self.schedule(Duration::from_millis(100), Event::AgentTimers(agent));
            }
            Event::ToAgent { agent, stream, event } => self.deliver_to_agent(agent, stream, *event),
            Event::ToMaster { agent, stream_id, call } => self.agent_call(agent, stream_id, *call),
            Event::ToFramework { framework, stream, event } => self.deliver_to_framework(framework, stream, *event),
            Event::FromFramework { framework, call } => self.framework_call(framework, *call),
            Event::ToOperator { stream, event } => self.operator.receive(stream, *event),
            Event::StreamEnds(stream) => self.stream_ends(stream),
            Event::AgentConnect(agent) => self.connect_agent(agent),
            Event::AgentRestart(agent) => self.restart_agent(agent),
            Event::ExecutorSubscribe { agent, container } => self.executor_subscribe(agent, &container),
            Event::ExecutorUpdate { agent, container, task, state } => {
                self.executor_update(agent, &container, &task, state)
            }
            Event::ExecutorMessage { agent, container, data } => self.executor_message(agent, &container, data),
            Event::ExecutorExit { agent, container, status } => {
                if self.agents[agent].executors.remove(&container).is_some() {
                    self.agent_input(agent, AgentInput::ContainerExited { container_id: container, status });
                }
            }
            Event::LaunchFailed { agent, incarnation, container } => {
                if self.agents[agent].incarnation == incarnation {
                    let message = "simulated launch failure".to_owned();
                    self.agent_input(agent, AgentInput::ContainerLaunchFailed { container_id: container, message });
                }
            }
            Event::CheckpointWritten { agent, incarnation, ticket, write, failed } => {
                self.checkpoint_written(agent, incarnation, ticket, *write, failed)
            }
            Event::FrameworkSubscribe(framework) => self.subscribe_framework(framework),
            Event::FrameworkAct(framework) => self.framework_act(framework),
            Event::FrameworkTeardown(framework) => self.framework_teardown(framework),
            Event::RegistryStored { ticket, operation } => self.registry_stored(ticket, *operation),
            Event::Operator => self.operator_move(),
            Event::OperatorRestore => self.operator_restore(),
            Event::MachineOff(agent) => self.machine_off(agent),
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

    /// Stops faults and the operator's moves, and brings everything back:
    /// partitions healed, agents restarted, frameworks reconnected, and
    /// what the operator did that would keep agents out of the cluster
    /// undone.
    pub fn quiesce(&mut self) {
        self.faults_enabled = false;
        for agent in 0..self.agents.len() {
            if self.agents[agent].partitioned {
                self.agents[agent].partitioned = false;
                self.schedule(Duration::from_millis(100), Event::AgentConnect(agent));
            }
            if self.agents[agent].core.is_none() {
                self.agents[agent].machine_off = false;
                self.schedule(Duration::from_millis(100), Event::AgentRestart(agent));
            }
        }
        for framework in 0..self.frameworks.len() {
            let sim = &self.frameworks[framework];
            if sim.stream.is_none() && !sim.finished {
                self.schedule(Duration::from_millis(100), Event::FrameworkSubscribe(framework));
            }
        }
        self.schedule(Duration::from_millis(100), Event::OperatorRestore);
    }

    /// Every framework stops launching tasks and reconciles all of them.
    pub fn reconcile_everything(&mut self) {
        for framework in 0..self.frameworks.len() {
            self.frameworks[framework].max_tasks = 0;
            if self.frameworks[framework].finished {
                continue;
            }
            let call = self.frameworks[framework].reconcile_all();
            self.schedule(Duration::from_millis(10), Event::FromFramework { framework, call: Box::new(call) });
        }
    }

    /// The resources of a simulated agent.
    pub fn agent_resources() -> Resources {
        mesos_resources::parse::resources(AGENT_RESOURCES, "*").expect("constant resources")
    }
}
