//! Runs the simulation over many seeds and reports the ones that break an
//! invariant: `cargo run --release -p mesos-sim --example explore -- FIRST COUNT [busy]`.
//! Replay one with `MESOS_SIM_TRACE=1` to see every event;
//! `MESOS_SIM_VERBOSE=1` prints what each passing seed did, and the
//! coverage of all of them and the seeds per second at the end.

use std::time::Instant;

use mesos_sim::coverage::Coverage;
use mesos_sim::{SimConfig, run};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let first: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let count: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let profile = args.get(3).map_or("default", String::as_str);
    let Some(config) = SimConfig::profile(profile) else {
        eprintln!("unknown profile '{profile}' (default or busy)");
        std::process::exit(2);
    };
    let mut failures = 0;
    let verbose = std::env::var_os("MESOS_SIM_VERBOSE").is_some();
    let mut coverage = Coverage::default();
    let started = Instant::now();
    for seed in first..first + count {
        match run(seed, config.clone()) {
            Ok(report) => {
                if verbose {
                    println!("seed {seed}: {report:?}");
                }
                coverage.merge(&report.coverage);
            }
            Err(failure) => {
                failures += 1;
                println!("{failure}\n");
            }
        }
    }
    if verbose {
        println!("coverage: {coverage:#?}");
        println!("never exercised: {:?}", coverage.missing());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{failures} of {count} seeds broke an invariant ({profile}, {:.2} seeds/s)",
        count as f64 / elapsed.max(f64::EPSILON)
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
