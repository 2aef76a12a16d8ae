//! The properties every simulated run must keep.
//!
//! After every step:
//! - the master did not abort, and no promise to a framework was broken as
//!   it received an update or message (order, a task's end reported once
//!   and never undone: see `framework/received.rs`), nor an answer to an
//!   operator's query contradicted the master (`queries.rs`);
//! - the master's registry is the store's; the master's and the
//!   allocator's books agree and never exceed what an agent has
//!   (`books.rs`);
//! - nothing is offered twice, across failovers too: the resources of the
//!   live tasks and executors each agent core holds never exceed the
//!   agent's resources; reserved resources are offered only to their role
//!   (`resources.rs`).
//!
//! At the end, after quiescence and a final reconciliation
//! (`tasks.rs`, `resources.rs`, `operator.rs`):
//! - frameworks, master and agents agree on every task, and every update
//!   an agent took charge of reached its framework;
//! - tasks on agents marked gone ended for their frameworks; frameworks
//!   that were torn down run nothing anywhere;
//! - each agent keeps the reservations and volumes the master has for it,
//!   and the latest info of the frameworks it runs;
//! - the operator's event stream tells the master's state.

mod books;
mod operator;
pub(crate) mod queries;
mod resources;
mod tasks;

use crate::World;

pub use books::books;

/// Checks run after every event: those about the master's state if the
/// event reached the master, those about agents if it reached an agent
/// (the others cannot have changed; most events are timers of one side).
pub fn check_step(world: &World) -> Result<(), String> {
    check_changed(world, world.master_changed, world.agents_changed)
}

fn check_changed(world: &World, master: bool, agents: bool) -> Result<(), String> {
    if let Some(message) = &world.aborted {
        return Err(format!("the master aborted: {message}"));
    }
    if let Some(message) = &world.violation {
        return Err(message.clone());
    }
    if let Some(message) = world.frameworks.iter().find_map(|f| f.violation.as_ref()) {
        return Err(message.clone());
    }
    if master {
        books::check_registry(world)?;
        books::check_books(world)?;
        resources::check_reserved_offers(world)?;
    }
    if master || agents {
        // Which frameworks were removed is the master's.
        resources::check_agent_capacity(world)?;
    }
    Ok(())
}

/// Checks at the end of a run, after quiescence and reconciliation.
pub fn check_end(world: &World) -> Result<(), String> {
    check_changed(world, true, true)?;
    tasks::check_nothing_lost(world)?;
    tasks::check_agreement(world)?;
    tasks::check_gone_agents(world)?;
    tasks::check_torn_down(world)?;
    resources::check_checkpointed_resources(world)?;
    resources::check_framework_infos(world)?;
    operator::check_operator_view(world)
}
