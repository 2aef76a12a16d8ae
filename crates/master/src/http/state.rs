//! The legacy state endpoints: `/master/state`, `/master/frameworks`,
//! `/master/slaves` and `/master/tasks`, with their query parameters.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::endpoints::legacy_json;
use crate::views::{self, ViewContext};

type Params = Query<HashMap<String, String>>;

pub async fn state(State(app): State<AppState>, Query(query): Params) -> Response {
    let flags = app.flags.to_pairs();
    let (start_time, cluster) = (app.start_time, app.flags.cluster.clone());
    let rendered = app
        .master
        .inspect(move |master, _| {
            let context = ViewContext { flags: &flags, start_time, cluster: cluster.as_deref() };
            views::state(master, &context)
        })
        .await;
    match rendered {
        Some(value) => legacy_json(&query, value),
        None => super::unavailable(),
    }
}

pub async fn frameworks(State(app): State<AppState>, Query(query): Params) -> Response {
    let wanted = query.get("framework_id").cloned();
    let rendered = app
        .master
        .inspect(move |master, _| {
            let keep = |id: &str| wanted.as_deref().is_none_or(|w| w == id);
            json!({
                "frameworks": master.frameworks().filter(|f| keep(&f.id.value)).map(|f| views::framework(master, f)).collect::<Vec<_>>(),
                "completed_frameworks": master.completed_frameworks().filter(|f| keep(&f.id.value)).map(|f| views::framework(master, f)).collect::<Vec<_>>(),
                "unregistered_frameworks": [],
            })
        })
        .await;
    match rendered {
        Some(value) => legacy_json(&query, value),
        None => super::unavailable(),
    }
}

pub async fn agents(State(app): State<AppState>, Query(query): Params) -> Response {
    let wanted = query.get("slave_id").cloned();
    let rendered = app
        .master
        .inspect(move |master, _| {
            json!({
                "slaves": master
                    .agents()
                    .filter(|a| wanted.as_deref().is_none_or(|w| w == a.id.value))
                    .map(|a| views::agent_full(master, a))
                    .collect::<Vec<_>>(),
                "recovered_slaves": [],
            })
        })
        .await;
    match rendered {
        Some(value) => legacy_json(&query, value),
        None => super::unavailable(),
    }
}

/// `/master/tasks?limit=100&offset=0&order=des&framework_id=&task_id=`:
/// tasks sorted by their latest status time; `limit=-1` means all.
pub async fn tasks(State(app): State<AppState>, Query(query): Params) -> Response {
    let limit: i64 = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let offset: usize = query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let ascending = query.get("order").is_some_and(|o| o == "asc");
    let framework_id = query.get("framework_id").cloned();
    let task_id = query.get("task_id").cloned();
    let rendered = app
        .master
        .inspect(move |master, _| {
            let mut tasks: Vec<(f64, Value)> = Vec::new();
            for framework in master.frameworks().chain(master.completed_frameworks()) {
                if framework_id.as_deref().is_some_and(|f| f != framework.id.value) {
                    continue;
                }
                let all = framework
                    .tasks
                    .values()
                    .chain(framework.unreachable_tasks.iter())
                    .chain(framework.completed_tasks.iter());
                for task in all {
                    if task_id.as_deref().is_some_and(|t| t != task.record.task_id.value) {
                        continue;
                    }
                    tasks.push((task.last_timestamp(), views::task(task)));
                }
            }
            tasks.sort_by(|a, b| a.0.total_cmp(&b.0));
            if !ascending {
                tasks.reverse();
            }
            let selected = tasks.into_iter().skip(offset).map(|(_, t)| t);
            let list: Vec<Value> = if limit < 0 { selected.collect() } else { selected.take(limit as usize).collect() };
            json!({ "tasks": list })
        })
        .await;
    match rendered {
        Some(value) => legacy_json(&query, value),
        None => super::unavailable(),
    }
}

/// Renders a legacy JSON view of the core inside the event loop.
async fn render(
    app: &AppState,
    query: &HashMap<String, String>,
    view: impl FnOnce(&mesos_master_core::Master) -> Value + Send + 'static,
) -> Response {
    match app.master.inspect(move |master, _| view(master)).await {
        Some(value) => legacy_json(query, value),
        None => super::unavailable(),
    }
}

/// `/master/state-summary`.
pub async fn state_summary(State(app): State<AppState>, Query(query): Params) -> Response {
    let cluster = app.flags.cluster.clone();
    render(&app, &query, move |master| views::state_summary(master, cluster.as_deref())).await
}

/// `/master/roles`.
pub async fn roles(State(app): State<AppState>, Query(query): Params) -> Response {
    render(&app, &query, views::roles).await
}

/// `/master/weights` (GET).
pub async fn weights(State(app): State<AppState>, Query(query): Params) -> Response {
    render(&app, &query, views::weights).await
}

/// `/master/quota` (GET).
pub async fn quota(State(app): State<AppState>, Query(query): Params) -> Response {
    render(&app, &query, views::quota).await
}
