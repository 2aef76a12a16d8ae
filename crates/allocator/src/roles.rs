//! Roles: the role tree with weights and quota, what each role has reserved
//! and consumes (for quota), the sorter of the frameworks in each role, and
//! the role sorter over all roles that have frameworks.
//!
//! A role exists here once anything names it: a framework subscribing, a
//! reservation, a weight or a quota. Consumption and reservations are kept
//! for the role *and its ancestors*, since quota counts sub-roles.

use std::sync::Arc;

use mesos_proto::collections::{Map, SeededState};
use mesos_resources::{Resources, role};

use crate::api::{Quota, SorterKind};
use crate::bits::Bits;
use crate::quantities::{NameId, Names, Qty, name_bit};
use crate::sorter::{Sorter, new_sorter};

/// Index of a role in [`Roles`].
pub(crate) type RoleId = usize;

/// A role's quota, with its quantities keyed by name index.
#[derive(Debug, Clone)]
pub(crate) struct RoleQuota {
    pub(crate) config: Quota,
    pub(crate) guarantees: Qty,
    /// Names without a limit are unlimited.
    pub(crate) limits: Vec<(NameId, i64)>,
}

#[derive(Debug)]
pub(crate) struct Role {
    pub(crate) name: Arc<str>,
    pub(crate) parent: Option<RoleId>,
    pub(crate) weight: f64,
    pub(crate) quota: Option<RoleQuota>,
    /// The frameworks tracked under this role (subscribed to it, or holding
    /// resources allocated to it), when there are any.
    pub(crate) frameworks: Option<Sorter>,
    /// The frameworks active in `frameworks`.
    pub(crate) active: Bits,
    tracked: usize,
    /// Scalar reservations to this role or a descendant, on every agent.
    pub(crate) reserved: Qty,
    /// Offered or allocated unreserved non-revocable scalars of this role
    /// and its descendants.
    pub(crate) consumed_unreserved: Qty,
    /// Per cycle: names this role could still take (limits permitting).
    pub(crate) cycle_mask: u64,
}

impl Role {
    /// Quota consumption: reservations plus unreserved allocations.
    pub(crate) fn consumed(&self) -> Qty {
        let mut consumed = self.reserved.clone();
        consumed.add(&self.consumed_unreserved);
        consumed
    }

    /// What the role itself may still take of each name it limits.
    fn own_limit_headroom(&self) -> Option<Vec<(NameId, i64)>> {
        let quota = self.quota.as_ref()?;
        if quota.limits.is_empty() {
            return None;
        }
        let consumed = self.consumed();
        Some(quota.limits.iter().map(|&(id, limit)| (id, (limit - consumed.get(id)).max(0))).collect())
    }

    /// Guarantees not met yet (zero when there are none).
    pub(crate) fn unsatisfied(&self) -> Qty {
        match &self.quota {
            Some(quota) if !quota.guarantees.is_zero() => quota.guarantees.saturating_minus(&self.consumed()),
            _ => Qty::default(),
        }
    }

    /// Whether the role is worth reporting: it has frameworks, quota,
    /// reservations, consumption or a weight.
    pub(crate) fn is_known(&self) -> bool {
        self.tracked > 0
            || self.quota.is_some()
            || self.weight != 1.0
            || !self.reserved.is_zero()
            || !self.consumed_unreserved.is_zero()
    }
}

#[derive(Debug)]
pub(crate) struct Roles {
    pub(crate) roles: Vec<Role>,
    ids: Map<String, RoleId>,
    /// Orders the roles that have frameworks; active when one is active.
    pub(crate) sorter: Sorter,
    framework_sorter: SorterKind,
    seed: u64,
    /// The fair-sharing total given to every sorter.
    total: Vec<i64>,
}

impl Roles {
    pub(crate) fn new(role_sorter: SorterKind, framework_sorter: SorterKind, seed: u64) -> Roles {
        Roles {
            roles: Vec::new(),
            ids: SeededState::new(seed).map(),
            sorter: new_sorter(role_sorter, true, seed ^ 0x5eed_0001),
            framework_sorter,
            seed,
            total: Vec::new(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<RoleId> {
        self.ids.get(name).copied()
    }

    /// The role named `name`, created with its ancestors if new.
    pub(crate) fn intern(&mut self, name: &str) -> RoleId {
        if let Some(id) = self.get(name) {
            return id;
        }
        let parent = role::ancestors(name).next().map(|p| self.intern(p));
        let id = self.roles.len();
        self.roles.push(Role {
            name: Arc::from(name),
            parent,
            weight: 1.0,
            quota: None,
            frameworks: None,
            active: Bits::default(),
            tracked: 0,
            reserved: Qty::default(),
            consumed_unreserved: Qty::default(),
            cycle_mask: 0,
        });
        self.ids.insert(name.to_owned(), id);
        id
    }

    pub(crate) fn name(&self, id: RoleId) -> &str {
        &self.roles[id].name
    }

    /// `id` and its ancestors, nearest first.
    pub(crate) fn lineage(&self, id: RoleId) -> impl Iterator<Item = RoleId> + '_ {
        std::iter::successors(Some(id), |&r| self.roles[r].parent)
    }

    pub(crate) fn set_total(&mut self, total: &[i64]) {
        self.total = total.to_vec();
        self.sorter.set_total(total);
        for role in &mut self.roles {
            if let Some(sorter) = &mut role.frameworks {
                sorter.set_total(total);
            }
        }
    }

    pub(crate) fn set_weight(&mut self, id: RoleId, weight: f64) {
        self.roles[id].weight = weight;
        let name = self.roles[id].name.clone();
        self.sorter.update_weight(&name, weight);
    }

    /// Starts tracking `framework` (named `name`) under `role`.
    pub(crate) fn track(&mut self, role: RoleId, framework: usize, name: &str) {
        let seed = self.seed ^ (role as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let total = &self.total;
        let kind = self.framework_sorter;
        let entry = &mut self.roles[role];
        let sorter = entry.frameworks.get_or_insert_with(|| {
            let mut sorter = new_sorter(kind, false, seed);
            sorter.set_total(total);
            sorter
        });
        if sorter.contains(framework) {
            return;
        }
        sorter.add(framework, name);
        entry.tracked += 1;
        if entry.tracked == 1 {
            let name = entry.name.clone();
            self.sorter.add(role, &name);
        }
    }

    /// Stops tracking `framework` under `role` (it must hold nothing there).
    pub(crate) fn untrack(&mut self, role: RoleId, framework: usize) {
        self.deactivate(role, framework);
        let entry = &mut self.roles[role];
        let Some(sorter) = &mut entry.frameworks else {
            return;
        };
        if !sorter.contains(framework) {
            return;
        }
        sorter.remove(framework);
        entry.tracked -= 1;
        if entry.tracked == 0 {
            entry.frameworks = None;
            self.sorter.remove(role);
        }
    }

    pub(crate) fn activate(&mut self, role: RoleId, framework: usize) {
        let entry = &mut self.roles[role];
        if let Some(sorter) = &mut entry.frameworks
            && sorter.contains(framework)
            && !sorter.is_active(framework)
        {
            sorter.activate(framework);
            entry.active.set(framework as u32, true);
            if sorter.active_count() == 1 {
                self.sorter.activate(role);
            }
        }
    }

    pub(crate) fn deactivate(&mut self, role: RoleId, framework: usize) {
        let entry = &mut self.roles[role];
        if let Some(sorter) = &mut entry.frameworks
            && sorter.is_active(framework)
        {
            sorter.deactivate(framework);
            entry.active.set(framework as u32, false);
            if sorter.active_count() == 0 {
                self.sorter.deactivate(role);
            }
        }
    }

    /// `framework` was handed `scalars` in `role`.
    pub(crate) fn allocated(&mut self, role: RoleId, framework: usize, scalars: &Qty) {
        if let Some(sorter) = &mut self.roles[role].frameworks {
            sorter.allocated(framework, scalars.as_slice());
        }
        self.sorter.allocated(role, scalars.as_slice());
    }

    /// `framework` gave back `scalars` in `role`.
    pub(crate) fn unallocated(&mut self, role: RoleId, framework: usize, scalars: &Qty) {
        if let Some(sorter) = &mut self.roles[role].frameworks {
            sorter.unallocated(framework, scalars.as_slice());
        }
        self.sorter.unallocated(role, scalars.as_slice());
    }

    /// Counts `headroom` scalars against `role` and its ancestors' quota.
    pub(crate) fn consume(&mut self, role: RoleId, headroom: &Qty, add: bool) {
        if headroom.is_zero() {
            return;
        }
        let mut next = Some(role);
        while let Some(r) = next {
            let entry = &mut self.roles[r];
            if add {
                entry.consumed_unreserved.add(headroom);
            } else {
                entry.consumed_unreserved.sub(headroom);
            }
            next = entry.parent;
        }
    }

    /// Counts (or stops counting) the scalar reservations in `bag`.
    pub(crate) fn reservations(&mut self, names: &mut Names, bag: &Resources, add: bool) {
        for resource in bag.iter() {
            let Some(owner) = resource.reservation_role() else {
                continue;
            };
            let mesos_resources::ResourceValue::Scalar(value) = resource.value else {
                continue;
            };
            let mut amount = Qty::default();
            amount.add_at(names.id(&resource.name), value.millis());
            let owner = self.intern(owner);
            let mut next = Some(owner);
            while let Some(r) = next {
                let entry = &mut self.roles[r];
                if add {
                    entry.reserved.add(&amount);
                } else {
                    entry.reserved.sub(&amount);
                }
                next = entry.parent;
            }
        }
    }

    /// What `role` may still take of each limited name: its own limits
    /// and those of its ancestors (whose consumption counts sub-roles).
    pub(crate) fn limit_headroom(&self, role: RoleId) -> Option<Vec<(NameId, i64)>> {
        let mut merged: Option<Vec<(NameId, i64)>> = None;
        for r in self.lineage(role) {
            let Some(own) = self.roles[r].own_limit_headroom() else {
                continue;
            };
            let merged = merged.get_or_insert_with(Vec::new);
            for (id, left) in own {
                match merged.iter_mut().find(|(m, _)| *m == id) {
                    Some((_, current)) => *current = (*current).min(left),
                    None => merged.push((id, left)),
                }
            }
        }
        merged
    }

    /// Names of which `role` may take more, as a mask.
    pub(crate) fn takes_mask(&self, role: RoleId) -> u64 {
        match self.limit_headroom(role) {
            None => u64::MAX,
            Some(headroom) => {
                let limited = headroom.iter().fold(0, |m, &(id, _)| m | name_bit(id));
                let open = headroom.iter().filter(|&&(_, left)| left > 0).fold(0, |m, &(id, _)| m | name_bit(id));
                // Bit 63 is shared by many names: keep it when in doubt.
                (!limited | open) | name_bit(63)
            }
        }
    }

    /// Roles with guarantees not met yet, and the headroom those need.
    pub(crate) fn required_headroom(&self) -> Qty {
        let mut required = Qty::default();
        for role in &self.roles {
            if role.parent.is_none() {
                required.add(&role.unsatisfied());
            }
        }
        required
    }

    /// The role sorter's share of `role`.
    pub(crate) fn share(&self, role: RoleId) -> f64 {
        self.sorter.share(role)
    }
}
