//! The master's books: its registry is the store's (less what is still
//! being written), and its per-agent books of resources offered and used
//! agree with the allocator's and never exceed an agent's total.

use std::collections::BTreeMap;

use mesos_resources::Resources;

use crate::World;

/// The master's registry is the store's, less what is still being written;
/// every agent the master counts is admitted.
pub(super) fn check_registry(world: &World) -> Result<(), String> {
    for agent in world.master.agents() {
        if !world.registry.is_admitted(&agent.id) {
            return Err(format!("agent {} is in the cluster but not admitted by the registry", agent.id.value));
        }
    }
    for (id, _) in world.master.unreachable_agents() {
        if !world.registry.is_unreachable(&id) {
            return Err(format!("agent {} is unreachable for the master but not in the registry", id.value));
        }
    }
    Ok(())
}

/// The master's per-agent books against the allocator's.
pub(super) fn check_books(world: &World) -> Result<(), String> {
    let allocator = world.master.allocator();
    let mut held: BTreeMap<String, Resources> = BTreeMap::new();
    let mut by_framework: BTreeMap<String, Vec<(String, Resources)>> = BTreeMap::new();
    for framework in world.master.frameworks() {
        for (agent, resources) in allocator.allocated_to(&framework.id) {
            held.entry(agent.value.clone()).or_default().add(&resources.unallocated());
            by_framework.entry(agent.value).or_default().push((framework.id.value.clone(), resources.unallocated()));
        }
    }
    for agent in world.master.agents() {
        let total = agent.total.unallocated();
        let offered = agent.offered.unallocated();
        let used = agent.used_total().unallocated();
        let busy = offered.plus(&used);
        if !total.contains(&busy) {
            return Err(format!(
                "agent {}: offered {offered:?} and used {used:?} exceed its total {total:?}",
                agent.id.value
            ));
        }
        if !agent.active {
            continue;
        }
        let known = allocator.agent_total(&agent.id).map(|t| t.unallocated());
        if !known.as_ref().is_some_and(|known| known.contains(&total) && total.contains(known)) {
            return Err(format!(
                "agent {}: the allocator's total {known:?} is not the master's {total:?}",
                agent.id.value
            ));
        }
        let allocated = held.remove(&agent.id.value).unwrap_or_default();
        if !(allocated.contains(&busy) && busy.contains(&allocated)) {
            let master: Vec<String> = agent
                .used
                .iter()
                .map(|(framework, used)| format!("{} uses {}", framework.value, summary(used)))
                .chain([format!("offered {}", summary(&agent.offered))])
                .collect();
            let allocator: Vec<String> = by_framework
                .remove(&agent.id.value)
                .unwrap_or_default()
                .iter()
                .map(|(framework, held)| format!("{framework} holds {}", summary(held)))
                .collect();
            return Err(format!(
                "agent {}: the allocator's books ({}) differ from the master's ({})",
                agent.id.value,
                allocator.join(", "),
                master.join(", ")
            ));
        }
    }
    Ok(())
}

/// The master's and the allocator's books, for traces.
pub fn books(world: &World) -> String {
    let allocator = world.master.allocator();
    let mut lines = Vec::new();
    for agent in world.master.agents() {
        let mut line = format!("    {}: master", agent.id.value);
        for (framework, used) in &agent.used {
            line += &format!(" {} uses {}", framework.value, summary(used));
        }
        line += &format!(" offered {}; allocator", summary(&agent.offered));
        for framework in world.master.frameworks() {
            for (held_on, held) in allocator.allocated_to(&framework.id) {
                if held_on == agent.id {
                    line += &format!(" {} holds {}", framework.id.value, summary(&held));
                }
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// Resources in a short form for messages.
pub(super) fn summary(resources: &Resources) -> String {
    resources.scalar_quantities().iter().map(|(name, value)| format!("{name}:{value}")).collect::<Vec<_>>().join(";")
}
