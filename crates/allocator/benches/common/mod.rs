//! Clusters shaped like Apache Mesos's allocator benchmarks, shared by the
//! benchmark targets.

#![allow(dead_code)]

use std::time::Duration;

use mesos_allocator::{AgentSpec, Allocation, Allocator, AllocatorConfig, FrameworkSpec, Quota};
use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::{Ranges, Resource, Resources, parse};

/// The agent of `DeclineOffers`: `cpus:24;mem:4096;disk:4096;ports:[31000-32000]`.
pub const AGENT: &str = "cpus:24;mem:4096;disk:4096;ports:[31000-32000]";

/// Mesos's `refuse_seconds = INT_MAX` (the allocator caps it at 365 days).
pub const FOREVER: Duration = Duration::from_secs(i32::MAX as u64);

/// CPU time consumed by the calling thread. Benchmarks time `allocate()`
/// with it, so that other processes sharing the machine's two cores do not
/// inflate the figures (the anchors' "master-thread CPU time").
#[allow(unsafe_code)]
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock_gettime` writes one `timespec` through a pointer to a
    // live, writable `timespec`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is available");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Runs `f`, returning its result and the thread CPU time it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = thread_cpu_time();
    let result = f();
    (result, thread_cpu_time() - start)
}

pub fn res(text: &str) -> Resources {
    parse::resources(text, "*").expect("benchmark resources parse")
}

pub fn agent_id(i: usize) -> AgentId {
    AgentId { value: format!("agent-{i}") }
}

pub fn framework_id(i: usize) -> FrameworkId {
    FrameworkId { value: format!("framework-{i}") }
}

/// What each `DeclineOffers` agent already runs: `cpus:16;mem:1024;disk:1024`
/// and 16 single ports spread over the range (Mesos fragments the range the
/// same way), allocated to role `*`.
pub fn decline_offers_usage() -> Resources {
    let mut used = res("cpus:16;mem:1024;disk:1024");
    let ports = Ranges::from_pairs((0..16).map(|k| {
        let port = 31_000 + 3 + k * 61;
        (port, port)
    }));
    used.add_resource(Resource::ranges("ports", ports));
    used.allocated_to("*")
}

/// An allocator with `frameworks` frameworks subscribed to `role`.
pub fn with_frameworks(frameworks: usize, role: &str) -> Allocator {
    let mut allocator = Allocator::new(AllocatorConfig::default());
    add_frameworks(&mut allocator, frameworks, |_| role.to_owned());
    allocator
}

pub fn add_frameworks(allocator: &mut Allocator, count: usize, role: impl Fn(usize) -> String) {
    for i in 0..count {
        let spec = FrameworkSpec { roles: vec![role(i)], ..FrameworkSpec::default() };
        allocator.add_framework(&framework_id(i), spec, &[], true);
    }
}

/// Adds `agents` agents of `resources`; with `used`, agent `i` already runs
/// `used` for framework `i % frameworks`.
pub fn add_agents(allocator: &mut Allocator, agents: usize, resources: &str, used: Option<(&Resources, usize)>) {
    let total = res(resources);
    for i in 0..agents {
        let spec = AgentSpec { hostname: format!("host-{i}"), total: total.clone() };
        let usage: Vec<(FrameworkId, Resources)> =
            used.map(|(bag, frameworks)| vec![(framework_id(i % frameworks), bag.clone())]).unwrap_or_default();
        allocator.add_agent(&agent_id(i), spec, &usage);
    }
}

/// The `DeclineOffers` cluster: frameworks in `*`, agents partly used.
pub fn decline_offers(agents: usize, frameworks: usize) -> Allocator {
    let mut allocator = with_frameworks(frameworks, "*");
    let used = decline_offers_usage();
    add_agents(&mut allocator, agents, AGENT, Some((&used, frameworks)));
    allocator
}

/// Frameworks in one role and idle agents (the Mesos 1.7 blog's "single
/// role, no filtering" cycle).
pub fn single_role(agents: usize, frameworks: usize) -> Allocator {
    let mut allocator = with_frameworks(frameworks, "*");
    add_agents(&mut allocator, agents, AGENT, None);
    allocator
}

/// `LargeAndSmallQuota`: `small` roles with quota `cpus:1;mem:1024;disk:1024`,
/// `large` roles with `cpus:4;mem:4096;disk:4096` (guarantees = limits), one
/// framework each, and `small / 5 + large * 5` agents of
/// `cpus:2;mem:2048;disk:2048`.
pub fn large_and_small_quota(small: usize, large: usize) -> Allocator {
    let mut allocator = Allocator::new(AllocatorConfig::default());
    add_agents(&mut allocator, small / 5 + large * 5, "cpus:2;mem:2048;disk:2048", None);
    add_quota_frameworks(&mut allocator, small, large);
    set_quotas(&mut allocator, small, large);
    allocator
}

pub fn quota_role(i: usize, small: usize) -> String {
    if i < small { format!("smallQuotaRole{i}") } else { format!("largeQuotaRole{}", i - small) }
}

pub fn add_quota_frameworks(allocator: &mut Allocator, small: usize, large: usize) {
    add_frameworks(allocator, small + large, |i| quota_role(i, small));
}

pub fn set_quotas(allocator: &mut Allocator, small: usize, large: usize) {
    for i in 0..small + large {
        let amounts = if i < small { res("cpus:1;mem:1024;disk:1024") } else { res("cpus:4;mem:4096;disk:4096") };
        let quantities: mesos_allocator::Quantities = amounts.scalar_quantities().into_iter().collect();
        let quota = Quota { guarantees: quantities.clone(), limits: quantities };
        allocator.update_quota(&quota_role(i, small), quota).expect("valid quota");
    }
}

/// Gives every offer back, refusing it for `refuse` when given.
pub fn give_back(allocator: &mut Allocator, offers: &[Allocation], refuse: Option<Duration>, now: Duration) {
    for offer in offers {
        allocator.recover_resources(&offer.framework, &offer.agent, &offer.resources, refuse, now);
    }
}
