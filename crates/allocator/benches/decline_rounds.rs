//! Apache Mesos's `DeclineOffers` benchmark as Mesos runs it: `2 × F`
//! rounds in which every offer is declined with `refuse_seconds = INT_MAX`,
//! printing the time of each `allocate()` round (CPU time of the thread),
//! so that late rounds (each agent refused by almost every framework) are
//! measured too.
//!
//! `cargo bench -p mesos-allocator --bench decline_rounds` runs 10,000
//! agents × 1,000 frameworks; with `--test` (as CI runs it) a small cluster.
//! Arguments `<agents> <frameworks>` pick another size.

mod common;

use std::time::{Duration, Instant};

use common::{FOREVER, decline_offers, give_back, timed};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let test = args.iter().any(|a| a == "--test");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (agents, frameworks) = match sizes[..] {
        [a, f, ..] => (a, f),
        _ if test => (200, 20),
        _ => (10_000, 1_000),
    };
    let start = Instant::now();
    let mut allocator = decline_offers(agents, frameworks);
    println!("DeclineOffers rounds: {agents} agents, {frameworks} frameworks (set up in {:?})", start.elapsed());
    let mut now = Duration::from_secs(1_000_000);
    let mut offers = Vec::new();
    let mut times = Vec::with_capacity(2 * frameworks);
    let mut declined = 0usize;
    for round in 0..2 * frameworks {
        give_back(&mut allocator, &offers, Some(FOREVER), now);
        declined += offers.len();
        now += Duration::from_secs(1);
        let (made, elapsed) = timed(|| allocator.allocate(now));
        offers = made;
        times.push(elapsed);
        if test || round % (frameworks / 10).max(1) == 0 || round + 1 == 2 * frameworks {
            println!(
                "round {round} allocate() took {elapsed:?} to make {} offers after filtering {declined} offers",
                offers.len()
            );
        }
        if round < frameworks {
            assert_eq!(offers.len(), agents, "every agent is offered in round {round}");
        } else {
            assert!(offers.is_empty());
        }
    }
    let summary = |name: &str, times: &[Duration]| {
        let mut sorted = times.to_vec();
        sorted.sort();
        let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
        println!(
            "{name}: {} rounds, p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            sorted.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            sorted[sorted.len() - 1]
        );
    };
    summary("rounds making offers", &times[..frameworks]);
    summary("rounds with every agent refused by every framework", &times[frameworks..]);
}
