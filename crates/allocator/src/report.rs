//! Read-only views for the master: what a framework holds, the roles'
//! standing, an agent's available resources, quota consumption and
//! counters for `/metrics/snapshot`.

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::Resources;

use crate::api::{Allocator, Quantities, RoleStatus};

/// Counters of the allocator (`allocator/mesos/...` metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllocatorMetrics {
    /// Allocation cycles run.
    pub cycles: u64,
    /// Offers made since the start.
    pub offers: u64,
    /// Offers made by the last cycle.
    pub last_offers: usize,
    /// Offer filters in force.
    pub offer_filters_active: usize,
    /// Agents known.
    pub agents: usize,
    /// Frameworks added.
    pub frameworks: usize,
}

impl Allocator {
    pub(crate) fn holdings(&self, framework: &FrameworkId) -> Vec<(AgentId, Resources)> {
        let Some(fw) = self.frameworks.index(framework) else {
            return Vec::new();
        };
        let mut out: Vec<(AgentId, Resources)> = self
            .frameworks
            .get(fw)
            .agents
            .keys()
            .map(|&a| {
                let agent = self.agents.get(a);
                let mut held = Resources::new();
                for record in agent.records.iter().filter(|r| r.framework == fw) {
                    held.add(&record.resources.allocated_to(self.roles.name(record.role)));
                }
                (agent.id.clone(), held)
            })
            .collect();
        out.sort_by(|a, b| a.0.value.cmp(&b.0.value));
        out
    }

    pub(crate) fn role_statuses(&self) -> Vec<RoleStatus> {
        let mut allocated = vec![Resources::new(); self.roles.roles.len()];
        for (_, agent) in self.agents.iter() {
            for record in &agent.records {
                allocated[record.role].add(&record.resources);
            }
        }
        let mut out: Vec<RoleStatus> = self
            .roles
            .roles
            .iter()
            .enumerate()
            .filter(|(_, role)| role.is_known())
            .map(|(id, role)| RoleStatus {
                role: role.name.to_string(),
                weight: role.weight,
                dominant_share: if self.roles.sorter.contains(id) { self.roles.share(id) } else { 0.0 },
                allocated: allocated[id].allocated_to(&role.name),
                quota: role.quota.as_ref().map(|q| q.config.clone()),
            })
            .collect();
        out.sort_by(|a, b| a.role.cmp(&b.role));
        out
    }

    /// What is not offered or allocated on `agent` (unallocated form).
    pub fn available(&self, agent: &AgentId) -> Option<Resources> {
        let a = self.agents.index(agent)?;
        Some(self.agents.get(a).available.clone())
    }

    /// The total the allocator knows for `agent`.
    pub fn agent_total(&self, agent: &AgentId) -> Option<Resources> {
        let a = self.agents.index(agent)?;
        Some(self.agents.get(a).total.clone())
    }

    /// What counts against `role`'s quota: its reservations plus its
    /// offered or allocated unreserved non-revocable scalars, sub-roles
    /// included (`quota/roles/<role>/resources/<r>/offered_or_allocated`).
    pub fn quota_consumed(&self, role: &str) -> Option<Quantities> {
        let id = self.roles.get(role)?;
        Some(self.names.to_quantities(&self.roles.roles[id].consumed()))
    }

    /// Offer filters `framework` has in force.
    pub fn offer_filters(&self, framework: &FrameworkId) -> usize {
        self.frameworks.index(framework).map_or(0, |fw| self.filters.count_for(fw) as usize)
    }

    /// The allocator's counters, for `/metrics/snapshot`.
    pub fn metrics(&self) -> AllocatorMetrics {
        AllocatorMetrics {
            cycles: self.metrics.cycles,
            offers: self.metrics.offers,
            last_offers: self.metrics.last_offers,
            offer_filters_active: self.filters.count(),
            agents: self.agents.iter().count(),
            frameworks: self.frameworks.iter().filter(|(_, f)| f.added).count(),
        }
    }
}
