//! Tests of the allocator through its public interface: a small harness
//! that drives virtual time, the classic cases as tables, behaviours one by
//! one, and property tests over random event sequences.

mod behaviour;
mod classic;
mod properties;

use std::time::Duration;

use mesos_proto::v1::{AgentId, FrameworkId};
use mesos_resources::{Resources, Scalar, parse};

use crate::{AgentSpec, Allocation, Allocator, AllocatorConfig, FrameworkSpec};

pub(crate) fn res(text: &str) -> Resources {
    parse::resources(text, "*").expect("test resources parse")
}

pub(crate) fn agent(name: &str) -> AgentId {
    AgentId { value: name.to_owned() }
}

pub(crate) fn fw(name: &str) -> FrameworkId {
    FrameworkId { value: name.to_owned() }
}

pub(crate) fn spec(roles: &[&str]) -> FrameworkSpec {
    FrameworkSpec { roles: roles.iter().map(|r| (*r).to_owned()).collect(), ..FrameworkSpec::default() }
}

/// Drives an allocator with a virtual clock.
pub(crate) struct Harness {
    pub(crate) allocator: Allocator,
    pub(crate) now: Duration,
}

impl Harness {
    pub(crate) fn new() -> Harness {
        Harness::with(AllocatorConfig::default())
    }

    pub(crate) fn with(config: AllocatorConfig) -> Harness {
        Harness { allocator: Allocator::new(config), now: Duration::from_secs(1_000) }
    }

    pub(crate) fn agent(&mut self, name: &str, resources: &str) {
        self.agent_using(name, resources, &[]);
    }

    /// An agent on which frameworks already use resources
    /// (`(framework, role, resources)`).
    pub(crate) fn agent_using(&mut self, name: &str, resources: &str, used: &[(&str, &str, &str)]) {
        let used: Vec<(FrameworkId, Resources)> =
            used.iter().map(|(f, role, r)| (fw(f), res(r).allocated_to(role))).collect();
        let spec = AgentSpec { hostname: name.to_owned(), total: res(resources) };
        self.allocator.add_agent(&agent(name), spec, &used);
    }

    pub(crate) fn framework(&mut self, name: &str, roles: &[&str]) {
        self.allocator.add_framework(&fw(name), spec(roles), &[], true);
    }

    pub(crate) fn cycle(&mut self) -> Vec<Allocation> {
        self.allocator.allocate(self.now)
    }

    pub(crate) fn advance(&mut self, seconds: f64) {
        self.now += Duration::from_secs_f64(seconds);
    }

    /// Declines an offer, refusing it for `refuse` seconds.
    pub(crate) fn decline(&mut self, offer: &Allocation, refuse: Option<f64>) {
        self.allocator.recover_resources(
            &offer.framework,
            &offer.agent,
            &offer.resources,
            refuse.map(Duration::from_secs_f64),
            self.now,
        );
    }

    /// Cpus held by a framework across the cluster.
    pub(crate) fn cpus_of(&self, name: &str) -> Scalar {
        self.allocator.allocated_to(&fw(name)).iter().map(|(_, r)| r.cpus()).sum()
    }

    pub(crate) fn mem_of(&self, name: &str) -> Scalar {
        self.allocator.allocated_to(&fw(name)).iter().map(|(_, r)| r.mem()).sum()
    }
}

/// `(framework, agent)` of each offer, sorted.
pub(crate) fn pairs(offers: &[Allocation]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        offers.iter().map(|o| (o.framework.value.clone(), o.agent.value.clone())).collect();
    pairs.sort();
    pairs
}

/// The frameworks offered something, sorted, with repeats.
pub(crate) fn recipients(offers: &[Allocation]) -> Vec<String> {
    let mut names: Vec<String> = offers.iter().map(|o| o.framework.value.clone()).collect();
    names.sort();
    names
}

/// The master keeps the allocator in its event loop, possibly across
/// threads.
#[test]
fn allocator_is_send() {
    fn send<T: Send>() {}
    send::<Allocator>();
}
