//! Allocator benchmarks in Apache Mesos's configurations (see
//! `BENCHMARKS.md` at the repository root for the figures to compare with).
//!
//! Only `allocate()` (or the adding of agents and frameworks) is timed; the
//! declines and recoveries between cycles are not, as in Mesos's
//! benchmarks, which time the allocation round alone. Times are the CPU
//! time of the benchmark thread (see `common::thread_cpu_time`).

mod common;

use std::time::Duration;

use common::*;
use criterion::{Criterion, criterion_group, criterion_main};
use mesos_allocator::{Allocation, Allocator};

/// An allocator between cycles: the offers of the last cycle and the time.
struct Run {
    allocator: Allocator,
    offers: Vec<Allocation>,
    now: Duration,
    round: usize,
}

impl Run {
    fn new(allocator: Allocator) -> Run {
        Run { allocator, offers: Vec::new(), now: Duration::from_secs(1_000_000), round: 0 }
    }

    /// Gives the last offers back (refusing them for `refuse`), advances
    /// the clock by the allocation interval, and times one cycle.
    fn round(&mut self, refuse: Option<Duration>) -> Duration {
        let offers = std::mem::take(&mut self.offers);
        give_back(&mut self.allocator, &offers, refuse, self.now);
        self.now += Duration::from_secs(1);
        let now = self.now;
        let (offers, elapsed) = timed(|| self.allocator.allocate(now));
        self.offers = offers;
        self.round += 1;
        elapsed
    }
}

/// `DeclineOffers`: every offer is declined with `refuse_seconds = INT_MAX`,
/// so each round every agent goes to a framework that has not refused it
/// yet. Rounds 0..50 are measured (each makes one offer per agent); then
/// every framework revives and the sequence starts again.
fn decline_offers(c: &mut Criterion) {
    let mut group = c.benchmark_group("DeclineOffers");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(6));
    for (agents, frameworks, name) in [
        (10_000, 1_000, "10k_agents_1k_frameworks"),
        (50_000, 1_000, "50k_agents_1k_frameworks"),
        (10_000, 6_000, "10k_agents_6k_frameworks"),
    ] {
        let mut run: Option<Run> = None;
        group.bench_function(name, |b| {
            let run = run.get_or_insert_with(|| Run::new(decline_offers_cluster(agents, frameworks)));
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if run.round % 50 == 49 {
                        for i in 0..frameworks {
                            run.allocator.revive_offers(&framework_id(i), &[]);
                        }
                    }
                    total += run.round(Some(FOREVER));
                }
                total
            });
        });
    }
    group.finish();
}

fn decline_offers_cluster(agents: usize, frameworks: usize) -> Allocator {
    common::decline_offers(agents, frameworks)
}

/// One role, no filters: every agent is offered whole each cycle, and the
/// offers are given back before the next one.
fn single_role_no_filter(c: &mut Criterion) {
    let mut group = c.benchmark_group("SingleRoleNoFilter");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for (agents, frameworks, name) in [
        (10_000, 1_000, "10k_agents_1k_frameworks"),
        (20_000, 2_000, "20k_agents_2k_frameworks"),
        (10_000, 6_000, "10k_agents_6k_frameworks"),
    ] {
        let mut run: Option<Run> = None;
        group.bench_function(name, |b| {
            let run = run.get_or_insert_with(|| Run::new(single_role(agents, frameworks)));
            b.iter_custom(|iters| (0..iters).map(|_| run.round(None)).sum());
        });
    }
    group.finish();
}

/// `LargeAndSmallQuota/2`: 3,000 agents, 2,500 roles with a small quota and
/// 500 with a large one, one framework each; the cycle that satisfies every
/// quota (3,500 offers), and the following cycle with nothing to allocate.
fn large_and_small_quota(c: &mut Criterion) {
    let mut group = c.benchmark_group("LargeAndSmallQuota");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    let mut first: Option<Run> = None;
    group.bench_function("3k_agents_3k_roles/first_cycle", |b| {
        let run = first.get_or_insert_with(|| Run::new(common::large_and_small_quota(2_500, 500)));
        b.iter_custom(|iters| (0..iters).map(|_| run.round(None)).sum());
    });
    let mut next: Option<Run> = None;
    group.bench_function("3k_agents_3k_roles/next_cycle", |b| {
        let run = next.get_or_insert_with(|| {
            let mut run = Run::new(common::large_and_small_quota(2_500, 500));
            run.round(None);
            assert_eq!(run.offers.len(), 3_500);
            run
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                run.now += Duration::from_secs(1);
                let now = run.now;
                let (offers, elapsed) = timed(|| run.allocator.allocate(now));
                total += elapsed;
                assert!(offers.is_empty());
            }
            total
        });
    });
    group.finish();
}

/// Adding agents and frameworks.
fn adding(c: &mut Criterion) {
    let mut group = c.benchmark_group("Add");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("10k_agents_with_1k_frameworks", |b| {
        let used = decline_offers_usage();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut allocator = with_frameworks(1_000, "*");
                let ((), elapsed) = timed(|| {
                    add_agents(&mut allocator, 10_000, AGENT, Some((&used, 1_000)));
                });
                total += elapsed;
            }
            total
        });
    });
    group.bench_function("3k_frameworks_in_3k_roles_with_3k_agents", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut allocator = mesos_allocator::Allocator::new(Default::default());
                add_agents(&mut allocator, 3_000, "cpus:2;mem:2048;disk:2048", None);
                let ((), elapsed) = timed(|| add_quota_frameworks(&mut allocator, 2_500, 500));
                total += elapsed;
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, decline_offers, single_role_no_filter, large_and_small_quota, adding);
criterion_main!(benches);
