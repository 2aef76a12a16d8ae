//! Apache Mesos's `CommonSorterTest.BENCHMARK_FullSort` for the DRF sorter:
//! 1,000 clients over 50,000 agents; allocations for every agent added one
//! by one, a full sort (a pass over every client), and the allocations
//! removed one by one. Times are the thread's CPU time.

mod common;

use std::time::Duration;

use common::timed;
use criterion::{Criterion, criterion_group, criterion_main};
use mesos_allocator::sorter::Sorter;

const AGENTS: usize = 50_000;
const CLIENTS: usize = 1_000;
/// One agent's `cpus:24;mem:4096;disk:4096` in thousandths.
const AGENT: [i64; 3] = [24_000, 4_096_000, 4_096_000];
/// What each agent gives its client: `cpus:16;mem:1024;disk:1024`.
const SHARE: [i64; 3] = [16_000, 1_024_000, 1_024_000];

fn sorter() -> Sorter {
    let mut sorter = Sorter::drf(false, 0);
    for client in 0..CLIENTS {
        sorter.add(client, &format!("framework-{client}"));
        sorter.activate(client);
    }
    let total: Vec<i64> = AGENT.iter().map(|&q| q * AGENTS as i64).collect();
    sorter.set_total(&total);
    sorter.start();
    sorter
}

fn add_all(sorter: &mut Sorter) {
    for agent in 0..AGENTS {
        sorter.allocated(agent % CLIENTS, &SHARE);
    }
}

fn full_sort(c: &mut Criterion) {
    let mut group = c.benchmark_group("Sorter/FullSort_50k_agents_1k_clients");
    group.sample_size(10);
    group.bench_function("add_allocations", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let mut sorter = sorter();
                    timed(|| add_all(&mut sorter)).1
                })
                .sum()
        });
    });
    group.bench_function("full_sort", |b| {
        let mut sorter = sorter();
        add_all(&mut sorter);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (count, elapsed) = timed(|| {
                    sorter.start();
                    std::iter::from_fn(|| sorter.next()).count()
                });
                assert_eq!(count, CLIENTS);
                total += elapsed;
            }
            total
        });
    });
    group.bench_function("remove_allocations", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let mut sorter = sorter();
                    add_all(&mut sorter);
                    timed(|| {
                        for agent in 0..AGENTS {
                            sorter.unallocated(agent % CLIENTS, &SHARE);
                        }
                    })
                    .1
                })
                .sum()
        });
    });
    group.finish();
}

criterion_group!(benches, full_sort);
criterion_main!(benches);
