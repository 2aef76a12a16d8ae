//! Answers to the operator's queries against the master's own accessors:
//! GET_STATE, GET_AGENTS and GET_MAINTENANCE_STATUS, and the legacy
//! `/master/state`, must list exactly the agents, frameworks and tasks (in
//! their states) the master has.

use std::collections::BTreeSet;

use mesos_master_core::Master;
use mesos_proto::v1::TaskState;
use mesos_proto::v1::master::{Response, response};
use serde_json::Value;

type TaskKey = (String, String, i32);

fn agents(master: &Master) -> BTreeSet<String> {
    master.agents().map(|a| a.id.value.clone()).collect()
}

fn frameworks(master: &Master) -> BTreeSet<String> {
    master.frameworks().map(|f| f.id.value.clone()).collect()
}

/// Active tasks: (framework, task, state).
fn tasks(master: &Master) -> BTreeSet<TaskKey> {
    master
        .frameworks()
        .flat_map(|f| f.tasks.values().map(|t| (f.id.value.clone(), t.record.task_id.value.clone(), t.record.state)))
        .collect()
}

/// Tasks on unreachable agents, of frameworks active or removed (GET_TASKS
/// lists both).
fn unreachable_tasks(master: &Master) -> BTreeSet<TaskKey> {
    master
        .frameworks()
        .chain(master.completed_frameworks())
        .flat_map(|f| {
            f.unreachable_tasks.iter().map(|t| (f.id.value.clone(), t.record.task_id.value.clone(), t.record.state))
        })
        .collect()
}

fn differ<T: std::fmt::Debug + Ord>(what: &str, answered: &BTreeSet<T>, master: &BTreeSet<T>) -> Result<(), String> {
    if answered == master {
        return Ok(());
    }
    let extra: Vec<&T> = answered.difference(master).collect();
    let missing: Vec<&T> = master.difference(answered).collect();
    Err(format!("the operator was told of {what} the master does not have {extra:?}, and not of {missing:?}"))
}

/// An operator API response.
pub(crate) fn check_response(master: &Master, answer: &Response) -> Result<(), String> {
    match answer.r#type.and_then(|t| response::Type::try_from(t).ok()) {
        Some(response::Type::GetState) => {
            let state = answer.get_state.as_ref().ok_or("GET_STATE without get_state")?;
            let answered_agents: BTreeSet<String> = state
                .get_agents
                .iter()
                .flat_map(|a| &a.agents)
                .filter_map(|a| a.agent_info.id.as_ref().map(|id| id.value.clone()))
                .collect();
            differ("agents", &answered_agents, &agents(master))?;
            let answered_frameworks: BTreeSet<String> = state
                .get_frameworks
                .iter()
                .flat_map(|f| &f.frameworks)
                .filter_map(|f| f.framework_info.id.as_ref().map(|id| id.value.clone()))
                .collect();
            differ("frameworks", &answered_frameworks, &frameworks(master))?;
            let get_tasks = state.get_tasks.clone().unwrap_or_default();
            let key = |t: &mesos_proto::v1::Task| (t.framework_id.value.clone(), t.task_id.value.clone(), t.state);
            differ("tasks", &get_tasks.tasks.iter().map(key).collect(), &tasks(master))?;
            differ(
                "unreachable tasks",
                &get_tasks.unreachable_tasks.iter().map(key).collect(),
                &unreachable_tasks(master),
            )
        }
        Some(response::Type::GetAgents) => {
            let list = answer.get_agents.as_ref().ok_or("GET_AGENTS without get_agents")?;
            for agent in &list.agents {
                let Some(id) = agent.agent_info.id.as_ref() else { return Err("an agent without an id".into()) };
                let Some(known) = master.agent(id) else {
                    return Err(format!("GET_AGENTS lists agent {} the master does not have", id.value));
                };
                if agent.active != (known.active && known.connected()) || agent.drain_info != known.drain_info {
                    return Err(format!("GET_AGENTS tells agent {} otherwise than the master has it", id.value));
                }
            }
            let answered: BTreeSet<String> =
                list.agents.iter().filter_map(|a| a.agent_info.id.as_ref().map(|id| id.value.clone())).collect();
            differ("agents", &answered, &agents(master))
        }
        Some(response::Type::GetMaintenanceStatus) => {
            let status = answer.get_maintenance_status.as_ref().ok_or("no get_maintenance_status")?;
            let down: BTreeSet<String> = status.status.down_machines.iter().map(|m| format!("{m:?}")).collect();
            let expected: BTreeSet<String> =
                master.maintenance_status().down_machines.iter().map(|m| format!("{m:?}")).collect();
            differ("machines down", &down, &expected)
        }
        _ => Ok(()),
    }
}

/// The legacy `/master/state`.
pub(crate) fn check_state(master: &Master, state: &Value) -> Result<(), String> {
    let ids = |list: &Value| -> BTreeSet<String> {
        list.as_array().into_iter().flatten().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect()
    };
    differ("agents (slaves)", &ids(&state["slaves"]), &agents(master))?;
    differ("frameworks", &ids(&state["frameworks"]), &frameworks(master))?;
    let mut answered = BTreeSet::new();
    for framework in state["frameworks"].as_array().into_iter().flatten() {
        let framework_id = framework["id"].as_str().unwrap_or_default();
        for task in framework["tasks"].as_array().into_iter().flatten() {
            let state = task["state"].as_str().and_then(TaskState::from_str_name).map_or(-1, |s| s as i32);
            answered.insert((framework_id.to_owned(), task["id"].as_str().unwrap_or_default().to_owned(), state));
        }
    }
    differ("tasks", &answered, &tasks(master))
}
