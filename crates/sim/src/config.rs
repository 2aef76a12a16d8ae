//! The shape of a simulated run, and the named profiles that CI and the
//! explore example run (so that a failure can print the exact command that
//! replays it).

use std::time::Duration;

/// The shape of one simulated run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The profile's name (`default`, `busy`), or `custom` for a shape no
    /// profile has: a failure prints the command that replays it.
    pub profile: &'static str,
    pub agents: usize,
    /// Long-lived frameworks (a short-lived one comes and goes besides).
    pub frameworks: usize,
    /// Virtual time with faults.
    pub run_for: Duration,
    /// Virtual time without faults before the final reconciliation.
    pub quiesce_for: Duration,
    /// Mean virtual time between two faults.
    pub fault_interval: Duration,
    /// Mean virtual time between two things the operator does.
    pub operator_interval: Duration,
    /// Tasks each framework launches in all.
    pub tasks_per_framework: u64,
    /// Chance that a status update from an agent is lost, and (separately)
    /// that it arrives twice.
    pub message_fault_rate: f64,
    /// Chance that an agent's checkpoint write fails (the agent then
    /// stops and recovers from what its disk holds).
    pub checkpoint_failure_rate: f64,
    /// Chance that a container cannot be started.
    pub launch_failure_rate: f64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            profile: "default",
            agents: 4,
            frameworks: 3,
            run_for: Duration::from_secs(120),
            quiesce_for: Duration::from_secs(60),
            fault_interval: Duration::from_secs(5),
            operator_interval: Duration::from_secs(4),
            tasks_per_framework: 30,
            message_fault_rate: 0.05,
            checkpoint_failure_rate: 0.002,
            launch_failure_rate: 0.03,
        }
    }
}

impl SimConfig {
    /// A larger cluster with frequent faults and lossy links.
    pub fn busy() -> SimConfig {
        SimConfig {
            profile: "busy",
            agents: 8,
            frameworks: 5,
            fault_interval: Duration::from_secs(1),
            operator_interval: Duration::from_secs(2),
            message_fault_rate: 0.2,
            ..SimConfig::default()
        }
    }

    /// The profile of this name.
    pub fn profile(name: &str) -> Option<SimConfig> {
        match name {
            "default" => Some(SimConfig::default()),
            "busy" => Some(SimConfig::busy()),
            _ => None,
        }
    }

    /// How to replay `seed` with this configuration.
    pub fn replay_command(&self, seed: u64) -> String {
        match self.profile {
            "default" => format!("cargo run --release -p mesos-sim --example explore -- {seed} 1"),
            "busy" => format!("cargo run --release -p mesos-sim --example explore -- {seed} 1 busy"),
            _ => format!("mesos_sim::run({seed}, config) with the test's config"),
        }
    }
}
