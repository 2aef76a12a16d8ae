//! Resource names interned to small indices, and quantity vectors over them.
//!
//! The allocator's arithmetic (shares, quota, headroom, minimum offer sizes)
//! works on quantities, not on resource bags: a [`Qty`] is a vector of
//! thousandths indexed by a [`NameId`], so adding two of them is a loop over a
//! handful of integers and never allocates once the vector has its length.

use mesos_resources::{Resource, ResourceValue, Resources};

use crate::api::Quantities;
use rustc_hash::FxHashMap;

/// Index of a resource name in [`Names`].
pub(crate) type NameId = usize;

/// The resource names seen so far, each with a dense index.
#[derive(Debug, Default)]
pub(crate) struct Names {
    ids: FxHashMap<String, NameId>,
    names: Vec<String>,
    /// Whether each name was seen as a scalar, when seen at all.
    kinds: Vec<Option<bool>>,
}

impl Names {
    /// The index of `name`, interning it if new.
    pub(crate) fn id(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len();
        self.names.push(name.to_owned());
        self.kinds.push(None);
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// Whether `id` names a scalar resource (unknown names are not).
    pub(crate) fn is_scalar(&self, id: NameId) -> bool {
        self.kinds.get(id).copied().flatten().unwrap_or(false)
    }

    pub(crate) fn get(&self, name: &str) -> Option<NameId> {
        self.ids.get(name).copied()
    }

    /// The quantities of the scalar resources of `bag` kept by `keep`.
    pub(crate) fn scalars(&mut self, bag: &Resources, keep: impl Fn(&Resource) -> bool) -> Qty {
        let mut qty = Qty::default();
        for resource in bag.iter() {
            if let ResourceValue::Scalar(amount) = resource.value
                && keep(resource)
            {
                qty.add_at(self.id(&resource.name), amount.millis());
            }
        }
        qty
    }

    /// Every scalar of `bag`: what fair sharing counts.
    pub(crate) fn all_scalars(&mut self, bag: &Resources) -> Qty {
        self.scalars(bag, |_| true)
    }

    /// Unreserved, non-revocable scalars: what quota headroom counts.
    pub(crate) fn headroom_scalars(&mut self, bag: &Resources) -> Qty {
        self.scalars(bag, |r| r.is_unreserved() && !r.revocable)
    }

    /// Amounts as minimum offer sizes count them: scalars by value, ranges
    /// and sets by their number of elements (in thousandths).
    pub(crate) fn counts(&mut self, bag: &Resources) -> Qty {
        let mut qty = Qty::default();
        for resource in bag.iter() {
            let id = self.id(&resource.name);
            self.kinds[id] = Some(matches!(resource.value, ResourceValue::Scalar(_)));
            qty.add_at(id, count_millis(resource));
        }
        qty
    }

    /// `quantities` keyed by name index.
    pub(crate) fn compile(&mut self, quantities: &Quantities) -> Vec<(NameId, i64)> {
        quantities.iter().map(|(name, amount)| (self.id(name), amount.millis())).collect()
    }

    /// Back to names, dropping zeros.
    pub(crate) fn to_quantities(&self, qty: &Qty) -> Quantities {
        qty.nonzero()
            .map(|(id, amount)| (self.names[id].clone(), mesos_resources::Scalar::from_millis(amount)))
            .collect()
    }
}

/// How much of a resource an entry holds, for minimum offer sizes.
pub(crate) fn count_millis(resource: &Resource) -> i64 {
    match &resource.value {
        ResourceValue::Scalar(amount) => amount.millis(),
        ResourceValue::Ranges(ranges) => {
            let values: u64 = ranges.pairs().iter().map(|&(begin, end)| end - begin + 1).sum();
            i64::try_from(values).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
        }
        ResourceValue::Set(set) => i64::try_from(set.items().count()).unwrap_or(i64::MAX / 1000).saturating_mul(1000),
    }
}

/// Quantities in thousandths, indexed by [`NameId`]; missing entries are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Qty(Vec<i64>);

impl Qty {
    pub(crate) fn get(&self, id: NameId) -> i64 {
        self.0.get(id).copied().unwrap_or(0)
    }

    pub(crate) fn as_slice(&self) -> &[i64] {
        &self.0
    }

    pub(crate) fn add_at(&mut self, id: NameId, amount: i64) {
        if self.0.len() <= id {
            self.0.resize(id + 1, 0);
        }
        self.0[id] += amount;
    }

    pub(crate) fn set(&mut self, id: NameId, amount: i64) {
        if self.0.len() <= id {
            self.0.resize(id + 1, 0);
        }
        self.0[id] = amount;
    }

    pub(crate) fn add(&mut self, other: &Qty) {
        add_slice(&mut self.0, &other.0);
    }

    /// Subtracts `other`; entries may go negative (callers keep them balanced).
    pub(crate) fn sub(&mut self, other: &Qty) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine -= theirs;
        }
    }

    /// `self - other` per entry, stopping at zero.
    pub(crate) fn saturating_minus(&self, other: &Qty) -> Qty {
        Qty(self.0.iter().enumerate().map(|(id, &mine)| (mine - other.get(id)).max(0)).collect())
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.iter().all(|&amount| amount == 0)
    }

    /// Whether `self >= other` for every entry.
    pub(crate) fn contains(&self, other: &Qty) -> bool {
        other.0.iter().enumerate().all(|(id, &theirs)| self.get(id) >= theirs)
    }

    pub(crate) fn nonzero(&self) -> impl Iterator<Item = (NameId, i64)> + '_ {
        self.0.iter().enumerate().filter(|&(_, &amount)| amount != 0).map(|(id, &amount)| (id, amount))
    }

    /// Bit `id` (or bit 63 for `id >= 63`) set for each positive entry.
    pub(crate) fn positive_mask(&self) -> u64 {
        self.0.iter().enumerate().filter(|&(_, &amount)| amount > 0).fold(0, |mask, (id, _)| mask | name_bit(id))
    }
}

/// The bit standing for a name in name masks; names past 62 share bit 63.
pub(crate) fn name_bit(id: NameId) -> u64 {
    1u64 << id.min(63)
}

/// `dst += src`, growing `dst` as needed.
pub(crate) fn add_slice(dst: &mut Vec<i64>, src: &[i64]) {
    if dst.len() < src.len() {
        dst.resize(src.len(), 0);
    }
    for (mine, theirs) in dst.iter_mut().zip(src) {
        *mine += theirs;
    }
}

/// `dst -= src`, growing `dst` as needed.
pub(crate) fn sub_slice(dst: &mut Vec<i64>, src: &[i64]) {
    if dst.len() < src.len() {
        dst.resize(src.len(), 0);
    }
    for (mine, theirs) in dst.iter_mut().zip(src) {
        *mine -= theirs;
    }
}

/// One or more alternative minimum offer sizes (`cpus:0.01|mem:32`): an offer
/// is big enough when it holds at least one of the sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MinAllocatable {
    sets: Vec<Vec<(NameId, i64)>>,
}

impl MinAllocatable {
    pub(crate) fn compile(names: &mut Names, sets: &[Quantities]) -> MinAllocatable {
        MinAllocatable { sets: sets.iter().map(|set| names.compile(set)).collect() }
    }

    /// Whether an offer with these amounts (see [`Names::counts`]) is big
    /// enough. No sets at all means any non-empty offer is.
    pub(crate) fn satisfied_by(&self, counts: &Qty) -> bool {
        self.sets.is_empty() || self.sets.iter().any(|set| set.iter().all(|&(id, amount)| counts.get(id) >= amount))
    }

    /// Whether some set can be met without any scalar resource, i.e. an offer
    /// of only ports (or other non-scalars) may be big enough.
    pub(crate) fn met_without(&self, scalar_names: impl Fn(NameId) -> bool) -> bool {
        self.sets.is_empty()
            || self.sets.iter().any(|set| set.iter().all(|&(id, amount)| amount <= 0 || !scalar_names(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_resources::{Scalar, parse};

    #[test]
    fn quantities_of_a_bag() {
        let mut names = Names::default();
        let bag = parse::resources("cpus:2;mem:64;cpus(web):1;ports:[1-10]", "*").unwrap();
        let all = names.all_scalars(&bag);
        let cpus = names.id("cpus");
        let mem = names.id("mem");
        let ports = names.id("ports");
        assert_eq!(all.get(cpus), 3000);
        assert_eq!(all.get(mem), 64000);
        assert_eq!(names.headroom_scalars(&bag).get(cpus), 2000);
        assert_eq!(names.counts(&bag).get(ports), 10_000);
    }

    #[test]
    fn minimum_offer_sizes() {
        let mut names = Names::default();
        let sets = [
            Quantities::from([("cpus".to_owned(), Scalar::from_millis(10))]),
            Quantities::from([("mem".to_owned(), Scalar::from_units(32))]),
        ];
        let min = MinAllocatable::compile(&mut names, &sets);
        let small = names.counts(&parse::resources("cpus:0.001;mem:16", "*").unwrap());
        let enough = names.counts(&parse::resources("mem:32", "*").unwrap());
        assert!(!min.satisfied_by(&small));
        assert!(min.satisfied_by(&enough));
        assert!(MinAllocatable::default().satisfied_by(&small));
        assert!(!min.met_without(|_| true));
    }
}
