//! The master state machine: its configuration, state, outbox of actions,
//! timers and the offer cycle. Calls from schedulers and agents are handled
//! in `scheduler/` and `agents.rs`; both mutate this state and push
//! [`Action`]s that the daemon carries out.

mod agent_loss;
mod agents;
mod handle;
pub(crate) mod maintenance;
pub(crate) mod metrics;
pub(crate) mod operator;
mod queries;
pub(crate) mod registrar;
mod removal;
mod reregistration;
mod reservations;
mod sandbox;
pub(crate) mod scheduler;
mod updates;

use std::collections::VecDeque;

use mesos_proto::collections::{Map, SeededState, Set};
use std::time::Duration;

use mesos_allocator::{Allocation, Allocator, AllocatorConfig};
use mesos_proto::internal::AgentEvent;
use mesos_proto::v1::scheduler::{Event, event};
use mesos_proto::v1::{self, AgentId, FrameworkId, MasterInfo, OfferId};

use crate::StreamId;
use crate::agent::Agent;
use crate::framework::Framework;
use crate::ids::IdGenerator;
use crate::master::metrics::Counters;
use crate::master::operator::OperatorStreams;
use crate::master::registrar::PendingOperation;
use crate::offer::Offer;
use mesos_registry::{Operation, Registry};

/// Settings of the master core, from the daemon's flags.
#[derive(Debug, Clone)]
pub struct MasterConfig {
    /// This master's identity as frameworks and agents see it.
    pub info: MasterInfo,
    /// `--allocation_interval`: a refusal filter lasts at least this long,
    /// so that a declined offer is not made again by the very next cycle.
    pub allocation_interval: Duration,
    /// `--offer_timeout`: offers are rescinded after this long.
    pub offer_timeout: Option<Duration>,
    /// `--agent_ping_timeout`.
    pub agent_ping_timeout: Duration,
    /// `--max_agent_ping_timeouts`.
    pub max_agent_ping_timeouts: u32,
    /// `--agent_removal_rate_limit`: at most this many agents marked
    /// unreachable per window.
    pub agent_removal_rate_limit: Option<(u32, Duration)>,
    /// `--roles`: when set, frameworks may only use these roles.
    pub roles_whitelist: Option<Vec<String>>,
    /// `--max_completed_frameworks`.
    pub max_completed_frameworks: usize,
    /// `--max_completed_tasks_per_framework`.
    pub max_completed_tasks_per_framework: usize,
    /// `--max_unreachable_tasks_per_framework`.
    pub max_unreachable_tasks_per_framework: usize,
    /// Interval of HEARTBEAT events on scheduler streams.
    pub heartbeat_interval: Duration,
    /// `--weights` (weights in the registry take precedence).
    pub weights: Vec<(String, f64)>,
    /// `--agent_reregister_timeout`: after a failover, registry agents that
    /// have not re-registered by then are marked unreachable.
    pub agent_reregister_timeout: Duration,
    /// `--recovery_agent_removal_limit`: the largest fraction of the
    /// registry's agents that may be marked unreachable after a failover.
    pub recovery_agent_removal_limit: f64,
    /// `--registry_strict`: agents unknown to the registry may not
    /// re-register.
    pub registry_strict: bool,
    /// `--registry_gc_interval`, `--registry_max_agent_age` and
    /// `--registry_max_agent_count`: how unreachable and gone agents are
    /// pruned from the registry.
    pub registry_gc_interval: Duration,
    pub registry_max_agent_age: Duration,
    pub registry_max_agent_count: usize,
    /// `--max_operator_event_stream_subscribers`.
    pub max_operator_event_stream_subscribers: usize,
    pub allocator: AllocatorConfig,
    /// Seed of the hash maps keyed by ids that clients choose (see
    /// `mesos_proto::collections`): random in a daemon, fixed in a
    /// simulation so that it replays.
    pub hash_seed: u64,
}

impl MasterConfig {
    /// Defaults as Mesos has them, for a master with the given identity.
    pub fn new(info: MasterInfo) -> MasterConfig {
        MasterConfig {
            info,
            allocation_interval: Duration::from_secs(1),
            offer_timeout: None,
            agent_ping_timeout: Duration::from_secs(15),
            max_agent_ping_timeouts: 5,
            agent_removal_rate_limit: None,
            roles_whitelist: None,
            max_completed_frameworks: 50,
            max_completed_tasks_per_framework: 1000,
            max_unreachable_tasks_per_framework: 1000,
            heartbeat_interval: Duration::from_secs(15),
            weights: Vec::new(),
            agent_reregister_timeout: Duration::from_secs(600),
            recovery_agent_removal_limit: 1.0,
            registry_strict: false,
            registry_gc_interval: Duration::from_secs(900),
            registry_max_agent_age: Duration::from_secs(14 * 24 * 3600),
            registry_max_agent_count: 102_400,
            max_operator_event_stream_subscribers: 1000,
            allocator: AllocatorConfig::default(),
            hash_seed: 0,
        }
    }
}

/// Something the daemon must do for the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send an event on a scheduler's subscription stream.
    ToFramework { stream: StreamId, event: Box<Event> },
    /// End a scheduler's subscription stream (after anything already sent).
    CloseFramework { stream: StreamId },
    /// Send an event on an agent's stream.
    ToAgent { stream: StreamId, event: Box<AgentEvent> },
    /// End an agent's stream.
    CloseAgent { stream: StreamId },
    /// Store a registry operation; the daemon answers with
    /// [`Master::registry_applied`] and the same ticket once it is durable
    /// (or refused), in the order the operations were asked.
    Registry { ticket: u64, operation: Box<Operation> },
    /// The master cannot go on (for example, too many agents would be lost
    /// after a failover); the daemon exits with this message.
    Abort { message: String },
    /// Send an event on one operator's event stream.
    ToOperator { stream: StreamId, event: Box<mesos_proto::v1::master::Event> },
    /// Send an event on every operator's event stream.
    ToOperators { event: Box<mesos_proto::v1::master::Event> },
    /// End an operator's event stream.
    CloseOperator { stream: StreamId },
}

/// The master's state. Every method takes the current time as `now` (time
/// since the Unix epoch) and leaves the actions it decided in the outbox,
/// to be drained with [`Master::take_actions`].
#[derive(Debug)]
pub struct Master {
    config: MasterConfig,
    /// Builds the maps keyed by ids clients choose.
    hasher: SeededState,
    ids: IdGenerator,
    frameworks: Map<FrameworkId, Framework>,
    completed_frameworks: VecDeque<Framework>,
    agents: Map<AgentId, Agent>,
    /// What is durable: admitted, unreachable and gone agents, quota,
    /// weights, maintenance. Changed only once the daemon has stored an
    /// operation (see `registrar.rs`).
    registry: Registry,
    /// Registry operations asked for and not yet stored, by ticket.
    pending_registry: Map<u64, PendingOperation>,
    next_ticket: u64,
    /// Registry agents that have not re-registered since this master
    /// recovered the registry, and when they will be marked unreachable.
    recovered_agents: Map<AgentId, v1::AgentInfo>,
    recovery_deadline: Option<Duration>,
    /// When the registry is next pruned of old unreachable and gone agents.
    next_prune: Duration,
    /// Agents whose marking as unreachable waits to be stored.
    marking_unreachable: Set<AgentId>,
    /// Agents waiting for a removal permit to be marked unreachable.
    pending_unreachable: VecDeque<AgentId>,
    /// When recent agents were marked unreachable (for the rate limit).
    recent_removals: VecDeque<Duration>,
    offers: Map<OfferId, Offer>,
    allocator: Allocator,
    scheduler_streams: Map<StreamId, FrameworkId>,
    agent_streams: Map<StreamId, AgentId>,
    operators: OperatorStreams,
    /// Inverse offers waiting for an answer.
    inverse_offers: Map<OfferId, crate::master::maintenance::InverseOfferRecord>,
    /// Frameworks' answers to inverse offers, by machine key.
    inverse_offer_statuses: std::collections::BTreeMap<String, Vec<mesos_proto::v1::allocator::InverseOfferStatus>>,
    removed_frameworks: Set<FrameworkId>,
    /// Agents removed from the registry, refused if they come back.
    removed_agents: crate::master::agent_loss::RemovedAgents,
    actions: Vec<Action>,
    counters: Counters,
    start_time: Duration,
    /// Set by events that may make new offers possible.
    allocation_wanted: bool,
}

impl Master {
    pub fn new(config: MasterConfig, now: Duration) -> Master {
        let hasher = SeededState::new(config.hash_seed);
        let next_prune = now + config.registry_gc_interval;
        let mut allocator = Allocator::new(config.allocator.clone());
        allocator.set_allocation_interval(config.allocation_interval);
        if !config.weights.is_empty() {
            allocator.update_weights(&config.weights);
        }
        Master {
            hasher,
            ids: IdGenerator::new(&config.info.id),
            config,
            frameworks: hasher.map(),
            completed_frameworks: VecDeque::new(),
            agents: hasher.map(),
            registry: Registry::new(),
            pending_registry: hasher.map(),
            next_ticket: 0,
            recovered_agents: hasher.map(),
            recovery_deadline: None,
            next_prune,
            marking_unreachable: hasher.set(),
            pending_unreachable: VecDeque::new(),
            recent_removals: VecDeque::new(),
            offers: hasher.map(),
            allocator,
            scheduler_streams: hasher.map(),
            agent_streams: hasher.map(),
            operators: OperatorStreams::default(),
            inverse_offers: hasher.map(),
            inverse_offer_statuses: Default::default(),
            removed_frameworks: hasher.set(),
            removed_agents: Default::default(),
            actions: Vec::new(),
            counters: Counters::default(),
            start_time: now,
            allocation_wanted: false,
        }
    }

    /// Drains the actions decided so far, in order.
    /// Builds the maps keyed by ids clients choose.
    pub(crate) fn hasher(&self) -> SeededState {
        self.hasher
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub fn config(&self) -> &MasterConfig {
        &self.config
    }

    pub fn info(&self) -> &MasterInfo {
        &self.config.info
    }

    pub fn start_time(&self) -> Duration {
        self.start_time
    }

    pub fn frameworks(&self) -> impl Iterator<Item = &Framework> {
        self.frameworks.values()
    }

    pub fn framework(&self, id: &FrameworkId) -> Option<&Framework> {
        self.frameworks.get(id)
    }

    pub fn completed_frameworks(&self) -> impl Iterator<Item = &Framework> {
        self.completed_frameworks.iter()
    }

    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        self.agents.values()
    }

    pub fn agent(&self, id: &AgentId) -> Option<&Agent> {
        self.agents.get(id)
    }

    /// Agents marked unreachable, with the time they became so.
    pub fn unreachable_agents(&self) -> impl Iterator<Item = (AgentId, Duration)> + '_ {
        self.registry.unreachable.values().map(|lost| (lost.id.clone(), Registry::lost_since(lost)))
    }

    /// Agents marked gone, with the time.
    pub fn gone_agents(&self) -> impl Iterator<Item = (AgentId, Duration)> + '_ {
        self.registry.gone.values().map(|lost| (lost.id.clone(), Registry::lost_since(lost)))
    }

    /// Registry agents that have not re-registered since the registry was
    /// recovered.
    pub fn recovered_agents(&self) -> impl Iterator<Item = &v1::AgentInfo> {
        self.recovered_agents.values()
    }

    /// The registry as this master last stored it.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn offers(&self) -> impl Iterator<Item = &Offer> {
        self.offers.values()
    }

    pub fn allocator(&self) -> &Allocator {
        &self.allocator
    }

    /// Whether something happened that may allow new offers; the daemon
    /// runs a cycle soon, batching bursts of events into one.
    pub fn allocation_wanted(&self) -> bool {
        self.allocation_wanted
    }

    // -----------------------------------------------------------------------
    // Timers.

    /// The earliest time at which [`Master::tick`] has work to do.
    pub fn next_deadline(&self) -> Option<Duration> {
        let offers = self.offers.values().filter_map(|o| o.expires);
        let failovers = self.frameworks.values().filter_map(|f| f.failover_deadline);
        let agents = self.agents.values().flat_map(|a| {
            let ping = a.connected().then_some(a.next_ping);
            ping.into_iter().chain(a.disconnected_deadline)
        });
        offers
            .chain(failovers)
            .chain(agents)
            .chain(self.next_removal_permit())
            .chain(self.recovery_deadline)
            .chain(std::iter::once(self.next_prune))
            .min()
    }

    /// Fires every timer that is due: offer timeouts, framework failover
    /// timeouts, agent pings and agents that stopped answering.
    pub(crate) fn tick(&mut self, now: Duration) {
        let expired: Vec<OfferId> =
            self.offers.values().filter(|o| o.expires.is_some_and(|t| t <= now)).map(|o| o.id.clone()).collect();
        for offer in expired {
            self.rescind_offer(&offer, now);
        }
        let failed: Vec<FrameworkId> = self
            .frameworks
            .values()
            .filter(|f| f.failover_deadline.is_some_and(|t| t <= now))
            .map(|f| f.id.clone())
            .collect();
        for framework in failed {
            self.remove_framework(&framework, now);
        }
        self.check_agents(now);
        self.registry_timers(now);
    }

    // -----------------------------------------------------------------------
    // Offers.

    /// Runs an allocation cycle and sends the resulting offers, one OFFERS
    /// event per framework.
    pub(crate) fn allocate(&mut self, now: Duration) {
        self.allocation_wanted = false;
        let allocations = self.allocator.allocate(now);
        self.counters.allocation_runs += 1;
        let mut by_framework: Vec<(FrameworkId, Vec<v1::Offer>)> = Vec::new();
        for allocation in allocations {
            if let Some(offer) = self.make_offer(allocation, now) {
                match by_framework.iter_mut().find(|(f, _)| *f == offer.framework_id) {
                    Some((_, list)) => list.push(offer),
                    None => by_framework.push((offer.framework_id.clone(), vec![offer])),
                }
            }
        }
        for (framework, offers) in by_framework {
            self.counters.offers_sent += offers.len() as u64;
            let event = Event {
                r#type: Some(event::Type::Offers as i32),
                offers: Some(event::Offers { offers }),
                ..Default::default()
            };
            self.send_to_framework(&framework, event);
        }
        self.send_inverse_offers(now);
    }

    /// Records an allocation as an outstanding offer, or gives it straight
    /// back when its framework or agent can no longer take it.
    fn make_offer(&mut self, allocation: Allocation, now: Duration) -> Option<v1::Offer> {
        let Allocation { framework, agent, role, resources } = allocation;
        let usable = self.frameworks.get(&framework).is_some_and(|f| f.active)
            && self.agents.get(&agent).is_some_and(|a| a.connected() && a.active);
        if !usable {
            self.allocator.recover_resources(&framework, &agent, &resources, None, now);
            return None;
        }
        let id = self.ids.next_offer();
        let agent_record = self.agents.get_mut(&agent)?;
        agent_record.offered.add(&resources);
        let framework_record = self.frameworks.get_mut(&framework)?;
        framework_record.offers.insert(id.clone());
        let format = framework_record.capabilities.resource_format();
        let executor_ids =
            agent_record.executors.get(&framework).map(|e| e.keys().cloned().collect()).unwrap_or_default();
        let wire = v1::Offer {
            id: id.clone(),
            framework_id: framework.clone(),
            agent_id: agent.clone(),
            hostname: agent_record.info.hostname.clone(),
            url: Some(agent_record.url()),
            domain: agent_record.info.domain.clone(),
            resources: resources.to_proto(format),
            attributes: agent_record.info.attributes.clone(),
            executor_ids,
            unavailability: self.agent_unavailability(&agent),
            allocation_info: Some(v1::resource::AllocationInfo { role: Some(role.clone()) }),
        };
        let expires = self.config.offer_timeout.map(|t| now + t);
        self.offers.insert(id.clone(), Offer { id, framework, agent, role, resources, created: now, expires });
        Some(wire)
    }

    /// Removes an offer from the books without giving its resources back.
    pub(crate) fn take_offer(&mut self, id: &OfferId) -> Option<Offer> {
        let offer = self.offers.remove(id)?;
        if let Some(agent) = self.agents.get_mut(&offer.agent) {
            agent.offered.subtract(&offer.resources);
        }
        if let Some(framework) = self.frameworks.get_mut(&offer.framework) {
            framework.offers.remove(id);
        }
        Some(offer)
    }

    /// Withdraws an offer: tells its framework (RESCIND) and returns the
    /// resources to the allocator.
    pub(crate) fn rescind_offer(&mut self, id: &OfferId, now: Duration) {
        let Some(offer) = self.take_offer(id) else {
            return;
        };
        self.allocator.recover_resources(&offer.framework, &offer.agent, &offer.resources, None, now);
        self.counters.offers_rescinded += 1;
        let event = Event {
            r#type: Some(event::Type::Rescind as i32),
            rescind: Some(event::Rescind { offer_id: offer.id.clone() }),
            ..Default::default()
        };
        self.send_to_framework(&offer.framework, event);
        self.allocation_wanted = true;
    }

    /// Gives an offer's resources back without telling the framework (it
    /// declined, or it is gone).
    pub(crate) fn discard_offer(&mut self, id: &OfferId, refuse: Option<Duration>, now: Duration) {
        if let Some(offer) = self.take_offer(id) {
            self.allocator.recover_resources(&offer.framework, &offer.agent, &offer.resources, refuse, now);
            self.allocation_wanted = true;
        }
    }

    // -----------------------------------------------------------------------
    // Sending.

    /// Sends an event to a framework if it is connected; events for
    /// disconnected frameworks are dropped (reliable updates are retried by
    /// their agent).
    pub(crate) fn send_to_framework(&mut self, framework: &FrameworkId, event: Event) {
        if let Some(connection) = self.frameworks.get(framework).and_then(|f| f.connection.as_ref()) {
            self.actions.push(Action::ToFramework { stream: connection.stream, event: Box::new(event) });
        }
    }

    pub(crate) fn send_to_agent(&mut self, agent: &AgentId, event: AgentEvent) {
        if let Some(connection) = self.agents.get(agent).and_then(|a| a.connection.as_ref()) {
            self.counters.agent_messages_sent += 1;
            self.actions.push(Action::ToAgent { stream: connection.stream, event: Box::new(event) });
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}
