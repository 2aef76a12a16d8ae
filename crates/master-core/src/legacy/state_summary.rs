//! `/master/state-summary`: every agent and framework without their tasks,
//! with the number of tasks in each state and which agents and frameworks
//! meet, as Mesos's UI reads it.

use std::collections::BTreeMap;

use crate::{Framework, Master, Task};
use mesos_proto::v1::TaskState;
use mesos_resources::summary;
use serde_json::{Value, json};

/// The states `/master/state-summary` counts.
const COUNTED: [TaskState; 10] = [
    TaskState::TaskStaging,
    TaskState::TaskStarting,
    TaskState::TaskRunning,
    TaskState::TaskKilling,
    TaskState::TaskFinished,
    TaskState::TaskKilled,
    TaskState::TaskFailed,
    TaskState::TaskLost,
    TaskState::TaskError,
    TaskState::TaskUnreachable,
];

fn all_tasks(framework: &Framework) -> impl Iterator<Item = &Task> {
    framework.tasks.values().chain(&framework.unreachable_tasks).chain(&framework.completed_tasks)
}

fn counts<'a>(tasks: impl Iterator<Item = &'a Task>) -> BTreeMap<&'static str, u64> {
    let mut counts: BTreeMap<&'static str, u64> = COUNTED.iter().map(|s| (s.as_str_name(), 0)).collect();
    for task in tasks {
        if let Some(count) = counts.get_mut(task.state().as_str_name()) {
            *count += 1;
        }
    }
    counts
}

fn with_counts(mut object: Value, counts: BTreeMap<&'static str, u64>) -> Value {
    for (state, count) in counts {
        object[state] = json!(count);
    }
    object
}

pub fn state_summary(master: &Master, cluster: Option<&str>) -> Value {
    let frameworks: Vec<&Framework> = {
        let mut list: Vec<&Framework> = master.frameworks().collect();
        list.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        list
    };
    let mut agents: Vec<_> = master.agents().collect();
    agents.sort_by(|a, b| a.id.value.cmp(&b.id.value));
    let agent_views: Vec<Value> = agents
        .iter()
        .map(|agent| {
            let here = || frameworks.iter().flat_map(|f| all_tasks(f)).filter(|t| t.record.agent_id == agent.id);
            let mut framework_ids: Vec<&str> = frameworks
                .iter()
                .filter(|f| all_tasks(f).any(|t| t.record.agent_id == agent.id) || agent.executors.contains_key(&f.id))
                .map(|f| f.id.value.as_str())
                .collect();
            framework_ids.dedup();
            let mut object = with_counts(super::agent(master, agent), counts(here()));
            object["framework_ids"] = json!(framework_ids);
            object
        })
        .collect();
    let frameworks: Vec<Value> = frameworks
        .iter()
        .map(|framework| {
            let info = &framework.info;
            let mut agent_ids: Vec<&str> = agents
                .iter()
                .filter(|a| {
                    all_tasks(framework).any(|t| t.record.agent_id == a.id) || a.executors.contains_key(&framework.id)
                })
                .map(|a| a.id.value.as_str())
                .collect();
            agent_ids.dedup();
            let object = json!({
                "id": framework.id.value,
                "name": info.name,
                "used_resources": summary::resources(&master.framework_allocated(framework).unallocated()),
                "offered_resources": summary::resources(&master.framework_offered(framework).unallocated()),
                "capabilities": super::capability_names(info),
                "hostname": info.hostname.clone().unwrap_or_default(),
                "webui_url": info.webui_url.clone().unwrap_or_default(),
                "active": framework.active,
                "connected": framework.connected(),
                "recovered": framework.recovered,
                "slave_ids": agent_ids,
            });
            with_counts(object, counts(all_tasks(framework)))
        })
        .collect();
    let mut object = json!({
        "hostname": master.info().hostname.clone().unwrap_or_default(),
        "slaves": agent_views,
        "frameworks": frameworks,
    });
    if let Some(cluster) = cluster {
        object["cluster"] = json!(cluster);
    }
    object
}
