//! Runs the simulation over the fixed seed lists of both profiles (so that
//! a regression shows up the same way every time), checks that together
//! they exercise every kind of input of both cores, and runs fresh seeds
//! for a bounded time (so that every run explores something new; a
//! failure prints its seed and the command that replays it).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mesos_sim::coverage::{Coverage, EXCLUDED};
use mesos_sim::{SimConfig, SimReport, run};

/// Seeds run with the default profile; the first ones are arbitrary, the
/// others once broke an invariant.
const DEFAULT_SEEDS: &[u64] = &[1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 9, 18, 29, 2006, 2106];
/// Seeds run with the busy profile, likewise.
const BUSY_SEEDS: &[u64] = &[101, 202, 303, 5157, 7023, 10213, 1227, 1315];
/// Wall time spent on fresh seeds (a debug build runs a few per second).
const FRESH_FOR: Duration = Duration::from_secs(25);

fn check(seed: u64, config: SimConfig) -> SimReport {
    match run(seed, config) {
        Ok(report) => report,
        Err(failure) => panic!("{failure}"),
    }
}

#[test]
fn fixed_seeds_keep_every_invariant_and_exercise_every_input() {
    let mut coverage = Coverage::default();
    for (seeds, config) in [(DEFAULT_SEEDS, SimConfig::default()), (BUSY_SEEDS, SimConfig::busy())] {
        for &seed in seeds {
            let report = check(seed, config.clone());
            eprintln!("{} seed {seed}: {} steps, {} faults", config.profile, report.steps, report.faults);
            coverage.merge(&report.coverage);
        }
    }
    eprintln!("coverage: {coverage:#?}");
    let missing = coverage.missing();
    assert!(missing.is_empty(), "the fixed seeds never exercised {missing:?} (excluded, with reasons: {EXCLUDED:?})");
}

#[test]
fn fresh_seeds_keep_every_invariant() {
    let base = std::env::var("MESOS_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64));
    let started = Instant::now();
    let mut runs = 0u64;
    // At least one seed of each profile, then as many as the time allows.
    while runs < 2 || started.elapsed() < FRESH_FOR {
        let seed = base.wrapping_add(runs);
        let config = if runs.is_multiple_of(2) { SimConfig::default() } else { SimConfig::busy() };
        check(seed, config);
        runs += 1;
    }
    eprintln!("{runs} fresh seeds from {base} kept every invariant");
}

#[test]
fn the_same_seed_replays_the_same_run() {
    let config = SimConfig { profile: "custom", run_for: Duration::from_secs(30), ..SimConfig::default() };
    let first = run(77, config.clone()).expect("runs");
    let second = run(77, config).expect("runs");
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
}

#[test]
fn a_failure_names_the_command_that_replays_it() {
    assert_eq!(SimConfig::busy().replay_command(42), "cargo run --release -p mesos-sim --example explore -- 42 1 busy");
    assert_eq!(SimConfig::default().replay_command(7), "cargo run --release -p mesos-sim --example explore -- 7 1");
}
