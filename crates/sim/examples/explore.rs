//! Runs the simulation over many seeds and reports the ones that break an
//! invariant: `cargo run --release -p mesos-sim --example explore -- FIRST COUNT [busy]`.
//! Replay one with `MESOS_SIM_TRACE=1` to see every event;
//! `MESOS_SIM_VERBOSE=1` prints what each passing seed did.

use std::time::Duration;

use mesos_sim::{SimConfig, run};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let first: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let count: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100);
    let config = if args.get(3).is_some_and(|s| s == "busy") {
        SimConfig {
            agents: 8,
            frameworks: 5,
            fault_interval: Duration::from_secs(1),
            message_fault_rate: 0.2,
            ..SimConfig::default()
        }
    } else {
        SimConfig::default()
    };
    let mut failures = 0;
    let verbose = std::env::var_os("MESOS_SIM_VERBOSE").is_some();
    for seed in first..first + count {
        match run(seed, config.clone()) {
            Ok(report) if verbose => println!("seed {seed}: {report:?}"),
            Ok(_) => {}
            Err(failure) => {
                failures += 1;
                println!("{failure}\n");
            }
        }
    }
    println!("{failures} of {count} seeds broke an invariant");
    if failures > 0 {
        std::process::exit(1);
    }
}
