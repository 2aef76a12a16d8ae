//! The legacy state endpoints: `/master/state`, `/master/frameworks`,
//! `/master/slaves`, `/master/tasks`, `/master/state-summary`,
//! `/master/roles`, `/master/weights` and `/master/quota`, with their query
//! parameters, rendered by the core (`mesos_master_core::legacy`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use mesos_master_core::input::{DaemonFacts, Query as CoreQuery, TaskQuery};

use super::{AppState, legacy_view};
use crate::identity::VERSION;

type Params = Query<HashMap<String, String>>;

pub async fn state(State(app): State<AppState>, Query(query): Params) -> Response {
    let facts = DaemonFacts {
        flags: app.flags.to_pairs(),
        start_time: app.start_time,
        cluster: app.flags.cluster.clone(),
        version: VERSION.to_owned(),
    };
    legacy_view(&app, CoreQuery::State(Box::new(facts)), &query).await
}

pub async fn frameworks(State(app): State<AppState>, Query(query): Params) -> Response {
    let framework_id = query.get("framework_id").cloned();
    legacy_view(&app, CoreQuery::Frameworks { framework_id }, &query).await
}

pub async fn agents(State(app): State<AppState>, Query(query): Params) -> Response {
    let agent_id = query.get("slave_id").cloned();
    legacy_view(&app, CoreQuery::Agents { agent_id }, &query).await
}

/// `/master/tasks?limit=100&offset=0&order=des&framework_id=&task_id=`:
/// tasks sorted by their latest status time; `limit=-1` means all.
pub async fn tasks(State(app): State<AppState>, Query(query): Params) -> Response {
    let limit: i64 = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let tasks = TaskQuery {
        limit: usize::try_from(limit).ok(),
        offset: query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0),
        ascending: query.get("order").is_some_and(|o| o == "asc"),
        framework_id: query.get("framework_id").cloned(),
        task_id: query.get("task_id").cloned(),
    };
    legacy_view(&app, CoreQuery::Tasks(tasks), &query).await
}

/// `/master/state-summary`.
pub async fn state_summary(State(app): State<AppState>, Query(query): Params) -> Response {
    let cluster = app.flags.cluster.clone();
    legacy_view(&app, CoreQuery::StateSummary { cluster }, &query).await
}

/// `/master/roles`.
pub async fn roles(State(app): State<AppState>, Query(query): Params) -> Response {
    legacy_view(&app, CoreQuery::Roles, &query).await
}

/// `/master/weights` (GET).
pub async fn weights(State(app): State<AppState>, Query(query): Params) -> Response {
    legacy_view(&app, CoreQuery::Weights, &query).await
}

/// `/master/quota` (GET).
pub async fn quota(State(app): State<AppState>, Query(query): Params) -> Response {
    legacy_view(&app, CoreQuery::Quota, &query).await
}
