//! Agent bookkeeping: each agent's total, what each framework holds there
//! (per role), what is still available, and a summary of the available
//! resources that lets an allocation cycle decide most things without
//! touching the resource bags.
//!
//! Invariant: `available = total - Σ records` (records hold unallocated
//! resources: no `allocation_role`). The sums of the agents' totals and of
//! their available unreserved non-revocable scalars (the quota headroom) are
//! kept up to date here.

use mesos_proto::collections::{Map, SeededState};
use mesos_proto::v1::AgentId;
use mesos_resources::{ResourceValue, Resources};

use crate::maintenance::Maintenance;
use crate::quantities::{Names, Qty};
use crate::roles::RoleId;

/// What one framework holds on an agent in one role.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) framework: u32,
    pub(crate) role: RoleId,
    pub(crate) resources: Resources,
}

/// Facts about an agent's available resources.
#[derive(Debug, Clone, Default)]
pub(crate) struct Summary {
    /// Everything available is unreserved, non-revocable and not shared, so
    /// every role may take all of it and no capability strips anything.
    pub(crate) plain: bool,
    /// Amounts as minimum offer sizes count them.
    pub(crate) counts: Qty,
    /// Every scalar.
    pub(crate) scalars: Qty,
    /// Unreserved non-revocable scalars (quota headroom).
    pub(crate) headroom: Qty,
    /// Names with a positive amount in `headroom`.
    pub(crate) headroom_mask: u64,
    /// Some unreserved non-revocable resource is not a scalar (ports...).
    pub(crate) nonscalar: bool,
}

#[derive(Debug)]
pub(crate) struct Agent {
    pub(crate) id: AgentId,
    pub(crate) active: bool,
    pub(crate) total: Resources,
    pub(crate) total_scalars: Qty,
    pub(crate) has_gpus: bool,
    pub(crate) available: Resources,
    pub(crate) summary: Summary,
    /// Bumped whenever `available` grows or changes shape; offer filters
    /// cache "covers everything available" per epoch.
    pub(crate) epoch: u64,
    pub(crate) records: Vec<Record>,
    pub(crate) maintenance: Option<Maintenance>,
}

impl Agent {
    pub(crate) fn record(&self, framework: u32, role: RoleId) -> Option<&Record> {
        self.records.iter().find(|r| r.framework == framework && r.role == role)
    }

    /// Adds `bag` to the framework's holding; true if the holding is new.
    pub(crate) fn hold(&mut self, framework: u32, role: RoleId, bag: Resources) -> bool {
        match self.records.iter_mut().find(|r| r.framework == framework && r.role == role) {
            Some(record) => {
                record.resources.add(&bag);
                false
            }
            None => {
                self.records.push(Record { framework, role, resources: bag });
                true
            }
        }
    }

    /// Removes `bag` from the framework's holding; true if it became empty.
    pub(crate) fn release(&mut self, framework: u32, role: RoleId, bag: &Resources) -> bool {
        let Some(index) = self.records.iter().position(|r| r.framework == framework && r.role == role) else {
            return false;
        };
        self.records[index].resources.subtract(bag);
        if self.records[index].resources.is_empty() {
            self.records.swap_remove(index);
            return true;
        }
        false
    }

    /// Everything frameworks hold here.
    pub(crate) fn held(&self) -> Resources {
        let mut held = Resources::new();
        for record in &self.records {
            held.add(&record.resources);
        }
        held
    }
}

/// All agents, by id and by index, with cluster-wide sums.
#[derive(Debug, Default)]
pub(crate) struct Agents {
    slots: Vec<Option<Agent>>,
    ids: Map<AgentId, u32>,
    free: Vec<u32>,
    /// Sum of every agent's scalar total.
    pub(crate) total: Qty,
    /// Bumped when `total` changes.
    pub(crate) total_epoch: u64,
    /// Sum of every agent's available unreserved non-revocable scalars.
    pub(crate) headroom: Qty,
}

impl Agents {
    /// No agents; ids (which agents may bring back after a failover) hash
    /// with `hasher`.
    pub(crate) fn new(hasher: SeededState) -> Agents {
        Agents { ids: hasher.map(), ..Agents::default() }
    }

    pub(crate) fn index(&self, id: &AgentId) -> Option<u32> {
        self.ids.get(id).copied()
    }

    pub(crate) fn get(&self, index: u32) -> &Agent {
        self.slots[index as usize].as_ref().expect("agent index refers to a live agent")
    }

    pub(crate) fn get_mut(&mut self, index: u32) -> &mut Agent {
        self.slots[index as usize].as_mut().expect("agent index refers to a live agent")
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Agent)> {
        self.slots.iter().enumerate().filter_map(|(i, a)| a.as_ref().map(|a| (i as u32, a)))
    }

    /// Adds an agent whose whole total is available.
    pub(crate) fn insert(&mut self, names: &mut Names, id: AgentId, total: Resources) -> u32 {
        let total_scalars = names.all_scalars(&total);
        let has_gpus = names.get("gpus").is_some_and(|g| total_scalars.get(g) > 0);
        self.total.add(&total_scalars);
        self.total_epoch += 1;
        let agent = Agent {
            id: id.clone(),
            active: true,
            available: total.clone(),
            total,
            total_scalars,
            has_gpus,
            summary: Summary::default(),
            epoch: 0,
            records: Vec::new(),
            maintenance: None,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(agent);
                index
            }
            None => {
                self.slots.push(Some(agent));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 agents")
            }
        };
        self.ids.insert(id, index);
        self.refresh(names, index);
        index
    }

    pub(crate) fn remove(&mut self, index: u32) -> Option<Agent> {
        let agent = self.slots.get_mut(index as usize)?.take()?;
        self.ids.remove(&agent.id);
        self.free.push(index);
        self.total.sub(&agent.total_scalars);
        self.total_epoch += 1;
        self.headroom.sub(&agent.summary.headroom);
        Some(agent)
    }

    /// Replaces the agent's total; what frameworks hold stays held.
    pub(crate) fn set_total(&mut self, names: &mut Names, index: u32, total: Resources) {
        let agent = self.slots[index as usize].as_mut().expect("agent index refers to a live agent");
        let scalars = names.all_scalars(&total);
        self.total.sub(&agent.total_scalars);
        self.total.add(&scalars);
        self.total_epoch += 1;
        agent.has_gpus = names.get("gpus").is_some_and(|g| scalars.get(g) > 0);
        agent.total_scalars = scalars;
        agent.available = total.minus(&agent.held());
        agent.total = total;
        agent.epoch += 1;
        self.refresh(names, index);
    }

    /// Takes `part` out of the agent's available resources.
    pub(crate) fn take(&mut self, names: &mut Names, index: u32, part: &Resources) {
        let agent = self.get_mut(index);
        agent.available.subtract(part);
        self.refresh(names, index);
    }

    /// Takes everything available; returns it.
    pub(crate) fn take_all(&mut self, index: u32) -> Resources {
        let agent = self.slots[index as usize].as_mut().expect("agent index refers to a live agent");
        self.headroom.sub(&agent.summary.headroom);
        agent.summary = Summary { plain: true, ..Summary::default() };
        std::mem::take(&mut agent.available)
    }

    /// Puts `part` back into the agent's available resources.
    pub(crate) fn give(&mut self, names: &mut Names, index: u32, part: &Resources) {
        let agent = self.get_mut(index);
        agent.available.add(part);
        agent.epoch += 1;
        self.refresh(names, index);
    }

    fn refresh(&mut self, names: &mut Names, index: u32) {
        let agent = self.slots[index as usize].as_mut().expect("agent index refers to a live agent");
        let available = &agent.available;
        let headroom = names.headroom_scalars(available);
        let summary = Summary {
            plain: available.iter().all(|r| r.is_unreserved() && !r.revocable && !r.shared),
            counts: names.counts(available),
            scalars: names.all_scalars(available),
            headroom_mask: headroom.positive_mask(),
            headroom,
            nonscalar: available
                .iter()
                .any(|r| r.is_unreserved() && !r.revocable && !matches!(r.value, ResourceValue::Scalar(_))),
        };
        self.headroom.sub(&agent.summary.headroom);
        self.headroom.add(&summary.headroom);
        agent.summary = summary;
    }
}
