//! The properties every simulated run must keep: after each step the
//! master's and the allocator's books agree and never exceed what agents
//! have, and frameworks see each task's updates in the order executors
//! sent them; at the end, after quiescence and reconciliation, frameworks,
//! master and agents agree on every task and no update was lost.

use std::collections::BTreeMap;

use mesos_proto::v1::{AgentId, TaskId, TaskState};
use mesos_resources::Resources;

use crate::World;

/// Checks run after every event.
pub fn check_step(world: &World) -> Result<(), String> {
    if let Some(message) = &world.aborted {
        return Err(format!("the master aborted: {message}"));
    }
    check_registry(world)?;
    check_books(world)?;
    check_update_order(world)
}

/// The master's registry is the store's, less what is still being written;
/// every agent the master counts is admitted.
fn check_registry(world: &World) -> Result<(), String> {
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
fn check_books(world: &World) -> Result<(), String> {
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
fn summary(resources: &Resources) -> String {
    resources.scalar_quantities().iter().map(|(name, value)| format!("{name}:{value}")).collect::<Vec<_>>().join(";")
}

/// Updates that came from executors arrive in the order they were sent
/// (a resent one may arrive again, never after a later one).
fn check_update_order(world: &World) -> Result<(), String> {
    for framework in &world.frameworks {
        for (task, received) in &framework.received {
            let generations: Vec<u64> = received.iter().filter_map(|r| r.generation).collect();
            if generations.windows(2).any(|pair| pair[1] < pair[0]) {
                return Err(format!("{} saw the updates of {task} out of order: {generations:?}", framework.info.name));
            }
        }
    }
    Ok(())
}

/// Checks at the end of a run, after quiescence and reconciliation.
pub fn check_end(world: &World) -> Result<(), String> {
    check_books(world)?;
    check_nothing_lost(world)?;
    check_agreement(world)
}

/// Every update an agent accepted from an executor reached the framework,
/// or is still waiting in an agent to be sent again (the agent's retries
/// back off up to ten minutes, so an update that found its framework
/// disconnected may still be on its way).
fn check_nothing_lost(world: &World) -> Result<(), String> {
    for framework in &world.frameworks {
        let Some(id) = framework.id.as_ref() else { continue };
        let tasks = world.generated.iter().filter(|((f, _), _)| *f == id.value);
        for ((_, task), generated) in tasks {
            let received = framework.received.get(task).map(Vec::as_slice).unwrap_or_default();
            let task_id = TaskId { value: task.clone() };
            let waiting: Vec<u64> = world
                .agents
                .iter()
                .filter_map(|agent| agent.core.as_ref())
                .flat_map(|core| core.unacknowledged_updates(id, &task_id))
                .filter_map(crate::framework::generation)
                .collect();
            for (generation, state) in generated {
                if !received.iter().any(|r| r.generation == Some(*generation)) && !waiting.contains(generation) {
                    return Err(format!(
                        "{}: update {generation} ({state:?}) of {task} was accepted by an agent but never delivered; received {received:?}",
                        framework.info.name
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Frameworks, the master and the agents agree on every task.
fn check_agreement(world: &World) -> Result<(), String> {
    // What runs on the agents, by (framework, task).
    let mut running: BTreeMap<(String, String), (AgentId, TaskState)> = BTreeMap::new();
    for agent in &world.agents {
        let Some(agent_id) = agent.core.as_ref().and_then(|core| core.agent_id().cloned()) else { continue };
        for executor in agent.executors.values() {
            for (task, state) in &executor.tasks {
                running.insert((executor.framework_id.value.clone(), task.clone()), (agent_id.clone(), *state));
            }
        }
    }
    for framework in &world.frameworks {
        let Some(id) = framework.id.as_ref() else { continue };
        let Some(master_view) = world.master.framework(id) else {
            return Err(format!("{} is unknown to the master", framework.info.name));
        };
        for task in framework.launched.keys() {
            let active = master_view.tasks.values().find(|t| &t.record.task_id.value == task);
            let ended = master_view
                .completed_tasks
                .iter()
                .chain(master_view.unreachable_tasks.iter())
                .rev()
                .find(|t| &t.record.task_id.value == task);
            let Some(known) = active.or(ended) else { continue };
            let received = framework.received.get(task).map(Vec::as_slice).unwrap_or_default();
            // The final reconciliation answered with the master's state for
            // active tasks; an ended one must have been reported in its end
            // state at some point.
            // Reconciliation reports the state of the update awaiting
            // acknowledgement when there is one, as Mesos does.
            let told = match active {
                Some(task) => {
                    let reported = task.record.status_update_state.unwrap_or(task.record.state);
                    received.last().is_some_and(|r| r.state as i32 == reported)
                }
                None => received.iter().any(|r| r.state == known.state()),
            };
            if !told {
                return Err(format!(
                    "{} ({}): the master has {task} in {:?} ({}), the framework heard {:?}",
                    framework.info.name,
                    id.value,
                    known.state(),
                    if active.is_some() { "active" } else { "ended" },
                    received.iter().map(|r| r.state).collect::<Vec<_>>()
                ) + &format!(
                    "; its updates: {:?}, awaiting acknowledgement: {:?}",
                    known
                        .record
                        .statuses
                        .iter()
                        .map(|s| (s.state, crate::framework::generation(s)))
                        .collect::<Vec<_>>(),
                    known.record.status_update_state
                ));
            }
            if let Some(record) = active
                && !record.is_terminal()
            {
                let on_agent = running.get(&(id.value.clone(), task.clone()));
                let here =
                    on_agent.is_some_and(|(agent, state)| &record.record.agent_id == agent && !state.is_terminal());
                // An update still waiting in the agent's retries will tell
                // the master the task ended.
                let task_id = TaskId { value: task.clone() };
                let ending = world
                    .agents
                    .iter()
                    .filter_map(|agent| agent.core.as_ref())
                    .any(|core| !core.unacknowledged_updates(id, &task_id).is_empty());
                if !here && !ending && known.state() == TaskState::TaskRunning {
                    return Err(format!(
                        "{}: the master has {task} running, but its agent does not run it ({on_agent:?})",
                        framework.info.name
                    ));
                }
            }
        }
    }
    Ok(())
}
