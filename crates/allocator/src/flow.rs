//! Resource movements outside a cycle: holdings recorded and released,
//! resources recovered (with offer filters), and offer operations that
//! transform resources in place (RESERVE, UNRESERVE, CREATE, DESTROY) on
//! allocated or on available resources.
//!
//! Every holding is counted in four places, kept together here: the agent's
//! record, the framework's list of agents and roles, the sorters, and the
//! role's quota consumption.

use std::time::Duration;

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::Resources;

use crate::api::{Allocator, AllocatorError};
use crate::filters::MAX_REFUSE;
use crate::roles::RoleId;

/// `wanted` cut down to what `present` has (both unallocated).
pub(crate) fn clamp(wanted: &Resources, present: &Resources) -> Resources {
    if present.contains(wanted) { wanted.clone() } else { wanted.minus(&wanted.minus(present)) }
}

impl Allocator {
    /// Counts `bag` (unallocated) as held by `framework` in `role` on
    /// `agent`. The caller has taken it out of the agent's available.
    pub(crate) fn track_held(&mut self, agent: u32, framework: u32, role: RoleId, bag: Resources) {
        if bag.is_empty() {
            return;
        }
        let name = self.frameworks.get(framework).id.value.clone();
        self.roles.track(role, framework as usize, &name);
        let scalars = self.names.all_scalars(&bag);
        let headroom = self.names.headroom_scalars(&bag);
        self.roles.allocated(role, framework as usize, &scalars);
        self.roles.consume(role, &headroom, true);
        if self.agents.get_mut(agent).hold(framework, role, bag) {
            self.frameworks.get_mut(framework).hold(agent, role);
        }
    }

    /// Stops counting `bag` (contained in the holding) as held. The caller
    /// puts it back into the agent's available, if the agent stays.
    pub(crate) fn untrack_held(&mut self, agent: u32, framework: u32, role: RoleId, bag: &Resources) {
        if bag.is_empty() {
            return;
        }
        let scalars = self.names.all_scalars(bag);
        let headroom = self.names.headroom_scalars(bag);
        self.roles.unallocated(role, framework as usize, &scalars);
        self.roles.consume(role, &headroom, false);
        if self.agents.get_mut(agent).release(framework, role, bag) {
            let fw = self.frameworks.get_mut(framework);
            fw.release(agent, role);
            if !fw.holds_in(role) && !fw.roles.contains(&role) {
                self.roles.untrack(role, framework as usize);
            }
        }
    }

    /// Splits `bag` by allocation role; resources without one go to the
    /// framework's role on that agent (or its first role, or `*`).
    pub(crate) fn split_by_role(
        &mut self,
        framework: u32,
        agent: Option<u32>,
        bag: &Resources,
    ) -> Vec<(RoleId, Resources)> {
        let mut parts: Vec<(RoleId, Resources)> = Vec::new();
        let mut unassigned = Resources::new();
        for resource in bag.iter() {
            let Some(name) = resource.allocation_role.as_deref() else {
                unassigned.add_resource(resource.clone());
                continue;
            };
            let role = self.roles.intern(name);
            let mut resource = resource.clone();
            resource.allocation_role = None;
            match parts.iter_mut().find(|(r, _)| *r == role) {
                Some((_, part)) => part.add_resource(resource),
                None => parts.push((role, Resources::from_iter([resource]))),
            }
        }
        if !unassigned.is_empty() {
            let fw = self.frameworks.get(framework);
            let on_agent = agent.and_then(|a| {
                let records = &self.agents.get(a).records;
                let mut mine = records.iter().filter(|r| r.framework == framework);
                match (mine.next(), mine.next()) {
                    (Some(record), None) => Some(record.role),
                    _ => None,
                }
            });
            let role = match on_agent.or_else(|| fw.roles.first().copied()) {
                Some(role) => role,
                None => self.roles.intern(mesos_resources::role::DEFAULT),
            };
            match parts.iter_mut().find(|(r, _)| *r == role) {
                Some((_, part)) => part.add(&unassigned),
                None => parts.push((role, unassigned)),
            }
        }
        parts
    }

    /// Takes `bag` (what the framework already uses there) out of the
    /// agent's available resources and counts it as held.
    pub(crate) fn adopt(&mut self, agent: u32, framework: u32, bag: &Resources) {
        for (role, part) in self.split_by_role(framework, Some(agent), bag) {
            let part = clamp(&part, &self.agents.get(agent).available);
            if part.is_empty() {
                continue;
            }
            self.agents.take(&mut self.names, agent, &part);
            self.track_held(agent, framework, role, part);
        }
    }

    pub(crate) fn recover(
        &mut self,
        framework: &FrameworkId,
        agent: &AgentId,
        resources: &Resources,
        refuse: Option<Duration>,
        now: Duration,
    ) {
        let (Some(fw), Some(a)) = (self.frameworks.index(framework), self.agents.index(agent)) else {
            return;
        };
        for (role, part) in self.split_by_role(fw, Some(a), resources) {
            let held = self.agents.get(a).record(fw, role).map(|r| clamp(&part, &r.resources)).unwrap_or_default();
            if !held.is_empty() {
                self.untrack_held(a, fw, role, &held);
                self.agents.give(&mut self.names, a, &held);
            }
            let Some(refuse) = refuse.filter(|d| !d.is_zero()) else {
                continue;
            };
            let expiry = now.saturating_add(refuse.min(MAX_REFUSE).max(self.settings.min_refuse));
            let entry = self.agents.get(a);
            self.filters.add(a, fw, role, part, expiry, &entry.available, entry.epoch);
        }
    }

    pub(crate) fn convert_allocation(
        &mut self,
        framework: &FrameworkId,
        agent: &AgentId,
        from: &Resources,
        to: &Resources,
    ) -> Result<(), AllocatorError> {
        let fw = self
            .frameworks
            .index(framework)
            .ok_or_else(|| AllocatorError::UnknownFramework(framework.value.clone()))?;
        let a = self.agents.index(agent).ok_or_else(|| AllocatorError::UnknownAgent(agent.value.clone()))?;
        let insufficient =
            |reason: &str| AllocatorError::Insufficient { agent: agent.value.clone(), reason: reason.to_owned() };
        let mut parts = self.split_by_role(fw, Some(a), from);
        if parts.len() != 1 {
            return Err(insufficient("the resources must be allocated to exactly one role"));
        }
        let (role, from) = parts.pop().expect("one part");
        let to = to.unallocated();
        let held = self.agents.get(a).record(fw, role).map(|r| &r.resources);
        if !held.is_some_and(|held| held.contains(&from)) {
            return Err(insufficient(&format!("{from} is not allocated to the framework there")));
        }
        let total = self.agents.get(a).total.minus(&from).plus(&to);
        let (old_scalars, new_scalars) = (self.names.all_scalars(&from), self.names.all_scalars(&to));
        let (old_headroom, new_headroom) = (self.names.headroom_scalars(&from), self.names.headroom_scalars(&to));
        if old_scalars != new_scalars {
            self.roles.unallocated(role, fw as usize, &old_scalars);
            self.roles.allocated(role, fw as usize, &new_scalars);
        }
        self.roles.consume(role, &old_headroom, false);
        self.roles.consume(role, &new_headroom, true);
        let agent_entry = self.agents.get_mut(a);
        let record =
            agent_entry.records.iter_mut().find(|r| r.framework == fw && r.role == role).expect("checked above");
        record.resources.subtract(&from);
        record.resources.add(&to);
        if record.resources.is_empty() && agent_entry.release(fw, role, &Resources::new()) {
            let entry = self.frameworks.get_mut(fw);
            entry.release(a, role);
            if !entry.holds_in(role) && !entry.roles.contains(&role) {
                self.roles.untrack(role, fw as usize);
            }
        }
        self.roles.reservations(&mut self.names, &from, false);
        self.roles.reservations(&mut self.names, &to, true);
        self.agents.set_total(&mut self.names, a, total);
        Ok(())
    }

    pub(crate) fn convert_available(
        &mut self,
        agent: &AgentId,
        from: &Resources,
        to: &Resources,
    ) -> Result<(), AllocatorError> {
        let a = self.agents.index(agent).ok_or_else(|| AllocatorError::UnknownAgent(agent.value.clone()))?;
        let (from, to) = (from.unallocated(), to.unallocated());
        let entry = self.agents.get(a);
        if !entry.available.contains(&from) {
            return Err(AllocatorError::Insufficient {
                agent: agent.value.clone(),
                reason: format!("{from} is not available (available: {})", entry.available),
            });
        }
        let total = entry.total.minus(&from).plus(&to);
        self.roles.reservations(&mut self.names, &from, false);
        self.roles.reservations(&mut self.names, &to, true);
        self.agents.set_total(&mut self.names, a, total);
        Ok(())
    }
}
