//! The classic allocation cases, as tables, with the expected shares
//! written beside them.

use mesos_resources::Scalar;

use super::{Harness, fw, pairs, recipients, res};
use crate::{AllocatorConfig, Quantities, Quota};

fn cpus(n: f64) -> Scalar {
    Scalar::from_f64(n)
}

fn quantities(text: &str) -> Quantities {
    res(text).scalar_quantities().into_iter().collect::<Quantities>()
}

/// Two frameworks already hold resources on a busy agent; one free agent is
/// offered to the one with the lower dominant share. Cluster: cpus 10, mem
/// 100 (busy agent cpus:9;mem:90, the rest of it held by a framework that is
/// not subscribed; free agent cpus:1;mem:10).
#[test]
fn lower_dominant_share_is_offered_first() {
    #[rustfmt::skip]
    let table: &[(&str, &str, &str)] = &[
        // a holds              b holds              winner
        ("cpus:1;mem:40",       "cpus:3;mem:10",     "b"), // a: mem 0.4       b: cpus 0.3
        ("cpus:1;mem:20",       "cpus:3;mem:10",     "a"), // a: mem 0.2       b: cpus 0.3
        ("cpus:3;mem:30",       "cpus:3;mem:10",     "a"), // a: 0.3 = b: 0.3, one allocation each: by name
        ("cpus:5;mem:10",       "cpus:1;mem:45",     "b"), // a: cpus 0.5      b: mem 0.45
        ("cpus:0.5;mem:1",      "cpus:0.5;mem:2",    "a"), // a: cpus 0.05     b: cpus 0.05 (mem 0.02): by name
    ];
    for (a, b, winner) in table {
        let mut h = Harness::new();
        h.framework("a", &["*"]);
        h.framework("b", &["*"]);
        let busy = res("cpus:9;mem:90");
        let rest = busy.minus(&res(a)).minus(&res(b));
        let used = [
            (fw("a"), res(a).allocated_to("*")),
            (fw("b"), res(b).allocated_to("*")),
            (fw("filler"), rest.allocated_to("other")),
        ];
        let spec = crate::AgentSpec { hostname: "busy".into(), total: busy };
        h.allocator.add_agent(&super::agent("busy"), spec, &used);
        h.agent("free", "cpus:1;mem:10");
        let offers = h.cycle();
        assert_eq!(offers.len(), 1, "{a} / {b}");
        assert_eq!(offers[0].agent.value, "free");
        assert_eq!(offers[0].framework.value, *winner, "{a} / {b}");
    }
}

/// Two frameworks with complementary demands: `a` runs memory-only tasks
/// and declines the cpus it is offered, `b` runs cpu-only tasks and declines
/// the memory (each refusing them for 2 s). Offers keep going to the lower
/// share until each holds everything of its dominant resource: both
/// dominant shares end at 1.0.
#[test]
fn complementary_demands_share_the_cluster() {
    let mut h = Harness::new();
    h.framework("a", &["*"]);
    h.framework("b", &["*"]);
    for i in 0..4 {
        h.agent(&format!("agent{i}"), "cpus:2;mem:64");
    }
    for _ in 0..10 {
        let offers = h.cycle();
        for offer in offers {
            // Keep the resource we run tasks on; give back the other.
            let unwanted = if offer.framework.value == "a" {
                offer.resources.filter(|r| r.name == "cpus")
            } else {
                offer.resources.filter(|r| r.name == "mem")
            };
            h.allocator.recover_resources(
                &offer.framework,
                &offer.agent,
                &unwanted,
                Some(std::time::Duration::from_secs(2)),
                h.now,
            );
        }
        h.advance(1.0);
    }
    assert_eq!(h.mem_of("a"), Scalar::from_units(256)); // a: mem 256/256 = 1.0
    assert_eq!(h.cpus_of("a"), Scalar::ZERO);
    assert_eq!(h.cpus_of("b"), Scalar::from_units(8)); // b: cpus 8/8 = 1.0
    assert_eq!(h.mem_of("b"), Scalar::ZERO);
}

/// Weights 2:1: six identical agents offered in one cycle go 4 to `a` and 2
/// to `b`. Shares after each agent (weighted share = share / weight):
/// a 1/12, b 1/6, a 2/12 (= b, fewer allocations: b), b 2/6, a 3/12, a 4/12.
#[test]
fn weights_two_to_one() {
    #[rustfmt::skip]
    let table: &[(f64, f64, usize, usize)] = &[
        // weight a, weight b, agents to a, agents to b
        (2.0, 1.0, 4, 2),
        (1.0, 1.0, 3, 3),
        (1.0, 2.0, 2, 4),
        (5.0, 1.0, 5, 1), // a reaches 5/6 / 5 = 1/6 = b's 1/6
    ];
    for &(wa, wb, to_a, to_b) in table {
        let mut h = Harness::new();
        h.allocator.update_weights(&[("a".to_owned(), wa), ("b".to_owned(), wb)]);
        h.framework("fa", &["a"]);
        h.framework("fb", &["b"]);
        for i in 0..6 {
            h.agent(&format!("agent{i}"), "cpus:4;mem:1024");
        }
        let offers = h.cycle();
        let got = recipients(&offers);
        let count = |name: &str| got.iter().filter(|n| *n == name).count();
        assert_eq!((count("fa"), count("fb")), (to_a, to_b), "weights {wa}:{wb}");
    }
}

/// Quota: `q` is guaranteed 4 cpus and limited to 5; `r` has no quota.
/// Five agents of 2 cpus (10 cpus). The first stage gives `q` its 4 cpus
/// (two whole agents) although `r` has the lower share; in the second stage
/// `r` takes two agents (0.2, then 0.4), then `q` (0.4, same count, name
/// first) gets the last agent cut to its limit (1 cpu) and `r` the rest:
/// q: 5 cpus (0.5), r: 5 cpus (0.5).
#[test]
fn quota_guarantee_first_and_limit_never_passed() {
    #[rustfmt::skip]
    let table: &[(&str, &str, f64, f64)] = &[
        // guarantee    limit        q cpus  r cpus
        ("cpus:4",      "cpus:5",    5.0,    5.0),
        ("cpus:4",      "cpus:6",    6.0,    4.0),
        ("cpus:4",      "cpus:4",    4.0,    6.0),
        ("",            "cpus:1",    1.0,    9.0), // limit only: r goes first, q gets 1 cpu
        ("cpus:6",      "",          6.0,    4.0), // guarantee only: 6 first, then DRF (0.6 vs 0.4)
    ];
    for &(guarantee, limit, q_cpus, r_cpus) in table {
        let mut h = Harness::new();
        let quota = Quota { guarantees: quantities(guarantee), limits: quantities(limit) };
        h.allocator.update_quota("q", quota).unwrap();
        h.framework("fq", &["q"]);
        h.framework("fr", &["r"]);
        for i in 0..5 {
            h.agent(&format!("agent{i}"), "cpus:2;mem:100");
        }
        h.cycle();
        assert_eq!(h.cpus_of("fq"), cpus(q_cpus), "{guarantee} / {limit}");
        assert_eq!(h.cpus_of("fr"), cpus(r_cpus), "{guarantee} / {limit}");
    }
}

/// A guarantee the role cannot take now (its framework suppressed offers)
/// is still held back: of 10 cpus, `r` gets 6 and 4 stay free.
#[test]
fn quota_headroom_is_held_back() {
    let mut h = Harness::new();
    let quota = Quota { guarantees: quantities("cpus:4"), limits: Quantities::new() };
    h.allocator.update_quota("q", quota).unwrap();
    h.framework("fq", &["q"]);
    h.allocator.suppress_offers(&fw("fq"), &[]);
    h.framework("fr", &["r"]);
    for i in 0..5 {
        h.agent(&format!("agent{i}"), "cpus:2;mem:100");
    }
    h.cycle();
    assert_eq!(h.cpus_of("fr"), cpus(6.0)); // 10 - 4 held back for q
    h.allocator.revive_offers(&fw("fq"), &[]);
    h.cycle();
    assert_eq!(h.cpus_of("fq"), cpus(4.0));
}

/// A static reservation goes only to its role and the role's descendants;
/// the unreserved part goes by DRF.
#[test]
fn static_reservation_goes_to_its_role() {
    #[rustfmt::skip]
    let table: &[(&str, &str, &str)] = &[
        // framework role   reserved cpus it gets   unreserved cpus it gets
        ("web",             "2",                    "0"),   // "ops" < "web": ops takes the unreserved
        ("web/api",         "2",                    "0"),   // a descendant of web may use web's
        ("ops",             "0",                    "4"),   // never web's reservation
    ];
    for (role, reserved, unreserved) in table {
        let mut h = Harness::new();
        h.framework("f", &[role]);
        h.framework("other", &["ops2"]);
        if *role != "ops" {
            h.framework("ops", &["ops"]);
        }
        h.agent("agent", "cpus:4;mem:64;cpus(web):2");
        let offers = h.cycle();
        let mine: Vec<_> = offers.iter().filter(|o| o.framework.value == "f").collect();
        let got_reserved: Scalar = mine.iter().map(|o| o.resources.reserved().cpus()).sum();
        let got_unreserved: Scalar = mine.iter().map(|o| o.resources.unreserved().cpus()).sum();
        assert_eq!(got_reserved.to_string(), *reserved, "{role}");
        assert_eq!(got_unreserved.to_string(), *unreserved, "{role}");
        for offer in &offers {
            for resource in offer.resources.iter() {
                if let Some(owner) = resource.reservation_role() {
                    assert!(offer.role == owner || mesos_resources::role::is_strict_subrole(&offer.role, owner));
                }
            }
        }
    }
}

/// A declined agent is not offered again to that framework until its
/// filter expires (default 5 s); then it comes back.
#[test]
fn refused_agent_comes_back_after_its_filter_expires() {
    #[rustfmt::skip]
    let table: &[(f64, &[(f64, bool)])] = &[
        // refuse   (seconds after the decline, offered?)
        (5.0,       &[(1.0, false), (4.9, false), (5.0, true)]),
        (0.0,       &[(0.0, true)]), // no filter
        (1e12,      &[(1e6, false), (31_535_999.0, false), (31_536_000.0, true)]), // capped at 365 days
    ];
    for &(refuse, checks) in table {
        let mut h = Harness::new();
        h.framework("f", &["*"]);
        h.agent("agent", "cpus:4;mem:64");
        let offers = h.cycle();
        assert_eq!(pairs(&offers), [("f".to_owned(), "agent".to_owned())]);
        h.decline(&offers[0], Some(refuse));
        let declined_at = h.now;
        for &(after, offered) in checks {
            h.now = declined_at + std::time::Duration::from_secs_f64(after);
            let offers = h.cycle();
            assert_eq!(!offers.is_empty(), offered, "refuse {refuse}, after {after}");
            if let Some(offer) = offers.first() {
                h.decline(offer, None);
            }
        }
    }
}

/// With the allocation interval set, a filter lasts at least that long.
#[test]
fn filters_last_at_least_an_allocation_interval() {
    let mut h = Harness::new();
    h.allocator.set_allocation_interval(std::time::Duration::from_secs(1));
    h.framework("f", &["*"]);
    h.agent("agent", "cpus:4;mem:64");
    let offers = h.cycle();
    h.decline(&offers[0], Some(0.2)); // refuse 0.2 s: lasts 1 s
    h.advance(0.5);
    assert!(h.cycle().is_empty());
    h.advance(0.5);
    assert_eq!(h.cycle().len(), 1);
}

/// The same cases with the random sorters: every cycle still offers each
/// agent once and never to a framework that is not subscribed.
#[test]
fn random_sorters_offer_every_agent_once() {
    let config = AllocatorConfig {
        role_sorter: crate::SorterKind::Random,
        framework_sorter: crate::SorterKind::Random,
        seed: 42,
        ..AllocatorConfig::default()
    };
    let mut h = Harness::with(config);
    for (name, role) in [("a", "x"), ("b", "y"), ("c", "y")] {
        h.framework(name, &[role]);
    }
    for i in 0..30 {
        h.agent(&format!("agent{i}"), "cpus:1;mem:64");
    }
    let offers = h.cycle();
    assert_eq!(offers.len(), 30);
    let mut agents: Vec<_> = offers.iter().map(|o| o.agent.value.clone()).collect();
    agents.sort();
    agents.dedup();
    assert_eq!(agents.len(), 30);
    let got = recipients(&offers);
    assert!(got.iter().any(|n| n == "a") && got.iter().any(|n| n == "c"));
}
