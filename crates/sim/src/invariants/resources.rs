//! Resources as the agents hold them: never more than an agent has (so
//! nothing was offered twice, across failovers too), reserved resources
//! offered only to their role, and at the end the reservations, volumes
//! and framework infos each agent keeps are the master's.

use mesos_proto::v1::FrameworkId;
use mesos_resources::{Resources, role};

use crate::World;

/// What the agent core holds for live work: the resources of every task
/// not yet terminal (queued or launched) and of every executor the master
/// accounts for (the command executor's own are the agent's business, as
/// in Mesos), but for frameworks a master removed: Mesos gives their
/// resources back at removal, while their executors are still shutting
/// down (whether they do is checked at the end).
fn held_by(core: &mesos_agent_core::Agent, removed: &[FrameworkId]) -> Resources {
    let mut held = Resources::new();
    let parse = |resources: &[mesos_proto::v1::Resource]| Resources::from_proto(resources).unwrap_or_default();
    for framework in core.frameworks() {
        if framework.info.id.as_ref().is_some_and(|id| removed.contains(id)) {
            continue;
        }
        for executor in framework.executors.values() {
            if !executor.command_executor {
                held.add(&parse(&executor.info.resources));
            }
            for task in executor.tasks.values().filter(|t| !t.state.is_terminal()) {
                held.add(&parse(&task.info.resources));
            }
            for task in executor.queued.iter().flat_map(|q| q.tasks()) {
                held.add(&parse(&task.resources));
            }
        }
    }
    held
}

/// The live work each agent core holds fits in the agent: had a master
/// offered resources twice (say, before an agent's tasks were known again
/// after a failover), some agent would be asked to run more than it has.
pub(super) fn check_agent_capacity(world: &World) -> Result<(), String> {
    let total = World::agent_resources();
    // Removed by this master, or by an earlier one (the short-lived
    // framework, torn down).
    let removed: Vec<FrameworkId> = world
        .master
        .completed_frameworks()
        .map(|f| f.id.clone())
        .chain(world.frameworks.iter().filter(|f| f.finished).filter_map(|f| f.id.clone()))
        .collect();
    for (index, agent) in world.agents.iter().enumerate() {
        let Some(core) = agent.core.as_ref() else { continue };
        let held = held_by(core, &removed);
        for (name, amount) in held.scalar_quantities() {
            if amount > total.scalar(&name) {
                return Err(format!(
                    "agent {index} runs tasks and executors holding {amount} {name}, more than its {}",
                    total.scalar(&name)
                ));
            }
        }
    }
    Ok(())
}

/// Every outstanding offer is for one of its framework's roles, and holds
/// reserved resources only of that role (or of one of its ancestors).
pub(super) fn check_reserved_offers(world: &World) -> Result<(), String> {
    for offer in world.master.offers() {
        if let Some(framework) = world.master.framework(&offer.framework)
            && !framework.roles.contains(&offer.role)
        {
            return Err(format!(
                "offer {} is for role '{}', not one of {}'s roles {:?}",
                offer.id.value, offer.role, offer.framework.value, framework.roles
            ));
        }
        for resource in offer.resources.iter() {
            let Some(owner) = resource.reservation_role() else { continue };
            if owner != offer.role && !role::is_strict_subrole(&offer.role, owner) {
                return Err(format!(
                    "offer {} to {} in role '{}' holds {resource}, reserved to '{owner}'",
                    offer.id.value, offer.framework.value, offer.role
                ));
            }
        }
    }
    Ok(())
}

/// Each registered agent keeps the reservations and volumes the master has
/// for it.
pub(super) fn check_checkpointed_resources(world: &World) -> Result<(), String> {
    for (index, agent) in world.agents.iter().enumerate() {
        let (Some(core), Some(_)) = (agent.core.as_ref(), agent.stream.as_ref()) else { continue };
        let Some(master_view) = core.agent_id().and_then(|id| world.master.agent(id)) else { continue };
        if !core.is_registered() {
            continue;
        }
        let kept = Resources::from_proto(core.checkpointed_resources()).unwrap_or_default();
        let expected = master_view.total.checkpointed().unallocated();
        if !(kept.contains(&expected) && expected.contains(&kept)) {
            return Err(format!(
                "agent {index} keeps reservations and volumes {kept}, the master has {expected} for it"
            ));
        }
    }
    Ok(())
}

/// Each registered agent knows the latest info of the frameworks it runs
/// (the one the framework last subscribed or updated with).
pub(super) fn check_framework_infos(world: &World) -> Result<(), String> {
    for framework in world.master.frameworks().filter(|f| f.connected() && !f.recovered) {
        for (index, agent) in world.agents.iter().enumerate() {
            let Some(core) = agent.core.as_ref().filter(|core| core.is_registered()) else { continue };
            let Some(known) = core.frameworks().find(|f| f.info.id.as_ref() == Some(&framework.id)) else { continue };
            if known.info.labels != framework.info.labels || known.info.name != framework.info.name {
                return Err(format!(
                    "agent {index} knows {} with labels {:?}, the framework's are {:?}",
                    framework.id.value, known.info.labels, framework.info.labels
                ));
            }
        }
    }
    Ok(())
}
