//! Property tests over random sequences of events: agents added and
//! removed, frameworks subscribing, accepting parts of offers, declining
//! with filters, suppressing and reviving, reservations and quota changes.
//! After every step the invariants of the allocator are checked.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mesos_resources::{Reservation, Resource, Resources, Scalar, role};
use proptest::prelude::*;

use super::{Harness, agent, fw, res, spec};
use crate::{Allocation, Quantities, Quota};

const AGENTS: [&str; 4] =
    ["cpus:4;mem:256;ports:[1-10]", "cpus:2;mem:512;cpus(ra):2", "cpus:8;mem:128;disk:100;mem(rb):64", "cpus:1;mem:64"];
const ROLES: [&str; 4] = ["ra", "rb", "rc", "ra/x"];

#[derive(Debug, Clone)]
enum Event {
    AddAgent(usize, usize),
    RemoveAgent(usize),
    ToggleAgent(usize),
    AddFramework(usize, Vec<usize>),
    RemoveFramework(usize),
    ToggleFramework(usize),
    Suppress(usize, usize),
    Revive(usize),
    Quota(usize, i64, i64),
    Weight(usize, u8),
    Reserve(usize),
    /// A cycle after `seconds`, then each offer is kept, declined (with a
    /// filter of some seconds, or none) or partly kept.
    Cycle(u8, Vec<u8>),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => (0..6usize, 0..AGENTS.len()).prop_map(|(i, k)| Event::AddAgent(i, k)),
        1 => (0..6usize).prop_map(Event::RemoveAgent),
        1 => (0..6usize).prop_map(Event::ToggleAgent),
        3 => (0..5usize, prop::collection::vec(0..ROLES.len(), 1..3))
            .prop_map(|(j, r)| Event::AddFramework(j, r)),
        1 => (0..5usize).prop_map(Event::RemoveFramework),
        1 => (0..5usize).prop_map(Event::ToggleFramework),
        1 => (0..5usize, 0..ROLES.len()).prop_map(|(j, r)| Event::Suppress(j, r)),
        1 => (0..5usize).prop_map(Event::Revive),
        1 => (0..3usize, 0..6i64, 0..8i64).prop_map(|(r, g, extra)| Event::Quota(r, g, extra)),
        1 => (0..3usize, 1..4u8).prop_map(|(r, w)| Event::Weight(r, w)),
        1 => (0..6usize).prop_map(Event::Reserve),
        6 => (0..4u8, prop::collection::vec(0..7u8, 0..12)).prop_map(|(s, d)| Event::Cycle(s, d)),
    ]
}

/// What the test knows of a framework.
#[derive(Debug, Clone)]
struct Subscriber {
    roles: Vec<String>,
    suppressed: BTreeSet<String>,
    active: bool,
}

/// A refusal: (framework, agent, role) -> (refused resources, until).
type Refusals = Vec<((usize, String, String), Resources, Duration)>;

#[derive(Default)]
struct Model {
    agents: BTreeMap<usize, bool>,
    frameworks: BTreeMap<usize, Subscriber>,
    refusals: Refusals,
}

impl Model {
    fn forget(&mut self, keep: impl Fn(usize, &str, &str) -> bool) {
        self.refusals.retain(|((j, a, r), _, _)| keep(*j, a, r));
    }
}

fn agent_name(i: usize) -> String {
    format!("agent{i}")
}

fn fw_name(j: usize) -> String {
    format!("fw{j}")
}

/// Mutual containment: the same resources whatever the entry order.
fn same(a: &Resources, b: &Resources) -> bool {
    a.contains(b) && b.contains(a)
}

fn quantity(text: &str, amount: i64) -> Quantities {
    if amount == 0 {
        return Quantities::new();
    }
    Quantities::from([(text.to_owned(), Scalar::from_units(amount))])
}

/// Everything held on each agent, from the frameworks' side.
fn held_by_agent(h: &Harness, model: &Model) -> BTreeMap<String, Resources> {
    let mut held: BTreeMap<String, Resources> = BTreeMap::new();
    for &j in model.frameworks.keys() {
        for (a, resources) in h.allocator.allocated_to(&fw(&fw_name(j))) {
            held.entry(a.value).or_default().add(&resources.unallocated());
        }
    }
    held
}

fn check_conservation(h: &Harness, model: &Model) -> Result<(), TestCaseError> {
    let held = held_by_agent(h, model);
    for &i in model.agents.keys() {
        let name = agent_name(i);
        let total = h.allocator.agent_total(&agent(&name)).unwrap();
        let available = h.allocator.available(&agent(&name)).unwrap();
        let held = held.get(&name).cloned().unwrap_or_default();
        prop_assert!(
            same(&total, &available.plus(&held)),
            "{name}: total {total} != available {available} + held {held}"
        );
    }
    Ok(())
}

fn check_offers(
    now: Duration,
    model: &Model,
    before: &BTreeMap<String, Resources>,
    offers: &[Allocation],
) -> Result<(), TestCaseError> {
    let mut offered: BTreeMap<String, Resources> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    for offer in offers {
        // One offer per (framework, agent, role).
        prop_assert!(keys.insert((offer.framework.value.clone(), offer.agent.value.clone(), offer.role.clone())));
        prop_assert!(!offer.resources.is_empty());
        let j: usize = offer.framework.value[2..].parse().unwrap();
        let subscriber = &model.frameworks[&j];
        prop_assert!(subscriber.active);
        prop_assert!(subscriber.roles.contains(&offer.role));
        prop_assert!(!subscriber.suppressed.contains(&offer.role));
        let i: usize = offer.agent.value[5..].parse().unwrap();
        prop_assert!(model.agents[&i], "offer from an inactive agent");
        let key = (j, offer.agent.value.clone(), offer.role.clone());
        let unallocated = offer.resources.unallocated();
        for (refused_key, refused, until) in &model.refusals {
            prop_assert!(
                !(*refused_key == key && *until > now && refused.contains(&unallocated)),
                "{} offered {} on {} in {} despite refusing {}",
                offer.framework.value,
                unallocated,
                offer.agent.value,
                offer.role,
                refused
            );
        }
        for resource in offer.resources.iter() {
            prop_assert_eq!(resource.allocation_role.as_deref(), Some(offer.role.as_str()));
            if let Some(owner) = resource.reservation_role() {
                prop_assert!(offer.role == owner || role::is_strict_subrole(&offer.role, owner));
            }
        }
        offered.entry(offer.agent.value.clone()).or_default().add(&offer.resources.unallocated());
    }
    // Nothing offered twice: the offers on an agent fit in what was available.
    for (name, resources) in &offered {
        prop_assert!(before[name].contains(resources), "{name}: offered {resources}");
    }
    Ok(())
}

fn consumed(h: &Harness, role: &str, name: &str) -> i64 {
    h.allocator.quota_consumed(role).and_then(|q| q.get(name).copied()).unwrap_or_default().millis()
}

fn check_quota(
    h: &Harness,
    model: &Model,
    quotas: &BTreeMap<String, Quota>,
    consumed_before: &BTreeMap<String, i64>,
) -> Result<(), TestCaseError> {
    for (role_name, quota) in quotas {
        let now = consumed(h, role_name, "cpus");
        if let Some(limit) = quota.limits.get("cpus") {
            // Offers never push consumption past the limit.
            prop_assert!(now <= limit.millis().max(consumed_before[role_name]));
        }
        let Some(guarantee) = quota.guarantees.get("cpus") else {
            continue;
        };
        let eager = model.frameworks.iter().any(|(j, s)| {
            s.active
                && s.roles.contains(role_name)
                && !s.suppressed.contains(role_name)
                && h.allocator.offer_filters(&fw(&fw_name(*j))) == 0
        });
        let filtered = model
            .frameworks
            .iter()
            .any(|(j, s)| s.roles.contains(role_name) && h.allocator.offer_filters(&fw(&fw_name(*j))) > 0);
        if !eager || filtered || now >= guarantee.millis() {
            continue;
        }
        // Unmet guarantee: no active agent may have unreserved cpus left.
        for (&i, &active) in &model.agents {
            if active {
                let available = h.allocator.available(&agent(&agent_name(i))).unwrap();
                prop_assert_eq!(
                    available.unreserved().cpus(),
                    Scalar::ZERO,
                    "{} short of {} but agent{} has cpus",
                    role_name,
                    guarantee,
                    i
                );
            }
        }
    }
    Ok(())
}

// One match arm per event kind, each checking its own property.
#[allow(clippy::too_many_lines)]
fn run(events: Vec<Event>) -> Result<(), TestCaseError> {
    let mut h = Harness::new();
    let mut model = Model::default();
    let mut quotas: BTreeMap<String, Quota> = BTreeMap::new();
    for event in events {
        match event {
            Event::AddAgent(i, kind) => {
                if let std::collections::btree_map::Entry::Vacant(e) = model.agents.entry(i) {
                    e.insert(true);
                    h.agent(&agent_name(i), AGENTS[kind]);
                }
            }
            Event::RemoveAgent(i) => {
                model.agents.remove(&i);
                let name = agent_name(i);
                model.forget(|_, a, _| a != name);
                h.allocator.remove_agent(&agent(&agent_name(i)));
            }
            Event::ToggleAgent(i) => {
                if let Some(active) = model.agents.get_mut(&i) {
                    *active = !*active;
                    if *active {
                        h.allocator.activate_agent(&agent(&agent_name(i)));
                    } else {
                        h.allocator.deactivate_agent(&agent(&agent_name(i)));
                    }
                }
            }
            Event::AddFramework(j, roles) => {
                let roles: Vec<&str> = roles.iter().map(|&r| ROLES[r]).collect();
                let subscriber = Subscriber {
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    suppressed: BTreeSet::new(),
                    active: true,
                };
                if model.frameworks.contains_key(&j) {
                    h.allocator.update_framework(&fw(&fw_name(j)), spec(&roles));
                    // Filters of roles left, or no longer suppressed, go.
                    let old = model.frameworks[&j].clone();
                    model.forget(|f, _, r| f != j || (roles.contains(&r) && !old.suppressed.contains(r)));
                    let active = model.frameworks[&j].active;
                    model.frameworks.insert(j, Subscriber { active, ..subscriber });
                } else {
                    h.framework(&fw_name(j), &roles);
                    model.frameworks.insert(j, subscriber);
                }
            }
            Event::RemoveFramework(j) => {
                model.frameworks.remove(&j);
                model.forget(|f, _, _| f != j);
                h.allocator.remove_framework(&fw(&fw_name(j)));
            }
            Event::ToggleFramework(j) => {
                if let Some(s) = model.frameworks.get_mut(&j) {
                    s.active = !s.active;
                    if s.active {
                        h.allocator.activate_framework(&fw(&fw_name(j)));
                    } else {
                        h.allocator.deactivate_framework(&fw(&fw_name(j)));
                        model.forget(|f, _, _| f != j);
                    }
                }
            }
            Event::Suppress(j, r) => {
                if let Some(s) = model.frameworks.get_mut(&j)
                    && s.roles.iter().any(|x| x == ROLES[r])
                {
                    s.suppressed.insert(ROLES[r].to_owned());
                    h.allocator.suppress_offers(&fw(&fw_name(j)), &[ROLES[r].to_owned()]);
                }
            }
            Event::Revive(j) => {
                if let Some(s) = model.frameworks.get_mut(&j) {
                    s.suppressed.clear();
                    h.allocator.revive_offers(&fw(&fw_name(j)), &[]);
                    model.forget(|f, _, _| f != j);
                }
            }
            Event::Quota(r, guarantee, extra) => {
                let quota = Quota {
                    guarantees: quantity("cpus", guarantee),
                    limits: quantity("cpus", if extra == 7 { 0 } else { guarantee + extra }),
                };
                h.allocator.update_quota(ROLES[r], quota.clone()).unwrap();
                quotas.insert(ROLES[r].to_owned(), quota);
            }
            Event::Weight(r, w) => {
                h.allocator.update_weights(&[(ROLES[r].to_owned(), f64::from(w))]);
            }
            Event::Reserve(i) => {
                let name = agent_name(i);
                if let Some(available) = h.allocator.available(&agent(&name)) {
                    let from = res("cpus:1");
                    let to: Resources = [Resource::scalar("cpus", 1.0).reserved(Reservation::new_dynamic("rc", None))]
                        .into_iter()
                        .collect();
                    let result = h.allocator.update_available(&agent(&name), &from, &to);
                    prop_assert_eq!(result.is_ok(), available.contains(&from));
                }
            }
            Event::Cycle(seconds, decisions) => {
                h.advance(f64::from(seconds));
                let before: BTreeMap<String, Resources> = model
                    .agents
                    .keys()
                    .map(|&i| {
                        let name = agent_name(i);
                        let available = h.allocator.available(&agent(&name)).unwrap();
                        (name, available)
                    })
                    .collect();
                let consumed_before: BTreeMap<String, i64> =
                    quotas.keys().map(|r| (r.clone(), consumed(&h, r, "cpus"))).collect();
                let offers = h.cycle();
                check_offers(h.now, &model, &before, &offers)?;
                check_quota(&h, &model, &quotas, &consumed_before)?;
                for (k, offer) in offers.iter().enumerate() {
                    let j: usize = offer.framework.value[2..].parse().unwrap();
                    let key = (j, offer.agent.value.clone(), offer.role.clone());
                    let decision = decisions.get(k).copied().unwrap_or(0);
                    let refuse = match decision {
                        2 => Some((offer.resources.unallocated(), 2)),
                        3 => Some((offer.resources.unallocated(), 1000)),
                        4 => Some((offer.resources.filter(|r| r.name != "cpus").unallocated(), 1)),
                        _ => None,
                    };
                    if let Some((refused, seconds)) = refuse {
                        let until = h.now + Duration::from_secs(seconds);
                        model.refusals.push((key, refused, until));
                    }
                    match decision {
                        0 => {} // keep it all
                        1 => h.decline(offer, None),
                        2 => h.decline(offer, Some(2.0)),
                        3 => h.decline(offer, Some(1000.0)),
                        4 => {
                            // Keep the cpus, give back the rest.
                            let rest = offer.resources.filter(|r| r.name != "cpus");
                            h.allocator.recover_resources(
                                &offer.framework,
                                &offer.agent,
                                &rest,
                                Some(Duration::from_secs(1)),
                                h.now,
                            );
                        }
                        6 => {
                            // RESERVE one unreserved cpu of the offer for its role.
                            let from = res("cpus:1").allocated_to(&offer.role);
                            let to: Resources = [Resource::scalar("cpus", 1.0)
                                .reserved(Reservation::new_dynamic(offer.role.as_str(), None))]
                            .into_iter()
                            .collect::<Resources>()
                            .allocated_to(&offer.role);
                            let possible = offer.role != "*" && offer.resources.contains(&from);
                            let result = h.allocator.update_allocation(&offer.framework, &offer.agent, &from, &to);
                            if possible {
                                prop_assert!(result.is_ok(), "{result:?}");
                            }
                        }
                        _ => {
                            let part = offer.resources.filter(|r| r.name == "cpus");
                            h.allocator.recover_resources(&offer.framework, &offer.agent, &part, None, h.now);
                        }
                    }
                }
            }
        }
        check_conservation(&h, &model)?;
    }
    Ok(())
}

/// Frameworks of one role on plain agents: at each agent, the framework
/// offered has the lowest dominant share among those that could take it.
fn run_drf(agents: Vec<u8>, frameworks: usize, rounds: Vec<Vec<u8>>) -> Result<(), TestCaseError> {
    let mut h = Harness::new();
    let mut total_cpus = 0i64;
    let mut total_mem = 0i64;
    for (i, size) in agents.iter().enumerate() {
        let (cpus, mem) = (i64::from(*size % 4) + 1, 64 * (i64::from(*size / 4) + 1));
        total_cpus += cpus * 1000;
        total_mem += mem * 1000;
        h.agent(&agent_name(i), &format!("cpus:{cpus};mem:{mem}"));
    }
    for j in 0..frameworks {
        h.framework(&fw_name(j), &["*"]);
    }
    let share = |r: &Resources| {
        let cpus = r.cpus().millis() as f64 / total_cpus as f64;
        let mem = r.mem().millis() as f64 / total_mem as f64;
        cpus.max(mem)
    };
    let mut refused: BTreeSet<(String, String)> = BTreeSet::new();
    // Whole agents refused for 1000 s: never offered to them again here.
    let mut refused_long: BTreeSet<(String, String)> = BTreeSet::new();
    for decisions in rounds {
        h.advance(1.0);
        let mut holdings: BTreeMap<String, Resources> = (0..frameworks)
            .map(|j| {
                let mut held = Resources::new();
                for (_, r) in h.allocator.allocated_to(&fw(&fw_name(j))) {
                    held.add(&r.unallocated());
                }
                (fw_name(j), held)
            })
            .collect();
        let offers = h.cycle();
        for offer in &offers {
            let pair = (offer.framework.value.clone(), offer.agent.value.clone());
            prop_assert!(!refused_long.contains(&pair), "{pair:?} offered despite refusing it");
            let me = share(&holdings[&offer.framework.value]);
            for (other, held) in &holdings {
                let could = !refused.contains(&(other.clone(), offer.agent.value.clone()));
                if could && *other != offer.framework.value {
                    prop_assert!(
                        me <= share(held) + 1e-12,
                        "{} ({me}) offered {} before {other} ({})",
                        offer.framework.value,
                        offer.agent.value,
                        share(held)
                    );
                }
            }
            holdings.get_mut(&offer.framework.value).unwrap().add(&offer.resources.unallocated());
        }
        for (k, offer) in offers.iter().enumerate() {
            match decisions.get(k).copied().unwrap_or(0) % 4 {
                0 => {}
                1 => h.decline(offer, None),
                refuse => {
                    let pair = (offer.framework.value.clone(), offer.agent.value.clone());
                    refused.insert(pair.clone());
                    if refuse == 3 {
                        refused_long.insert(pair);
                    }
                    h.decline(offer, Some(if refuse == 2 { 3.0 } else { 1000.0 }));
                }
            }
        }
    }
    Ok(())
}

/// 96 cases unless `PROPTEST_CASES` says otherwise.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_events(events in prop::collection::vec(event(), 1..60)) {
        run(events)?;
    }

    #[test]
    fn lower_dominant_share_is_offered_first(
        agents in prop::collection::vec(0..16u8, 1..8),
        frameworks in 1..24usize,
        rounds in prop::collection::vec(prop::collection::vec(0..4u8, 0..8), 1..24),
    ) {
        run_drf(agents, frameworks, rounds)?;
    }
}
