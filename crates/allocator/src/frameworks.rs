//! Framework bookkeeping: each framework's roles, suppressed roles,
//! capabilities and minimum offer sizes, and where it holds resources.
//!
//! Frameworks live in a slab indexed by a dense `u32` (the client id in the
//! sorters and the bit in offer-filter sets); freed slots are reused.

use mesos_proto::collections::{Map, SeededState};
use mesos_proto::v1::FrameworkId;

use crate::api::FrameworkCapabilities;
use crate::quantities::MinAllocatable;
use crate::roles::RoleId;
use rustc_hash::FxHashMap;

#[derive(Debug)]
pub(crate) struct Framework {
    pub(crate) id: FrameworkId,
    /// Added by the master (not only seen in an agent's `used`).
    pub(crate) added: bool,
    pub(crate) active: bool,
    /// Subscribed roles.
    pub(crate) roles: Vec<RoleId>,
    pub(crate) suppressed: Vec<RoleId>,
    pub(crate) capabilities: FrameworkCapabilities,
    /// Per-role minimum offer sizes overriding the global setting.
    pub(crate) min_allocatable: Vec<(RoleId, MinAllocatable)>,
    /// Agents where it holds resources, with the number of roles it holds
    /// them in there.
    pub(crate) agents: FxHashMap<u32, u32>,
    /// Roles it holds resources in, with the number of agents.
    pub(crate) held_roles: Vec<(RoleId, u32)>,
}

impl Framework {
    pub(crate) fn new(id: FrameworkId) -> Framework {
        Framework {
            id,
            added: false,
            active: false,
            roles: Vec::new(),
            suppressed: Vec::new(),
            capabilities: FrameworkCapabilities::default(),
            min_allocatable: Vec::new(),
            agents: FxHashMap::default(),
            held_roles: Vec::new(),
        }
    }

    /// Whether the framework should be offered resources in `role`.
    pub(crate) fn wants(&self, role: RoleId) -> bool {
        self.active && self.roles.contains(&role) && !self.suppressed.contains(&role)
    }

    pub(crate) fn holds_in(&self, role: RoleId) -> bool {
        self.held_roles.iter().any(|&(r, _)| r == role)
    }

    /// The minimum offer size for `role`, if overridden.
    pub(crate) fn min_allocatable_for(&self, role: RoleId) -> Option<&MinAllocatable> {
        self.min_allocatable.iter().find(|(r, _)| *r == role).map(|(_, min)| min)
    }

    /// Records that a holding in `role` on `agent` appeared.
    pub(crate) fn hold(&mut self, agent: u32, role: RoleId) {
        *self.agents.entry(agent).or_insert(0) += 1;
        match self.held_roles.iter_mut().find(|(r, _)| *r == role) {
            Some((_, count)) => *count += 1,
            None => self.held_roles.push((role, 1)),
        }
    }

    /// Records that a holding in `role` on `agent` disappeared.
    pub(crate) fn release(&mut self, agent: u32, role: RoleId) {
        if let Some(count) = self.agents.get_mut(&agent) {
            *count -= 1;
            if *count == 0 {
                self.agents.remove(&agent);
            }
        }
        if let Some(index) = self.held_roles.iter().position(|(r, _)| *r == role) {
            self.held_roles[index].1 -= 1;
            if self.held_roles[index].1 == 0 {
                self.held_roles.swap_remove(index);
            }
        }
    }
}

/// All frameworks, by id and by index.
#[derive(Debug)]
pub(crate) struct Frameworks {
    slots: Vec<Option<Framework>>,
    ids: Map<FrameworkId, u32>,
    free: Vec<u32>,
}

impl Frameworks {
    /// No frameworks; ids (which frameworks may choose) hash with `hasher`.
    pub(crate) fn new(hasher: SeededState) -> Frameworks {
        Frameworks { slots: Vec::new(), ids: hasher.map(), free: Vec::new() }
    }

    pub(crate) fn index(&self, id: &FrameworkId) -> Option<u32> {
        self.ids.get(id).copied()
    }

    /// The index of `id`, with a fresh (not yet added) entry if unknown.
    pub(crate) fn intern(&mut self, id: &FrameworkId) -> u32 {
        if let Some(index) = self.index(id) {
            return index;
        }
        let framework = Framework::new(id.clone());
        let index = match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(framework);
                index
            }
            None => {
                self.slots.push(Some(framework));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 frameworks")
            }
        };
        self.ids.insert(id.clone(), index);
        index
    }

    pub(crate) fn remove(&mut self, index: u32) -> Option<Framework> {
        let framework = self.slots.get_mut(index as usize)?.take()?;
        self.ids.remove(&framework.id);
        self.free.push(index);
        Some(framework)
    }

    pub(crate) fn get(&self, index: u32) -> &Framework {
        self.slots[index as usize].as_ref().expect("framework index refers to a live framework")
    }

    pub(crate) fn get_mut(&mut self, index: u32) -> &mut Framework {
        self.slots[index as usize].as_mut().expect("framework index refers to a live framework")
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Framework)> {
        self.slots.iter().enumerate().filter_map(|(i, f)| f.as_ref().map(|f| (i as u32, f)))
    }
}
