//! Offer filters: "do not offer me these resources on this agent in this
//! role again for N seconds" (DECLINE with `refuse_seconds`).
//!
//! As in Apache Mesos, a filter applies when the resources about to be
//! offered are contained in the refused ones, and it lasts until it expires
//! or the framework revives. To keep filtered (framework, agent) pairs cheap
//! in an allocation cycle, the filters of an agent are grouped by (role,
//! refused resources): frameworks that refused the same thing share a group,
//! a bit set tells membership, and the group caches whether its refused
//! resources cover *everything* available on the agent (valid until the
//! agent's available resources grow, see `Agent::epoch`). When they do, a
//! member is filtered whatever it would be offered: one bit test, no bag
//! arithmetic. Expiry is driven by a heap of per-group deadlines.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use mesos_resources::Resources;

use crate::bits::Bits;
use crate::roles::RoleId;

/// The longest a filter may last (Mesos caps `refuse_seconds` at 365 days).
pub const MAX_REFUSE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

#[derive(Debug)]
struct Group {
    uid: u64,
    role: RoleId,
    refused: Resources,
    /// Members and, at the same index, when their filter expires.
    frameworks: Vec<u32>,
    expiries: Vec<Duration>,
    bits: Bits,
    earliest: Duration,
    /// `(agent epoch, refused ⊇ available)` when last computed.
    covers: Option<(u64, bool)>,
}

impl Group {
    fn covers(&mut self, available: &Resources, epoch: u64) -> bool {
        match self.covers {
            Some((at, covers)) if at == epoch => covers,
            _ => {
                let covers = self.refused.contains(available);
                self.covers = Some((epoch, covers));
                covers
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.frameworks.is_empty()
    }

    /// Keeps the members `keep` accepts; returns how many went.
    fn retain(&mut self, mut keep: impl FnMut(u32, Duration) -> bool) -> usize {
        let before = self.frameworks.len();
        let mut index = 0;
        while index < self.frameworks.len() {
            let framework = self.frameworks[index];
            if keep(framework, self.expiries[index]) {
                index += 1;
            } else {
                self.frameworks.swap_remove(index);
                self.expiries.swap_remove(index);
                self.bits.set(framework, false);
            }
        }
        self.earliest = self.expiries.iter().copied().min().unwrap_or(Duration::MAX);
        before - self.frameworks.len()
    }
}

/// Every offer filter, by agent.
#[derive(Debug, Default)]
pub(crate) struct OfferFilters {
    agents: Vec<Vec<Group>>,
    deadlines: BinaryHeap<Reverse<(Duration, u32, u64)>>,
    next_uid: u64,
    /// Live filters per framework index.
    per_framework: Vec<u32>,
}

impl OfferFilters {
    /// Number of live filters.
    pub(crate) fn count(&self) -> usize {
        self.per_framework.iter().map(|&n| n as usize).sum()
    }

    pub(crate) fn count_for(&self, framework: u32) -> u32 {
        self.per_framework.get(framework as usize).copied().unwrap_or(0)
    }

    fn counted(&mut self, framework: u32, delta: i64) {
        let index = framework as usize;
        if self.per_framework.len() <= index {
            self.per_framework.resize(index + 1, 0);
        }
        let count = &mut self.per_framework[index];
        *count = u32::try_from(i64::from(*count) + delta).unwrap_or(0);
    }

    /// `framework` refuses `refused` on `agent` in `role` until `expiry`.
    /// `available` and `epoch` are the agent's current ones.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        agent: u32,
        framework: u32,
        role: RoleId,
        refused: Resources,
        expiry: Duration,
        available: &Resources,
        epoch: u64,
    ) {
        if self.agents.len() <= agent as usize {
            self.agents.resize_with(agent as usize + 1, Vec::new);
        }
        let groups = &mut self.agents[agent as usize];
        let found =
            groups.iter().position(|g| g.role == role && g.refused.contains(&refused) && refused.contains(&g.refused));
        let index = match found {
            Some(index) => index,
            None => {
                self.next_uid += 1;
                groups.push(Group {
                    uid: self.next_uid,
                    role,
                    refused,
                    frameworks: Vec::new(),
                    expiries: Vec::new(),
                    bits: Bits::default(),
                    earliest: Duration::MAX,
                    covers: None,
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        let fresh = !group.bits.has(framework);
        if fresh {
            group.frameworks.push(framework);
            group.expiries.push(expiry);
            group.bits.set(framework, true);
        } else if let Some(at) = group.frameworks.iter().position(|&f| f == framework) {
            group.expiries[at] = group.expiries[at].max(expiry);
        }
        group.covers(available, epoch);
        if expiry < group.earliest {
            group.earliest = expiry;
            self.deadlines.push(Reverse((expiry, agent, group.uid)));
        }
        if fresh {
            self.counted(framework, 1);
        }
    }

    /// Drops the filters that expired by `now`.
    pub(crate) fn expire(&mut self, now: Duration) {
        while let Some(&Reverse((deadline, agent, uid))) = self.deadlines.peek() {
            if deadline > now {
                break;
            }
            self.deadlines.pop();
            let Some(groups) = self.agents.get_mut(agent as usize) else {
                continue;
            };
            let Some(index) = groups.iter().position(|g| g.uid == uid) else {
                continue;
            };
            let group = &mut groups[index];
            if group.earliest != deadline {
                continue;
            }
            let mut expired = Vec::new();
            group.retain(|framework, expiry| {
                let keep = expiry > now;
                if !keep {
                    expired.push(framework);
                }
                keep
            });
            if group.is_empty() {
                groups.swap_remove(index);
            } else {
                let next = group.earliest;
                self.deadlines.push(Reverse((next, agent, uid)));
            }
            for framework in expired {
                self.counted(framework, -1);
            }
        }
    }

    /// Drops `framework`'s filters in the roles `matching` accepts.
    pub(crate) fn clear_framework(&mut self, framework: u32, matching: impl Fn(RoleId) -> bool) {
        if self.count_for(framework) == 0 {
            return;
        }
        let mut removed = 0;
        for groups in &mut self.agents {
            groups.retain_mut(|group| {
                if matching(group.role) && group.bits.has(framework) {
                    removed += group.retain(|f, _| f != framework);
                }
                !group.is_empty()
            });
        }
        self.counted(framework, -(removed as i64));
    }

    /// Drops every filter on `agent`.
    pub(crate) fn clear_agent(&mut self, agent: u32) {
        let Some(groups) = self.agents.get_mut(agent as usize) else {
            return;
        };
        let groups = std::mem::take(groups);
        for group in groups {
            for framework in group.frameworks {
                self.counted(framework, -1);
            }
        }
    }

    /// Adds to `covered` the frameworks filtered on `agent` in `role`
    /// whatever they would be offered, and to `maybe` those with a filter
    /// there that only a look at the offer can settle (see
    /// [`OfferFilters::refuses`]). False when no filter on `agent` concerns
    /// `role` at all.
    pub(crate) fn covered(
        &mut self,
        agent: u32,
        role: RoleId,
        available: &Resources,
        epoch: u64,
        covered: &mut Bits,
        maybe: &mut Bits,
    ) -> bool {
        let Some(groups) = self.agents.get_mut(agent as usize) else {
            return false;
        };
        let mut any = false;
        for group in groups.iter_mut().filter(|g| g.role == role) {
            any = true;
            if group.covers(available, epoch) {
                covered.or(&group.bits);
            } else {
                maybe.or(&group.bits);
            }
        }
        any
    }

    /// Whether `framework` refuses `offer` (unallocated) on `agent` in `role`.
    pub(crate) fn refuses(&self, agent: u32, framework: u32, role: RoleId, offer: &Resources) -> bool {
        self.agents.get(agent as usize).is_some_and(|groups| {
            groups.iter().any(|g| g.role == role && g.bits.has(framework) && g.refused.contains(offer))
        })
    }

    /// Whether `agent` has any filter at all.
    #[cfg(test)]
    pub(crate) fn any_on(&self, agent: u32) -> bool {
        self.agents.get(agent as usize).is_some_and(|groups| !groups.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_resources::parse;

    fn bag(text: &str) -> Resources {
        parse::resources(text, "*").unwrap()
    }

    #[test]
    fn filters_group_cover_and_expire() {
        let mut filters = OfferFilters::default();
        let available = bag("cpus:8;mem:1024");
        let secs = Duration::from_secs;
        filters.add(3, 1, 0, available.clone(), secs(10), &available, 1);
        filters.add(3, 2, 0, available.clone(), secs(20), &available, 1);
        let look = |filters: &mut OfferFilters, role, available: &Resources, epoch| {
            let (mut covered, mut maybe) = (Bits::default(), Bits::default());
            let any = filters.covered(3, role, available, epoch, &mut covered, &mut maybe);
            (any, covered.has(1), maybe.has(1), covered.has(5) || maybe.has(5))
        };
        assert_eq!(look(&mut filters, 0, &available, 1), (true, true, false, false));
        assert_eq!(look(&mut filters, 1, &available, 1), (false, false, false, false));
        // The agent's available resources grew: only a check can tell.
        let grown = bag("cpus:9;mem:1024");
        assert_eq!(look(&mut filters, 0, &grown, 2), (true, false, true, false));
        assert!(filters.refuses(3, 1, 0, &bag("cpus:8")));
        assert!(!filters.refuses(3, 1, 0, &grown));
        filters.expire(secs(10));
        assert_eq!(look(&mut filters, 0, &available, 2), (true, false, false, false));
        assert_eq!(filters.count(), 1);
        filters.clear_framework(2, |_| true);
        assert_eq!(filters.count(), 0);
        assert!(!filters.any_on(3));
    }
}
