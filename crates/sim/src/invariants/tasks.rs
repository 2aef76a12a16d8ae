//! What frameworks, the master and the agents know of tasks at the end of
//! a run: the same thing, with nothing an agent took charge of lost; tasks
//! on agents marked gone ended for their frameworks; frameworks torn down
//! run nothing.

use std::collections::BTreeMap;

use mesos_proto::v1::{AgentId, TaskId, TaskState};

use crate::World;

/// Every update an agent took charge of (acknowledged to its executor)
/// reached the framework, or is still waiting in an agent to be sent again
/// (the agent's retries back off up to ten minutes, so an update that
/// found its framework disconnected may still be on its way), or was lost
/// with its agent's machine when the master shut the agent down and the
/// machine was wiped. A framework that was torn down is owed nothing.
pub(super) fn check_nothing_lost(world: &World) -> Result<(), String> {
    for framework in world.frameworks.iter().filter(|f| !f.finished) {
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
            for crate::world::Generated { generation, state, agent, wipes } in generated {
                let wiped = world.agents[*agent].wipes > *wipes;
                if !received.iter().any(|r| r.generation == Some(*generation))
                    && !waiting.contains(generation)
                    && !wiped
                {
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
pub(super) fn check_agreement(world: &World) -> Result<(), String> {
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
    for framework in world.frameworks.iter().filter(|f| !f.finished) {
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
            // active tasks: the state of the update awaiting acknowledgement
            // when there is one, as Mesos does. An ended one must have been
            // reported in its end state at some point, unless no one could
            // deliver that end reliably any more: an end the master made
            // itself (it sends those once, to the framework if connected,
            // as Mesos does), or one whose agent was removed before the
            // framework acknowledged it. Then the framework knows what
            // reconciliation answers for a task the master no longer
            // tracks.
            let told = match active {
                Some(task) => {
                    let reported = task.record.status_update_state.unwrap_or(task.record.state);
                    received.last().is_some_and(|r| r.state as i32 == reported)
                }
                None => {
                    let made_by_master = known.record.statuses.last().is_some_and(|s| s.uuid.is_none());
                    let agent_removed = world.master.agent(&known.record.agent_id).is_none();
                    let answer = unknown_task_answer(world, &known.record.agent_id, framework.partition_aware());
                    received.iter().any(|r| r.state == known.state())
                        || ((made_by_master || agent_removed) && received.last().map(|r| Some(r.state)) == Some(answer))
                }
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

/// What reconciliation answers for a task the master does not track, by
/// what it knows of the task's agent (nothing while the agent may still
/// re-register after a failover).
fn unknown_task_answer(world: &World, agent: &AgentId, partition_aware: bool) -> Option<TaskState> {
    let master = &world.master;
    let state = if master.recovered_agents().any(|info| info.id.as_ref() == Some(agent)) {
        return None;
    } else if master.registry().is_gone(agent) {
        TaskState::TaskGoneByOperator
    } else if master.agent(agent).is_some() {
        TaskState::TaskGone
    } else if master.registry().is_unreachable(agent) {
        TaskState::TaskUnreachable
    } else {
        TaskState::TaskUnknown
    };
    Some(if partition_aware { state } else { TaskState::TaskLost })
}

/// Tasks on an agent the operator marked gone ended for their frameworks:
/// the final reconciliation answers TASK_GONE_BY_OPERATOR (TASK_LOST for
/// a framework that is not partition-aware) for each.
pub(super) fn check_gone_agents(world: &World) -> Result<(), String> {
    let gone: Vec<AgentId> = world.master.gone_agents().map(|(id, _)| id).collect();
    for framework in world.frameworks.iter().filter(|f| !f.finished && f.id.is_some()) {
        let expected = if framework.partition_aware() { TaskState::TaskGoneByOperator } else { TaskState::TaskLost };
        for (task, agent) in &framework.launched {
            if !gone.iter().any(|g| g.value == *agent) {
                continue;
            }
            let last = framework.last_state(task);
            if last != Some(expected) {
                return Err(format!(
                    "{}: {task} was on agent {agent}, marked gone, but the framework last heard {last:?}, not {expected:?}",
                    framework.name()
                ));
            }
        }
    }
    Ok(())
}

/// A framework that was torn down runs nothing: no executor of it is
/// alive on an agent, and the master has no task of it.
pub(super) fn check_torn_down(world: &World) -> Result<(), String> {
    for framework in world.frameworks.iter().filter(|f| f.finished) {
        let Some(id) = framework.id.as_ref() else { continue };
        for (index, agent) in world.agents.iter().enumerate() {
            if let Some((container, _)) = agent.executors.iter().find(|(_, e)| e.framework_id == *id) {
                return Err(format!(
                    "{} ({}) was torn down, but its executor in container {container} still runs on agent {index}",
                    framework.name(),
                    id.value
                ));
            }
            let live = agent
                .core
                .as_ref()
                .into_iter()
                .flat_map(|core| core.frameworks())
                .any(|f| f.info.id.as_ref() == Some(id) && !f.executors.is_empty());
            if live {
                return Err(format!(
                    "{} ({}) was torn down, but agent {index} still has executors of it",
                    framework.name(),
                    id.value
                ));
            }
        }
        if let Some(known) = world.master.framework(id)
            && !known.tasks.is_empty()
        {
            return Err(format!("{} was torn down, but the master still has tasks of it", framework.name()));
        }
    }
    Ok(())
}
