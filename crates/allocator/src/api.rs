//! The allocator's interface: what the master tells it and what it answers.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::{Resources, Scalar};

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

/// The allocator. See the crate documentation for the resource flow.
#[derive(Debug)]
pub struct Allocator {
    _private: (),
}

impl Allocator {
    pub fn new(config: AllocatorConfig) -> Allocator {
        let _ = config;
        todo!()
    }

    /// A framework subscribed (or was recovered); `used` is what it already
    /// holds on each agent (tasks and executors found on re-registering
    /// agents).
    pub fn add_framework(&mut self, id: &FrameworkId, spec: FrameworkSpec, used: &[(AgentId, Resources)], active: bool) {
        let _ = (id, spec, used, active);
        todo!()
    }

    /// The framework changed its roles, suppressed roles or capabilities.
    pub fn update_framework(&mut self, id: &FrameworkId, spec: FrameworkSpec) {
        let _ = (id, spec);
        todo!()
    }

    /// The framework is gone; whatever it held is freed.
    pub fn remove_framework(&mut self, id: &FrameworkId) {
        let _ = id;
        todo!()
    }

    /// The framework may receive offers again (it reconnected).
    pub fn activate_framework(&mut self, id: &FrameworkId) {
        let _ = id;
        todo!()
    }

    /// The framework receives no offers for now (it disconnected).
    pub fn deactivate_framework(&mut self, id: &FrameworkId) {
        let _ = id;
        todo!()
    }

    /// An agent registered; `used` is what frameworks already hold on it.
    pub fn add_agent(&mut self, id: &AgentId, spec: AgentSpec, used: &[(FrameworkId, Resources)]) {
        let _ = (id, spec, used);
        todo!()
    }

    /// The agent's total changed (re-registration with other resources).
    pub fn update_agent(&mut self, id: &AgentId, total: Resources) {
        let _ = (id, total);
        todo!()
    }

    /// The agent is gone; its resources leave the pool.
    pub fn remove_agent(&mut self, id: &AgentId) {
        let _ = id;
        todo!()
    }

    /// The agent's free resources may be offered again.
    pub fn activate_agent(&mut self, id: &AgentId) {
        let _ = id;
        todo!()
    }

    /// The agent's free resources are not offered (disconnected, deactivated
    /// or draining).
    pub fn deactivate_agent(&mut self, id: &AgentId) {
        let _ = id;
        todo!()
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
        let _ = (framework, agent, resources, refuse, now);
        todo!()
    }

    /// Stops offers to `framework` for `roles` (all its roles when empty).
    pub fn suppress_offers(&mut self, framework: &FrameworkId, roles: &[String]) {
        let _ = (framework, roles);
        todo!()
    }

    /// Clears `framework`'s filters and suppression for `roles` (all when
    /// empty).
    pub fn revive_offers(&mut self, framework: &FrameworkId, roles: &[String]) {
        let _ = (framework, roles);
        todo!()
    }

    /// Sets role weights (default 1.0).
    pub fn update_weights(&mut self, weights: &[(String, f64)]) {
        let _ = weights;
        todo!()
    }

    /// Sets (or, with an empty `Quota`, clears) a role's quota.
    pub fn update_quota(&mut self, role: &str, quota: Quota) -> Result<(), AllocatorError> {
        let _ = (role, quota);
        todo!()
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
        let _ = (framework, agent, from, to);
        todo!()
    }

    /// Unallocated resources of `agent` were transformed by an operator call
    /// (RESERVE_RESOURCES, ...): fails if `from` is not available.
    pub fn update_available(&mut self, agent: &AgentId, from: &Resources, to: &Resources) -> Result<(), AllocatorError> {
        let _ = (agent, from, to);
        todo!()
    }

    /// Runs one allocation cycle over every active agent, in a random order.
    pub fn allocate(&mut self, now: Duration) -> Vec<Allocation> {
        let _ = now;
        todo!()
    }

    /// What `framework` holds on each agent (offered or in use).
    pub fn allocated_to(&self, framework: &FrameworkId) -> Vec<(AgentId, Resources)> {
        let _ = framework;
        todo!()
    }

    /// Every role known to the allocator, with weight, share and quota.
    pub fn roles(&self) -> Vec<RoleStatus> {
        todo!()
    }
}
