//! The agent's small endpoints: health, version, flags, state and metrics.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use mesos_http::server::json_response;
use serde_json::{Map, Value, json};

use super::AppState;
use crate::paths::Paths;
use crate::views::{self, ViewContext};

pub async fn health() -> StatusCode {
    StatusCode::OK
}

pub async fn version(Query(query): Query<HashMap<String, String>>) -> Response {
    legacy_json(
        &query,
        json!({"version": env!("CARGO_PKG_VERSION"), "build_date": "", "build_time": 0.0, "build_user": ""}),
    )
}

pub async fn flags(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let flags: Map<String, Value> = app.flags.to_pairs().into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    legacy_json(&query, json!({ "flags": flags }))
}

pub async fn state(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let flags = app.flags.to_pairs();
    let (start_time, pid, paths) = (app.start_time, app.pid.clone(), Paths::new(app.flags.work_dir.clone()));
    let rendered = app
        .agent
        .inspect(move |agent, _| {
            views::state(agent, &ViewContext { flags: &flags, start_time, pid: &pid, paths: &paths })
        })
        .await;
    match rendered {
        Some(value) => legacy_json(&query, value),
        None => json_response(StatusCode::SERVICE_UNAVAILABLE, "{}".into()),
    }
}

/// Every metric of this agent and its machine, by Mesos's names.
pub async fn snapshot(app: &AppState) -> Option<std::collections::BTreeMap<String, f64>> {
    let start = app.start_time;
    let mut metrics = app.agent.inspect(move |agent, now| views::metrics(agent, now.saturating_sub(start))).await?;
    metrics.extend(mesos_http::system::metrics());
    Some(metrics)
}

pub async fn metrics(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(metrics) = snapshot(&app).await else {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, "{}".into());
    };
    legacy_json(&query, serde_json::to_value(metrics).unwrap_or(Value::Null))
}

/// `/metrics`: the same values in Prometheus's text format.
pub async fn prometheus(State(app): State<AppState>) -> Response {
    let Some(metrics) = snapshot(&app).await else {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, "{}".into());
    };
    mesos_http::server::prometheus_response(&metrics)
}

/// `/logging/toggle?level=N&duration=D`.
pub async fn logging_toggle(Query(query): Query<HashMap<String, String>>) -> Response {
    mesos_http::server::logging_toggle(&query)
}

/// A legacy JSON answer, honouring `?jsonp=`.
pub fn legacy_json(query: &HashMap<String, String>, value: Value) -> Response {
    mesos_http::server::legacy_json(query.get("jsonp").map(String::as_str), value.to_string())
}
