//! Deterministic simulation of a whole cluster: the real master and agent
//! cores driven through their one door each (`Master::handle`,
//! `Agent::handle`) in virtual time, with simulated executors, frameworks
//! and an operator, an in-memory checkpoint store and registry, and
//! seeded faults. Invariants are checked after every step and at the end
//! of a run; a failure names the seed and the command that replays it.
//!
//! What a run does (see `README.md` beside this crate for the whole list):
//! - frameworks launch tasks and task groups (on a default executor),
//!   message executors, kill tasks, shut executors down, update their
//!   info, answer inverse offers and reconcile; one works in a role with
//!   reserved resources; a short-lived one is torn down;
//! - the operator reserves resources and makes volumes, schedules
//!   maintenance and takes machines down, drains, deactivates and
//!   reactivates agents, sets weights and quota, marks an agent gone,
//!   kills tasks, follows the event stream and queries the state;
//! - faults: agent crashes and restarts, partitions, framework
//!   disconnections, dying executors, containers that fail to start or go
//!   over a limit, executor streams that close, lost and duplicated
//!   updates, checkpoint writes that fail or are lost in a crash, master
//!   failovers that recover from the registry.
//!
//! [`coverage::Coverage`] counts the inputs each core was given, so that a
//! test shows every kind is exercised ([`coverage::EXCLUDED`] lists the
//! ones that cannot occur, and why).
//!
//! ```
//! let config = mesos_sim::SimConfig { run_for: std::time::Duration::from_secs(20), ..Default::default() };
//! mesos_sim::run(7, config).expect("the invariants hold");
//! ```

mod agent;
mod config;
pub mod coverage;
pub mod disk;
mod framework;
mod invariants;
mod operator;
mod world;

use std::fmt;
use std::time::Duration;

pub use config::SimConfig;
pub use world::World;

/// A broken invariant, with what is needed to replay it.
#[derive(Debug, Clone)]
pub struct SimFailure {
    pub seed: u64,
    /// Events handled before the failure.
    pub step: u64,
    /// Virtual time since the start.
    pub at: Duration,
    pub message: String,
    /// The faults injected (and what the operator did) up to then, in
    /// order.
    pub faults: Vec<String>,
    /// The command that replays the run.
    pub replay: String,
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
        write!(f, "replay with: {}  (MESOS_SIM_TRACE=1 prints every event)", self.replay)
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
    pub messages_received: usize,
    /// Operator calls made, and how many the master refused.
    pub operator_calls: u64,
    pub operator_refusals: u64,
    /// Agents the master shut down and that were wiped.
    pub agent_wipes: u32,
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
        messages_received: world.frameworks.iter().map(|f| f.messages.len()).sum(),
        operator_calls: world.operator.calls,
        operator_refusals: world.operator.refused,
        agent_wipes: world.agents.iter().map(|a| a.wipes).sum(),
        coverage: world.coverage.clone(),
    })
}
