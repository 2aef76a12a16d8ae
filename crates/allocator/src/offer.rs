//! What one framework is offered on one agent in one role, in each stage of
//! a cycle: the agent's available resources that the role may use and the
//! framework is able to take, cut down to the role's quota limits and to the
//! headroom unmet guarantees need.
//!
//! Reservations, non-scalar resources (ports) and revocable resources are
//! never cut: they do not count toward quota headroom. Unreserved,
//! non-revocable scalars ("quota resources") are.

use mesos_resources::{Resource, ResourceValue, Resources};

use crate::api::FrameworkCapabilities;
use crate::quantities::{NameId, Names, Qty};
use crate::quota::{shrink_to, shrink_to_limits};

/// What limits and headroom let a role take in an offer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bounds {
    /// What the role may still take of each limited name.
    pub(crate) limits: Option<Vec<(NameId, i64)>>,
    /// The available headroom beyond what unmet guarantees need, when some
    /// guarantee is unmet.
    pub(crate) surplus: Option<Qty>,
}

impl Bounds {
    /// Whether quota resources of these amounts fit in full.
    pub(crate) fn fit(&self, amounts: &Qty) -> bool {
        amounts.nonzero().all(|(id, amount)| {
            let within_limit = self.limits.as_ref().is_none_or(|limits| {
                limits.iter().find(|(limited, _)| *limited == id).is_none_or(|&(_, left)| left >= amount)
            });
            within_limit && self.surplus.as_ref().is_none_or(|s| s.get(id) >= amount)
        })
    }

    /// Cuts quota resources down to the limits and the surplus.
    fn cut(&self, quota_resources: Resources, names: &mut Names) -> Resources {
        let mut kept = quota_resources;
        if let Some(limits) = &self.limits {
            kept = shrink_to_limits(&kept, names, limits);
        }
        if let Some(surplus) = &self.surplus
            && !kept.is_empty()
        {
            kept = shrink_to(&kept, names, surplus);
        }
        kept
    }
}

/// Whether a framework with `capabilities` can be offered `resource`.
pub(crate) fn capable(resource: &Resource, capabilities: FrameworkCapabilities) -> bool {
    (capabilities.shared_resources || !resource.shared)
        && (capabilities.revocable_resources || !resource.revocable)
        && (capabilities.reservation_refinement || resource.reservations.len() <= 1)
}

/// The part of `available` that a framework with `capabilities` in `role`
/// may be offered: unreserved, or reserved to the role or an ancestor.
pub(crate) fn allocatable(available: &Resources, role: &str, capabilities: FrameworkCapabilities) -> Resources {
    available.filter(|r| r.is_allocatable_to(role) && capable(r, capabilities))
}

fn is_scalar(resource: &Resource) -> bool {
    matches!(resource.value, ResourceValue::Scalar(_))
}

/// Unreserved, non-revocable scalars: what quota counts.
pub(crate) fn is_quota_resource(resource: &Resource) -> bool {
    is_scalar(resource) && resource.is_unreserved() && !resource.revocable
}

/// Second stage: everything allocatable, quota resources within `bounds`.
pub(crate) fn rest(allocatable: &Resources, bounds: &Bounds, names: &mut Names) -> Resources {
    let mut offer = allocatable.filter(|r| !is_quota_resource(r));
    let quota_resources = allocatable.filter(is_quota_resource);
    offer.add(&bounds.cut(quota_resources, names));
    offer
}

/// First stage: the quota resources that go toward `unsatisfied`
/// guarantees, plus the role's own reservations, non-scalars and revocable
/// resources, plus other quota resources within `bounds`. `None` when this
/// agent has nothing toward the guarantees. Returns the offer and the
/// amounts that count toward the guarantees.
pub(crate) fn guaranteed(
    allocatable: &Resources,
    role: &str,
    unsatisfied: &Qty,
    bounds: &Bounds,
    names: &mut Names,
) -> Option<(Resources, Qty)> {
    let quota_resources = allocatable.filter(is_quota_resource);
    let toward = shrink_to(&quota_resources, names, unsatisfied);
    if toward.is_empty() {
        return None;
    }
    let toward_amounts = names.headroom_scalars(&toward);
    let mut offer = allocatable.filter(|r| r.reservation_role() == Some(role) || !is_scalar(r) || r.revocable);
    offer.add(&toward);
    let others = quota_resources.minus(&toward);
    let bounds = Bounds {
        limits: bounds
            .limits
            .as_ref()
            .map(|limits| limits.iter().map(|&(id, left)| (id, (left - toward_amounts.get(id)).max(0))).collect()),
        surplus: bounds.surplus.clone(),
    };
    offer.add(&bounds.cut(others, names));
    Some((offer, toward_amounts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_resources::{Scalar, parse};

    #[test]
    fn second_stage_cuts_only_quota_resources() {
        let mut names = Names::default();
        let available = parse::resources("cpus:8;mem:1024;cpus(web):2;ports:[1-5]", "*").unwrap();
        let cpus = names.id("cpus");
        let bounds = Bounds { limits: Some(vec![(cpus, 3000)]), surplus: None };
        let offer = rest(&available, &bounds, &mut names);
        assert_eq!(offer.unreserved().cpus(), Scalar::from_units(3));
        assert_eq!(offer.reserved_to("web").cpus(), Scalar::from_units(2));
        assert_eq!(offer.mem(), Scalar::from_units(1024));
        assert!(!offer.ports().is_empty());
        let mut fits = Qty::default();
        fits.set(cpus, 3000);
        assert!(bounds.fit(&fits));
        fits.set(cpus, 3001);
        assert!(!bounds.fit(&fits));
    }

    #[test]
    fn first_stage_fills_guarantees_then_the_rest_within_limits() {
        let mut names = Names::default();
        let available = parse::resources("cpus:2;mem:2048;disk:2048", "*").unwrap();
        let cpus = names.id("cpus");
        let mem = names.id("mem");
        let mut unsatisfied = Qty::default();
        unsatisfied.set(cpus, 1000);
        unsatisfied.set(mem, 1_024_000);
        let bounds = Bounds { limits: Some(vec![(cpus, 1000), (mem, 1_024_000)]), surplus: None };
        let (offer, toward) = guaranteed(&available, "small", &unsatisfied, &bounds, &mut names).unwrap();
        assert_eq!(offer.cpus(), Scalar::from_units(1));
        assert_eq!(offer.mem(), Scalar::from_units(1024));
        assert_eq!(offer.disk(), Scalar::from_units(2048)); // no limit on disk
        assert_eq!(toward.get(cpus), 1000);
        let nothing = Qty::default();
        assert!(guaranteed(&available, "small", &nothing, &bounds, &mut names).is_none());
    }
}
