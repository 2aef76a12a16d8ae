//! Framework lifecycle: subscribing (with what it already uses), changing
//! roles, suppressed roles or capabilities, activation, removal, and the
//! SUPPRESS and REVIVE calls.
//!
//! A framework is an active client of a role's framework sorter exactly when
//! it is active, subscribed to the role and has not suppressed it. It stays
//! tracked (inactive) under a role it left while it still holds resources
//! allocated to that role.

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::Resources;

use crate::api::{Allocator, FrameworkSpec};
use crate::quantities::MinAllocatable;
use crate::roles::RoleId;

impl Allocator {
    pub(crate) fn framework_added(
        &mut self,
        id: &FrameworkId,
        spec: FrameworkSpec,
        used: &[(AgentId, Resources)],
        active: bool,
    ) {
        let fw = self.frameworks.intern(id);
        let known = self.frameworks.get(fw).added;
        self.frameworks.get_mut(fw).added = true;
        self.frameworks.get_mut(fw).active = active;
        self.apply_spec(fw, spec);
        if known {
            return;
        }
        for (agent, bag) in used {
            let Some(a) = self.agents.index(agent) else {
                continue;
            };
            // Holdings the agent told us about are already counted.
            if self.frameworks.get(fw).agents.contains_key(&a) {
                continue;
            }
            self.adopt(a, fw, bag);
        }
    }

    /// Applies a (new) framework description: roles, suppressed roles,
    /// capabilities and minimum offer sizes.
    pub(crate) fn apply_spec(&mut self, fw: u32, spec: FrameworkSpec) {
        let mut roles: Vec<RoleId> = Vec::new();
        for name in &spec.roles {
            let role = self.roles.intern(name);
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        let suppressed: Vec<RoleId> = spec
            .suppressed_roles
            .iter()
            .filter_map(|name| self.roles.get(name))
            .filter(|role| roles.contains(role))
            .collect();
        let mut min_allocatable = Vec::new();
        for (name, sets) in &spec.min_allocatable_resources {
            let role = self.roles.intern(name);
            min_allocatable.push((role, MinAllocatable::compile(&mut self.names, sets)));
        }
        let framework = self.frameworks.get(fw);
        let name = framework.id.value.clone();
        let old_roles = framework.roles.clone();
        let old_suppressed = framework.suppressed.clone();
        for &role in roles.iter().filter(|r| !old_roles.contains(r)) {
            self.roles.track(role, fw as usize, &name);
        }
        for &role in old_roles.iter().filter(|r| !roles.contains(r)) {
            self.roles.deactivate(role, fw as usize);
            self.filters.clear_framework(fw, |r| r == role);
            if !self.frameworks.get(fw).holds_in(role) {
                self.roles.untrack(role, fw as usize);
            }
        }
        // Roles no longer suppressed are revived: their filters go too.
        let revived: Vec<RoleId> =
            old_suppressed.iter().copied().filter(|r| roles.contains(r) && !suppressed.contains(r)).collect();
        if !revived.is_empty() {
            self.filters.clear_framework(fw, |r| revived.contains(&r));
        }
        let framework = self.frameworks.get_mut(fw);
        framework.roles = roles;
        framework.suppressed = suppressed;
        framework.capabilities = spec.capabilities;
        framework.min_allocatable = min_allocatable;
        self.refresh_activation(fw);
    }

    /// Makes the sorters agree with the framework's state.
    pub(crate) fn refresh_activation(&mut self, fw: u32) {
        let framework = self.frameworks.get(fw);
        let states: Vec<(RoleId, bool)> = framework.roles.iter().map(|&role| (role, framework.wants(role))).collect();
        for (role, wanted) in states {
            if wanted {
                self.roles.activate(role, fw as usize);
            } else {
                self.roles.deactivate(role, fw as usize);
            }
        }
    }

    pub(crate) fn framework_removed(&mut self, id: &FrameworkId) {
        let Some(fw) = self.frameworks.index(id) else {
            return;
        };
        let agents: Vec<u32> = self.frameworks.get(fw).agents.keys().copied().collect();
        for a in agents {
            let held: Vec<(RoleId, Resources)> = self
                .agents
                .get(a)
                .records
                .iter()
                .filter(|r| r.framework == fw)
                .map(|r| (r.role, r.resources.clone()))
                .collect();
            for (role, bag) in held {
                self.untrack_held(a, fw, role, &bag);
                self.agents.give(&mut self.names, a, &bag);
            }
        }
        for role in self.frameworks.get(fw).roles.clone() {
            self.roles.untrack(role, fw as usize);
        }
        self.filters.clear_framework(fw, |_| true);
        self.forget_inverse_offers(fw);
        self.frameworks.remove(fw);
    }

    pub(crate) fn framework_activation(&mut self, id: &FrameworkId, active: bool) {
        let Some(fw) = self.frameworks.index(id) else {
            return;
        };
        self.frameworks.get_mut(fw).active = active;
        if !active {
            // As in Mesos, a framework that goes away loses its filters.
            self.filters.clear_framework(fw, |_| true);
            self.clear_inverse_offer_filters(fw);
        }
        self.refresh_activation(fw);
    }

    /// The subscribed roles named in `names`, or all of them when empty.
    fn subscribed(&self, fw: u32, names: &[String]) -> Vec<RoleId> {
        let framework = self.frameworks.get(fw);
        if names.is_empty() {
            return framework.roles.clone();
        }
        names.iter().filter_map(|name| self.roles.get(name)).filter(|role| framework.roles.contains(role)).collect()
    }

    pub(crate) fn suppress(&mut self, id: &FrameworkId, names: &[String]) {
        let Some(fw) = self.frameworks.index(id) else {
            return;
        };
        let roles = self.subscribed(fw, names);
        let framework = self.frameworks.get_mut(fw);
        for role in roles {
            if !framework.suppressed.contains(&role) {
                framework.suppressed.push(role);
            }
        }
        self.refresh_activation(fw);
    }

    pub(crate) fn revive(&mut self, id: &FrameworkId, names: &[String]) {
        let Some(fw) = self.frameworks.index(id) else {
            return;
        };
        let roles = self.subscribed(fw, names);
        self.filters.clear_framework(fw, |r| roles.contains(&r));
        self.clear_inverse_offer_filters(fw);
        self.frameworks.get_mut(fw).suppressed.retain(|r| !roles.contains(r));
        self.refresh_activation(fw);
    }
}
