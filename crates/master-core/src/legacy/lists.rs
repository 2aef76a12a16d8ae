//! `/master/frameworks`, `/master/slaves` and `/master/tasks`: lists of the
//! legacy views, filtered and ordered as the endpoints' parameters ask.

use serde_json::{Value, json};

use crate::Master;
use crate::input::TaskQuery;

/// `/master/frameworks`: every framework, or the one asked for.
pub fn frameworks(master: &Master, wanted: Option<&str>) -> Value {
    let keep = |id: &str| wanted.is_none_or(|w| w == id);
    json!({
        "frameworks": master.frameworks().filter(|f| keep(&f.id.value)).map(|f| super::framework(master, f)).collect::<Vec<_>>(),
        "completed_frameworks": master.completed_frameworks().filter(|f| keep(&f.id.value)).map(|f| super::framework(master, f)).collect::<Vec<_>>(),
        "unregistered_frameworks": [],
    })
}

/// `/master/slaves`: every agent, or the one asked for.
pub fn agents(master: &Master, wanted: Option<&str>) -> Value {
    json!({
        "slaves": master
            .agents()
            .filter(|a| wanted.is_none_or(|w| w == a.id.value))
            .map(|a| super::agent_full(master, a))
            .collect::<Vec<_>>(),
        "recovered_slaves": [],
    })
}

/// `/master/tasks`: tasks sorted by their latest status time, newest first
/// unless asked otherwise.
pub fn tasks(master: &Master, query: &TaskQuery) -> Value {
    let mut tasks: Vec<(f64, Value)> = Vec::new();
    for framework in master.frameworks().chain(master.completed_frameworks()) {
        if query.framework_id.as_deref().is_some_and(|f| f != framework.id.value) {
            continue;
        }
        let all =
            framework.tasks.values().chain(framework.unreachable_tasks.iter()).chain(framework.completed_tasks.iter());
        for task in all {
            if query.task_id.as_deref().is_some_and(|t| t != task.record.task_id.value) {
                continue;
            }
            tasks.push((task.last_timestamp(), super::task(task)));
        }
    }
    tasks.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !query.ascending {
        tasks.reverse();
    }
    let selected = tasks.into_iter().skip(query.offset).map(|(_, t)| t);
    let list: Vec<Value> = match query.limit {
        None => selected.collect(),
        Some(limit) => selected.take(limit).collect(),
    };
    json!({ "tasks": list })
}
