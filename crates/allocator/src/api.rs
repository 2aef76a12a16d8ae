//! The allocator's interface: what the master tells it and what it answers.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::collections::SeededState;
use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::{Resources, Scalar};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::agents::Agents;
use crate::filters::OfferFilters;
use crate::frameworks::Frameworks;
use crate::quantities::{MinAllocatable, NameId, Names};
use crate::roles::{RoleQuota, Roles};

/// Why an allocator request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocatorError {
    #[error("unknown agent {0}")]
    UnknownAgent(String),
    #[error("unknown framework {0}")]
    UnknownFramework(String),
    #[error("insufficient available resources on agent {agent}: {reason}")]
    Insufficient { agent: String, reason: String },
    #[error("invalid quota for role '{role}': {reason}")]
    InvalidQuota { role: String, reason: String },
}

/// Which sorter orders roles, or frameworks inside a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SorterKind {
    /// Lowest weighted dominant share first.
    #[default]
    Drf,
    /// Weighted random order.
    Random,
}

/// Quantities of scalar resources by name, e.g. `cpus: 0.01` and `mem: 32`.
pub type Quantities = BTreeMap<String, Scalar>;

/// Settings fixed when the allocator is created (from master flags).
#[derive(Debug, Clone)]
pub struct AllocatorConfig {
    /// `--min_allocatable_resources`: an offer must hold at least one of
    /// these sets of quantities (default `cpus:0.01|mem:32`).
    pub min_allocatable_resources: Vec<Quantities>,
    /// `--fair_sharing_excluded_resource_names`.
    pub fair_sharing_excluded_resource_names: Vec<String>,
    /// `--filter_gpu_resources`: only GPU_RESOURCES frameworks get offers
    /// from agents that have GPUs.
    pub filter_gpu_resources: bool,
    /// `--role_sorter`.
    pub role_sorter: SorterKind,
    /// `--framework_sorter`.
    pub framework_sorter: SorterKind,
    /// Seed of the random agent order (and of the random sorter).
    pub seed: u64,
}

impl Default for AllocatorConfig {
    fn default() -> Self {
        AllocatorConfig {
            min_allocatable_resources: vec![
                Quantities::from([("cpus".to_owned(), Scalar::from_millis(10))]),
                Quantities::from([("mem".to_owned(), Scalar::from_units(32))]),
            ],
            fair_sharing_excluded_resource_names: Vec::new(),
            filter_gpu_resources: true,
            role_sorter: SorterKind::Drf,
            framework_sorter: SorterKind::Drf,
            seed: 0,
        }
    }
}

/// What the allocator needs to know of an agent.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    pub hostname: String,
    /// Everything the agent has, reserved or not.
    pub total: Resources,
}

/// Framework capabilities that change what it may be offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameworkCapabilities {
    pub gpu_resources: bool,
    pub revocable_resources: bool,
    pub shared_resources: bool,
    pub reservation_refinement: bool,
}

/// What the allocator needs to know of a framework.
#[derive(Debug, Clone, Default)]
pub struct FrameworkSpec {
    /// The roles the framework subscribes to (one for non-MULTI_ROLE ones).
    pub roles: Vec<String>,
    /// Roles for which the framework wants no offers until it revives.
    pub suppressed_roles: Vec<String>,
    pub capabilities: FrameworkCapabilities,
    /// Per-role `FrameworkInfo.offer_filters.min_allocatable_resources`,
    /// overriding the allocator's global setting for that role.
    pub min_allocatable_resources: BTreeMap<String, Vec<Quantities>>,
}

/// Guarantees and limits of a role (`QuotaConfig`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quota {
    pub guarantees: Quantities,
    pub limits: Quantities,
}

/// One offer's worth: resources of one agent for one framework in one role.
/// `resources` carry `allocation_role == Some(role)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub framework: FrameworkId,
    pub agent: AgentId,
    pub role: String,
    pub resources: Resources,
}

/// A role's standing, for metrics and the `/roles` endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleStatus {
    pub role: String,
    pub weight: f64,
    pub dominant_share: f64,
    pub allocated: Resources,
    pub quota: Option<Quota>,
}

/// Settings compiled from [`AllocatorConfig`].
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) min_allocatable: MinAllocatable,
    /// Names left out of fair sharing.
    pub(crate) excluded: Vec<NameId>,
    pub(crate) filter_gpu: bool,
    /// The shortest an offer filter lasts (the allocation interval).
    pub(crate) min_refuse: Duration,
}

/// Counters kept by cycles.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) cycles: u64,
    pub(crate) offers: u64,
    pub(crate) last_offers: usize,
}

/// The allocator. See the crate documentation for the resource flow.
#[derive(Debug)]
pub struct Allocator {
    pub(crate) settings: Settings,
    pub(crate) names: Names,
    pub(crate) agents: Agents,
    pub(crate) frameworks: Frameworks,
    pub(crate) roles: Roles,
    pub(crate) filters: OfferFilters,
    pub(crate) rng: SmallRng,
    /// The `agents.total_epoch` the sorters were last given.
    pub(crate) synced_epoch: u64,
    pub(crate) under_maintenance: usize,
    pub(crate) metrics: Counters,
}

impl Allocator {
    pub fn new(config: AllocatorConfig) -> Allocator {
        let mut names = Names::default();
        let settings = Settings {
            min_allocatable: MinAllocatable::compile(&mut names, &config.min_allocatable_resources),
            excluded: config.fair_sharing_excluded_resource_names.iter().map(|name| names.id(name)).collect(),
            filter_gpu: config.filter_gpu_resources,
            min_refuse: Duration::ZERO,
        };
        Allocator {
            settings,
            names,
            agents: Agents::new(SeededState::new(config.seed)),
            frameworks: Frameworks::new(SeededState::new(config.seed)),
            roles: Roles::new(config.role_sorter, config.framework_sorter, config.seed),
            filters: OfferFilters::default(),
            rng: SmallRng::seed_from_u64(config.seed),
            synced_epoch: u64::MAX,
            under_maintenance: 0,
            metrics: Counters::default(),
        }
    }

    /// A framework subscribed (or was recovered); `used` is what it already
    /// holds on each agent (tasks and executors found on re-registering
    /// agents).
    pub fn add_framework(
        &mut self,
        id: &FrameworkId,
        spec: FrameworkSpec,
        used: &[(AgentId, Resources)],
        active: bool,
    ) {
        self.framework_added(id, spec, used, active);
    }

    /// The framework changed its roles, suppressed roles or capabilities.
    pub fn update_framework(&mut self, id: &FrameworkId, spec: FrameworkSpec) {
        if let Some(fw) = self.frameworks.index(id) {
            self.apply_spec(fw, spec);
        }
    }

    /// Tells the allocator the `--allocation_interval`: as in Mesos, an
    /// offer filter then lasts at least that long, so that a refusal is not
    /// forgotten before the next periodic cycle (zero until set).
    pub fn set_allocation_interval(&mut self, interval: Duration) {
        self.settings.min_refuse = interval;
    }

    /// The framework is gone; whatever it held is freed.
    pub fn remove_framework(&mut self, id: &FrameworkId) {
        self.framework_removed(id);
    }

    /// The framework may receive offers again (it reconnected).
    pub fn activate_framework(&mut self, id: &FrameworkId) {
        self.framework_activation(id, true);
    }

    /// The framework receives no offers for now (it disconnected).
    pub fn deactivate_framework(&mut self, id: &FrameworkId) {
        self.framework_activation(id, false);
    }

    /// An agent registered; `used` is what frameworks already hold on it.
    pub fn add_agent(&mut self, id: &AgentId, spec: AgentSpec, used: &[(FrameworkId, Resources)]) {
        self.agent_added(id, spec, used);
    }

    /// The agent's total changed (re-registration with other resources).
    pub fn update_agent(&mut self, id: &AgentId, total: Resources) {
        self.agent_updated(id, total);
    }

    /// The agent is gone; its resources leave the pool.
    pub fn remove_agent(&mut self, id: &AgentId) {
        self.agent_removed(id);
    }

    /// The agent's free resources may be offered again.
    pub fn activate_agent(&mut self, id: &AgentId) {
        self.agent_activation(id, true);
    }

    /// The agent's free resources are not offered (disconnected, deactivated
    /// or draining).
    pub fn deactivate_agent(&mut self, id: &AgentId) {
        self.agent_activation(id, false);
    }

    /// Gives back resources allocated to `framework` on `agent`. With
    /// `refuse`, the framework is not offered these resources on this agent
    /// again until `now + refuse` (capped at 365 days) unless it revives.
    pub fn recover_resources(
        &mut self,
        framework: &FrameworkId,
        agent: &AgentId,
        resources: &Resources,
        refuse: Option<Duration>,
        now: Duration,
    ) {
        self.recover(framework, agent, resources, refuse, now);
    }

    /// Stops offers to `framework` for `roles` (all its roles when empty).
    pub fn suppress_offers(&mut self, framework: &FrameworkId, roles: &[String]) {
        self.suppress(framework, roles);
    }

    /// Clears `framework`'s filters and suppression for `roles` (all when
    /// empty).
    pub fn revive_offers(&mut self, framework: &FrameworkId, roles: &[String]) {
        self.revive(framework, roles);
    }

    /// Sets role weights (default 1.0). Weights that are not positive and
    /// finite are ignored (the master validates them).
    pub fn update_weights(&mut self, weights: &[(String, f64)]) {
        for (role, weight) in weights {
            if weight.is_finite() && *weight > 0.0 && mesos_resources::role::validate(role).is_ok() {
                let id = self.roles.intern(role);
                self.roles.set_weight(id, *weight);
            }
        }
    }

    /// Checks a role's quota as [`Allocator::update_quota`] would, without
    /// setting it.
    pub fn validate_quota(role: &str, quota: &Quota) -> Result<(), AllocatorError> {
        crate::quota::validate(role, quota)
    }

    /// Sets (or, with an empty `Quota`, clears) a role's quota.
    pub fn update_quota(&mut self, role: &str, quota: Quota) -> Result<(), AllocatorError> {
        crate::quota::validate(role, &quota)?;
        let id = self.roles.intern(role);
        self.roles.roles[id].quota = if quota.guarantees.is_empty() && quota.limits.is_empty() {
            None
        } else {
            let mut guarantees = crate::quantities::Qty::default();
            for (id, amount) in self.names.compile(&quota.guarantees) {
                guarantees.add_at(id, amount);
            }
            Some(RoleQuota { guarantees, limits: self.names.compile(&quota.limits), config: quota })
        };
        Ok(())
    }

    /// Resources allocated to `framework` on `agent` were transformed by an
    /// offer operation (RESERVE, UNRESERVE, CREATE, DESTROY): `from` becomes
    /// `to` in place.
    pub fn update_allocation(
        &mut self,
        framework: &FrameworkId,
        agent: &AgentId,
        from: &Resources,
        to: &Resources,
    ) -> Result<(), AllocatorError> {
        self.convert_allocation(framework, agent, from, to)
    }

    /// Unallocated resources of `agent` were transformed by an operator call
    /// (RESERVE_RESOURCES, ...): fails if `from` is not available.
    pub fn update_available(
        &mut self,
        agent: &AgentId,
        from: &Resources,
        to: &Resources,
    ) -> Result<(), AllocatorError> {
        self.convert_available(agent, from, to)
    }

    /// Runs one allocation cycle over every active agent, in a random order.
    pub fn allocate(&mut self, now: Duration) -> Vec<Allocation> {
        self.run_cycle(None, now)
    }

    /// Runs one allocation cycle over the given agents only (those that are
    /// known and active), in a random order: for cycles triggered by events
    /// about a few agents (an agent added, resources recovered).
    pub fn allocate_agents(&mut self, agents: &[AgentId], now: Duration) -> Vec<Allocation> {
        let mut indices: Vec<u32> = agents.iter().filter_map(|a| self.agents.index(a)).collect();
        indices.sort_unstable();
        indices.dedup();
        self.run_cycle(Some(&indices), now)
    }

    /// What `framework` holds on each agent (offered or in use).
    pub fn allocated_to(&self, framework: &FrameworkId) -> Vec<(AgentId, Resources)> {
        self.holdings(framework)
    }

    /// Every role known to the allocator, with weight, share and quota.
    /// `dominant_share` is the role's own dominant share divided by its
    /// weight, the figure the role sorter orders by.
    pub fn roles(&self) -> Vec<RoleStatus> {
        self.role_statuses()
    }
}
