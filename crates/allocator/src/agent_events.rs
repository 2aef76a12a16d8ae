//! Agent lifecycle: registration (with what frameworks already use there),
//! a changed total, activation and removal.
//!
//! Resources in use by a framework the allocator does not know yet are
//! still taken out of the pool: the framework gets a placeholder entry
//! (tracked, never offered anything) that the master's later
//! `add_framework` fills in, or `remove_framework` clears.

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::Resources;

use crate::api::{AgentSpec, Allocator};

impl Allocator {
    pub(crate) fn agent_added(&mut self, id: &AgentId, spec: AgentSpec, used: &[(FrameworkId, Resources)]) {
        if self.agents.index(id).is_some() {
            self.agent_removed(id);
        }
        let total = spec.total.unallocated();
        self.roles.reservations(&mut self.names, &total, true);
        let a = self.agents.insert(&mut self.names, id.clone(), total);
        for (framework, bag) in used {
            let fw = self.frameworks.intern(framework);
            self.adopt(a, fw, bag);
        }
    }

    pub(crate) fn agent_updated(&mut self, id: &AgentId, total: Resources) {
        let Some(a) = self.agents.index(id) else {
            return;
        };
        let total = total.unallocated();
        let old = self.agents.get(a).total.clone();
        self.roles.reservations(&mut self.names, &old, false);
        self.roles.reservations(&mut self.names, &total, true);
        self.agents.set_total(&mut self.names, a, total);
    }

    pub(crate) fn agent_removed(&mut self, id: &AgentId) {
        let Some(a) = self.agents.index(id) else {
            return;
        };
        let records = self.agents.get(a).records.clone();
        for record in records {
            self.untrack_held(a, record.framework, record.role, &record.resources);
            let framework = self.frameworks.get(record.framework);
            if !framework.added && framework.agents.is_empty() {
                let placeholder = framework.id.clone();
                self.framework_removed(&placeholder);
            }
        }
        let total = self.agents.get(a).total.clone();
        self.roles.reservations(&mut self.names, &total, false);
        self.filters.clear_agent(a);
        if self.agents.get(a).maintenance.is_some() {
            self.under_maintenance -= 1;
        }
        self.agents.remove(a);
    }

    pub(crate) fn agent_activation(&mut self, id: &AgentId, active: bool) {
        if let Some(a) = self.agents.index(id) {
            self.agents.get_mut(a).active = active;
        }
    }
}
