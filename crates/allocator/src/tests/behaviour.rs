//! Behaviours one by one: suppression and revival, capabilities, minimum
//! offer sizes, reservations and their conversions, multi-role frameworks,
//! agents and frameworks coming and going.

use std::time::Duration;

use mesos_resources::{Reservation, Resource, Resources, Scalar};

use super::{Harness, agent, fw, pairs, res, spec};
use crate::{
    AgentSpec, AllocatorConfig, AllocatorError, FrameworkCapabilities, FrameworkSpec, InverseOfferAnswer, Quantities,
    Quota, Unavailability,
};

#[test]
fn suppressed_roles_get_nothing_until_revived() {
    let mut h = Harness::new();
    h.framework("f", &["a", "b"]);
    h.agent("x", "cpus:2;mem:64");
    h.agent("y", "cpus:2;mem:64");
    h.allocator.suppress_offers(&fw("f"), &["a".to_owned()]);
    let offers = h.cycle();
    assert_eq!(offers.len(), 2);
    assert!(offers.iter().all(|o| o.role == "b"));
    for offer in &offers {
        h.decline(offer, Some(100.0));
    }
    h.advance(1.0);
    assert!(h.cycle().is_empty());
    // Reviving `a` unsuppresses it; `b` keeps its filters.
    h.allocator.revive_offers(&fw("f"), &["a".to_owned()]);
    let offers = h.cycle();
    assert_eq!(offers.len(), 2);
    assert!(offers.iter().all(|o| o.role == "a"));
    assert!(offers.iter().all(|o| { o.resources.iter().all(|r| r.allocation_role.as_deref() == Some("a")) }));
}

#[test]
fn inactive_frameworks_and_agents_get_and_give_nothing() {
    let mut h = Harness::new();
    h.framework("f", &["*"]);
    h.agent("x", "cpus:2;mem:64");
    h.allocator.deactivate_framework(&fw("f"));
    assert!(h.cycle().is_empty());
    h.allocator.activate_framework(&fw("f"));
    h.allocator.deactivate_agent(&agent("x"));
    assert!(h.cycle().is_empty());
    h.allocator.activate_agent(&agent("x"));
    assert_eq!(h.cycle().len(), 1);
}

#[test]
fn deactivating_a_framework_clears_its_filters() {
    let mut h = Harness::new();
    h.framework("f", &["*"]);
    h.agent("x", "cpus:2;mem:64");
    let offers = h.cycle();
    h.decline(&offers[0], Some(1000.0));
    assert_eq!(h.allocator.offer_filters(&fw("f")), 1);
    h.allocator.deactivate_framework(&fw("f"));
    h.allocator.activate_framework(&fw("f"));
    assert_eq!(h.allocator.offer_filters(&fw("f")), 0);
    assert_eq!(h.cycle().len(), 1);
}

#[test]
fn revocable_resources_only_to_frameworks_that_take_them() {
    let mut h = Harness::new();
    let mut revocable = Resource::scalar("cpus", 4.0);
    revocable.revocable = true;
    let mut total = res("cpus:1;mem:64");
    total.add_resource(revocable);
    h.allocator.add_framework(&fw("plain"), spec(&["*"]), &[], true);
    let offers_before = {
        h.allocator.add_agent(&agent("x"), AgentSpec { hostname: "x".into(), total: total.clone() }, &[]);
        h.cycle()
    };
    assert_eq!(offers_before.len(), 1);
    assert!(offers_before[0].resources.revocable().is_empty());
    let mut capable = spec(&["*"]);
    capable.capabilities.revocable_resources = true;
    h.allocator.add_framework(&fw("rev"), capable, &[], true);
    let offers = h.cycle();
    assert_eq!(pairs(&offers), [("rev".to_owned(), "x".to_owned())]);
    assert_eq!(offers[0].resources.revocable().cpus(), Scalar::from_units(4));
}

#[test]
fn gpu_agents_only_for_gpu_frameworks() {
    for filter in [true, false] {
        let config = AllocatorConfig { filter_gpu_resources: filter, ..AllocatorConfig::default() };
        let mut h = Harness::with(config);
        h.framework("cpu-only", &["*"]);
        h.agent("gpu", "cpus:4;mem:64;gpus:1");
        let offers = h.cycle();
        assert_eq!(offers.is_empty(), filter);
        let mut gpu = spec(&["*"]);
        gpu.capabilities = FrameworkCapabilities { gpu_resources: true, ..FrameworkCapabilities::default() };
        h.allocator.add_framework(&fw("gpu-fw"), gpu, &[], true);
        if filter {
            let offers = h.cycle();
            assert_eq!(pairs(&offers), [("gpu-fw".to_owned(), "gpu".to_owned())]);
        }
    }
}

#[test]
fn minimum_offer_sizes_global_and_per_framework() {
    let mut h = Harness::new();
    h.framework("f", &["*"]);
    h.agent("tiny", "cpus:0.005;mem:16");
    assert!(h.cycle().is_empty()); // below cpus:0.01 | mem:32
    let mut picky = spec(&["r"]);
    picky
        .min_allocatable_resources
        .insert("r".into(), vec![Quantities::from([("cpus".to_owned(), Scalar::from_units(4))])]);
    h.allocator.add_framework(&fw("picky"), picky, &[], true);
    h.agent("small", "cpus:2;mem:1024");
    h.agent("big", "cpus:8;mem:1024");
    let offers = h.cycle();
    // Role order "*" < "r" by name: f takes one agent, and picky can only
    // take the big one.
    let mut got = pairs(&offers);
    got.retain(|(f, _)| f == "picky");
    assert!(got.is_empty() || got == [("picky".to_owned(), "big".to_owned())]);
    assert_eq!(offers.len(), 2);
}

#[test]
fn refined_reservations_need_the_capability() {
    let mut h = Harness::new();
    let refined = Resource::scalar("cpus", 2.0)
        .reserved(Reservation::new_static("eng"))
        .reserved(Reservation::new_dynamic("eng/web", None));
    let total: Resources = [refined, Resource::scalar("mem", 64.0)].into_iter().collect();
    h.allocator.add_agent(&agent("x"), AgentSpec { hostname: "x".into(), total }, &[]);
    h.framework("old", &["eng/web"]);
    let offers = h.cycle();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].resources.cpus(), Scalar::ZERO);
    let mut new = spec(&["eng/web"]);
    new.capabilities.reservation_refinement = true;
    h.allocator.add_framework(&fw("new"), new, &[], true);
    let offers = h.cycle();
    assert_eq!(pairs(&offers), [("new".to_owned(), "x".to_owned())]);
    assert_eq!(offers[0].resources.cpus(), Scalar::from_units(2));
}

#[test]
fn reserve_and_unreserve_through_offers_and_operator_calls() {
    let mut h = Harness::new();
    h.framework("f", &["web"]);
    h.framework("g", &["ops"]);
    h.agent("x", "cpus:4;mem:64");
    h.allocator.suppress_offers(&fw("g"), &[]);
    let offers = h.cycle();
    assert_eq!(offers.len(), 1);
    let offer = &offers[0];
    // RESERVE cpus:2 of the offer for "web", then decline everything.
    let from = res("cpus:2").allocated_to("web");
    let reserved: Resources =
        [Resource::scalar("cpus", 2.0).reserved(Reservation::new_dynamic("web", Some("p".into())))]
            .into_iter()
            .collect();
    let to = reserved.allocated_to("web");
    h.allocator.update_allocation(&offer.framework, &offer.agent, &from, &to).unwrap();
    let wrong = res("cpus:100").allocated_to("web");
    assert!(matches!(
        h.allocator.update_allocation(&offer.framework, &offer.agent, &wrong, &to),
        Err(AllocatorError::Insufficient { .. })
    ));
    let held = h.allocator.allocated_to(&fw("f"));
    h.allocator.recover_resources(&fw("f"), &agent("x"), &held[0].1, None, h.now);
    assert_eq!(h.allocator.agent_total(&agent("x")).unwrap().reserved_to("web").cpus(), Scalar::from_units(2));
    // g never sees web's reservation; f gets it back.
    h.allocator.revive_offers(&fw("g"), &[]);
    h.allocator.deactivate_framework(&fw("f"));
    let offers = h.cycle();
    assert_eq!(pairs(&offers), [("g".to_owned(), "x".to_owned())]);
    assert!(offers[0].resources.reserved().is_empty());
    h.allocator.recover_resources(&fw("g"), &agent("x"), &offers[0].resources, None, h.now);
    // The operator unreserves them: g may have them now.
    assert!(h.allocator.update_available(&agent("x"), &res("cpus:99"), &res("cpus:99")).is_err());
    h.allocator.update_available(&agent("x"), &reserved, &res("cpus:2")).unwrap();
    let offers = h.cycle();
    assert_eq!(offers[0].resources.cpus(), Scalar::from_units(4));
}

#[test]
fn multi_role_framework_gets_one_offer_per_role() {
    let mut h = Harness::new();
    h.framework("f", &["a", "b"]);
    h.agent("x", "cpus:2;mem:64;cpus(b):1");
    let offers = h.cycle();
    // Role a (0 share, name first) takes the unreserved part; b its
    // reservation: two offers on one agent.
    assert_eq!(offers.len(), 2);
    let mut roles: Vec<&str> = offers.iter().map(|o| o.role.as_str()).collect();
    roles.sort();
    assert_eq!(roles, ["a", "b"]);
    let roles = h.allocator.roles();
    let b = roles.iter().find(|r| r.role == "b").unwrap();
    assert_eq!(b.allocated.cpus(), Scalar::from_units(1));
}

#[test]
fn agents_and_frameworks_come_and_go() {
    let mut h = Harness::new();
    h.framework("f", &["*"]);
    h.agent("x", "cpus:2;mem:64");
    h.agent("y", "cpus:2;mem:64");
    assert_eq!(h.cycle().len(), 2);
    h.allocator.remove_agent(&agent("x"));
    assert_eq!(h.allocator.allocated_to(&fw("f")).len(), 1);
    h.allocator.remove_framework(&fw("f"));
    assert_eq!(h.allocator.available(&agent("y")).unwrap().cpus(), Scalar::from_units(2));
    h.framework("g", &["*"]);
    let offers = h.allocator.allocate_agents(&[agent("y"), agent("gone")], h.now);
    assert_eq!(pairs(&offers), [("g".to_owned(), "y".to_owned())]);
    assert_eq!(h.allocator.metrics().frameworks, 1);
    assert_eq!(h.allocator.metrics().agents, 1);
}

#[test]
fn resources_in_use_are_not_offered_and_count_in_shares() {
    let mut h = Harness::new();
    // The agent comes back before the framework does.
    h.agent_using("x", "cpus:4;mem:64", &[("f", "*", "cpus:3;mem:32")]);
    assert!(h.cycle().is_empty()); // f is not known yet: nobody to offer to
    let used = [(agent("x"), res("cpus:3;mem:32").allocated_to("*"))];
    h.allocator.add_framework(&fw("f"), spec(&["*"]), &used, true);
    let offers = h.cycle();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].resources.cpus(), Scalar::from_units(1)); // not counted twice
    assert_eq!(h.cpus_of("f"), Scalar::from_units(4));
    // The framework first, then the agent: same result.
    let mut h = Harness::new();
    h.allocator.add_framework(&fw("f"), spec(&["*"]), &[(agent("x"), res("cpus:3").allocated_to("*"))], true);
    h.agent_using("x", "cpus:4;mem:64", &[("f", "*", "cpus:3")]);
    assert_eq!(h.cpus_of("f"), Scalar::from_units(3));
}

#[test]
fn quota_requests_are_checked() {
    let mut h = Harness::new();
    let quota =
        Quota { guarantees: Quantities::from([("cpus".to_owned(), Scalar::from_units(1))]), limits: Quantities::new() };
    assert!(matches!(h.allocator.update_quota("eng/web", quota.clone()), Err(AllocatorError::InvalidQuota { .. })));
    h.allocator.update_quota("eng", quota.clone()).unwrap();
    let roles = h.allocator.roles();
    assert_eq!(roles[0].quota.as_ref(), Some(&quota));
    h.allocator.update_quota("eng", Quota::default()).unwrap();
    assert!(h.allocator.roles().is_empty());
}

#[test]
fn updating_a_framework_moves_it_between_roles() {
    let mut h = Harness::new();
    h.framework("f", &["a"]);
    h.agent("x", "cpus:2;mem:64");
    let offers = h.cycle();
    assert_eq!(offers[0].role, "a");
    let mut moved = spec(&["b"]);
    moved.suppressed_roles = vec![];
    h.allocator.update_framework(&fw("f"), moved);
    // Still holds the offer in role a until it is given back.
    assert_eq!(h.allocator.allocated_to(&fw("f"))[0].1.allocation_roles(), ["a"]);
    h.decline(&offers[0], None);
    let offers = h.cycle();
    assert_eq!(offers[0].role, "b");
    let roles: Vec<String> = h.allocator.roles().into_iter().map(|r| r.role).collect();
    assert_eq!(roles, ["b"]);
    let none =
        FrameworkSpec { roles: vec!["b".into()], suppressed_roles: vec!["b".into()], ..FrameworkSpec::default() };
    h.allocator.update_framework(&fw("f"), none);
    h.decline(&offers[0], None);
    assert!(h.cycle().is_empty());
}

#[test]
fn inverse_offers_for_agents_under_maintenance() {
    let mut h = Harness::new();
    h.framework("f", &["*"]);
    h.agent("x", "cpus:2;mem:64");
    h.cycle();
    let window = Unavailability { start: h.now + Duration::from_secs(3600), duration: Some(Duration::from_secs(600)) };
    h.allocator.update_unavailability(&agent("x"), Some(window));
    let inverse = h.allocator.generate_inverse_offers(h.now);
    assert_eq!(inverse.len(), 1);
    assert!(h.allocator.generate_inverse_offers(h.now).is_empty()); // already out
    let decline = InverseOfferAnswer::Decline { refuse: Some(Duration::from_secs(10)) };
    h.allocator.update_inverse_offer(&agent("x"), &fw("f"), decline, h.now);
    assert_eq!(h.allocator.inverse_offer_answer(&agent("x"), &fw("f")), Some(false));
    assert!(h.allocator.generate_inverse_offers(h.now).is_empty());
    h.advance(10.0);
    assert_eq!(h.allocator.generate_inverse_offers(h.now).len(), 1);
    h.allocator.update_inverse_offer(&agent("x"), &fw("f"), InverseOfferAnswer::Accept, h.now);
    assert!(h.allocator.generate_inverse_offers(h.now).is_empty());
    h.allocator.update_unavailability(&agent("x"), None);
    assert!(h.allocator.generate_inverse_offers(h.now).is_empty());
}

#[test]
fn few_unfiltered_frameworks_are_tried_in_drf_order() {
    let mut h = Harness::new();
    let mut used = Vec::new();
    for i in 0..20 {
        let name = format!("f{i:02}");
        h.framework(&name, &["*"]);
        // f00 holds 20 cpus, ..., f19 holds 1: shares in reverse order.
        used.push((fw(&name), res(&format!("cpus:{}", 20 - i)).allocated_to("*")));
    }
    let busy = AgentSpec { hostname: "busy".into(), total: res("cpus:210;mem:64") };
    h.allocator.add_agent(&agent("busy"), busy, &used);
    h.agent("x", "cpus:4;mem:64");
    // Everyone but f03 (17 cpus) and f07 (13 cpus) refuses x for long.
    let on_x = res("cpus:4;mem:64").allocated_to("*");
    for i in (0..20).filter(|i| *i != 3 && *i != 7) {
        let refuse = Some(Duration::from_secs(1000));
        h.allocator.recover_resources(&fw(&format!("f{i:02}")), &agent("x"), &on_x, refuse, h.now);
    }
    let offers: Vec<_> = h.cycle().into_iter().filter(|o| o.agent.value == "x").collect();
    assert_eq!(pairs(&offers), [("f07".to_owned(), "x".to_owned())]);
    // Once f07 and f03 refuse it too, nobody is offered x.
    h.decline(&offers[0], Some(1000.0));
    let f03 = h.allocator.allocated_to(&fw("f03"));
    assert!(f03.iter().all(|(a, _)| a.value != "x"));
    h.allocator.recover_resources(&fw("f03"), &agent("x"), &on_x, Some(Duration::from_secs(1000)), h.now);
    assert!(h.cycle().iter().all(|o| o.agent.value != "x"));
}
