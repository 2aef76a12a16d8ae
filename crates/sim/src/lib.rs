//! Deterministic simulation of a whole cluster: the real master and agent
//! cores driven by virtual time, with simulated executors, frameworks, an
//! in-memory checkpoint store, and seeded faults (agent crashes and
//! restarts, partitions, framework disconnections, dying executors, lost
//! and duplicated status updates). Invariants are checked after every
//! step and at the end of a run; a failure names the seed that replays it.
//!
//! ```
//! let config = mesos_sim::SimConfig { run_for: std::time::Duration::from_secs(20), ..Default::default() };
//! mesos_sim::run(7, config).expect("the invariants hold");
//! ```

mod agent;
pub mod coverage;
pub mod disk;
mod framework;
mod invariants;
mod world;

use std::fmt;
use std::time::Duration;

pub use world::World;

/// The shape of one simulated run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub agents: usize,
    pub frameworks: usize,
    /// Virtual time with faults.
    pub run_for: Duration,
    /// Virtual time without faults before the final reconciliation.
    pub quiesce_for: Duration,
    /// Mean virtual time between two faults.
    pub fault_interval: Duration,
    /// Tasks each framework launches in all.
    pub tasks_per_framework: u64,
    /// Chance that a status update from an agent is lost, and (separately)
    /// that it arrives twice.
    pub message_fault_rate: f64,
    /// Chance that an agent's checkpoint write fails (the agent then
    /// stops and recovers from what its disk holds).
    pub checkpoint_failure_rate: f64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            agents: 4,
            frameworks: 3,
            run_for: Duration::from_secs(120),
            quiesce_for: Duration::from_secs(60),
            fault_interval: Duration::from_secs(5),
            tasks_per_framework: 30,
            message_fault_rate: 0.05,
            checkpoint_failure_rate: 0.002,
        }
    }
}

/// A broken invariant, with what is needed to replay it.
#[derive(Debug, Clone)]
pub struct SimFailure {
    pub seed: u64,
    /// Events handled before the failure.
    pub step: u64,
    /// Virtual time since the start.
    pub at: Duration,
    pub message: String,
    /// The faults injected up to then, in order.
    pub faults: Vec<String>,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seed {} broke an invariant at step {} ({:?} in): {}",
            self.seed, self.step, self.at, self.message
        )?;
        writeln!(f, "faults injected:")?;
        for fault in &self.faults {
            writeln!(f, "  {fault}")?;
        }
        write!(f, "replay with mesos_sim::run({}, config)", self.seed)
    }
}

impl std::error::Error for SimFailure {}

/// What a successful run did.
#[derive(Debug, Clone, Default)]
pub struct SimReport {
    pub steps: u64,
    pub faults: usize,
    pub master_failovers: u32,
    pub tasks_launched: usize,
    pub updates_received: usize,
    /// What the cores were given and decided, by kind.
    pub coverage: coverage::Coverage,
}

/// Runs one simulation: faults for `run_for`, then everything is brought
/// back and left alone for `quiesce_for`, then every framework reconciles
/// and the end-of-run invariants are checked.
pub fn run(seed: u64, config: SimConfig) -> Result<SimReport, SimFailure> {
    let mut world = World::new(seed, config.clone());
    world.run_until(World::start() + config.run_for)?;
    world.quiesce();
    world.run_until(world.now + config.quiesce_for)?;
    world.reconcile_everything();
    world.run_until(world.now + Duration::from_secs(5))?;
    invariants::check_end(&world).map_err(|message| world.failure(message))?;
    Ok(SimReport {
        steps: world.step,
        faults: world.faults.len(),
        master_failovers: world.failovers(),
        tasks_launched: world.frameworks.iter().map(|f| f.launched.len()).sum(),
        updates_received: world.frameworks.iter().flat_map(|f| f.received.values()).map(Vec::len).sum(),
        coverage: world.coverage.clone(),
    })
}
