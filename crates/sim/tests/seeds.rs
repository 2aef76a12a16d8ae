//! Runs the simulation over a fixed list of seeds (so that a regression
//! shows up the same way every time) and over a few fresh ones (so that
//! every run explores something new; a failure prints its seed).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_sim::{SimConfig, run};

fn check(seed: u64, config: SimConfig) {
    match run(seed, config) {
        Ok(report) => eprintln!("seed {seed}: {report:?}"),
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn fixed_seeds_keep_every_invariant() {
    for seed in [1, 2, 3, 5, 8, 13, 21, 34, 55, 89] {
        check(seed, SimConfig::default());
    }
}

#[test]
fn a_busy_cluster_with_frequent_faults() {
    let config = SimConfig {
        agents: 8,
        frameworks: 5,
        fault_interval: Duration::from_secs(1),
        message_fault_rate: 0.2,
        ..SimConfig::default()
    };
    // The first three are arbitrary; the others once broke an invariant.
    for seed in [101, 202, 303, 5157, 7023, 10213] {
        check(seed, config.clone());
    }
}

#[test]
fn fresh_seeds_keep_every_invariant() {
    let base = std::env::var("MESOS_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64));
    for offset in 0..3 {
        check(base.wrapping_add(offset), SimConfig::default());
    }
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let config = SimConfig { run_for: Duration::from_secs(30), ..SimConfig::default() };
    let first = run(77, config.clone()).expect("runs");
    let second = run(77, config).expect("runs");
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
}
