//! Small endpoints every master serves: health, version, redirect, flags
//! and metrics.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query as Params, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::{Map, Value, json};

use mesos_master_core::input::{Query, View};

use super::AppState;
use crate::identity::VERSION;

pub async fn health() -> StatusCode {
    StatusCode::OK
}

/// `/version`: a plain dotted version and build facts.
pub async fn version(Params(query): Params<HashMap<String, String>>) -> Response {
    legacy_json(&query, version_json())
}

pub fn version_json() -> Value {
    json!({
        "version": VERSION,
        "build_date": "",
        "build_time": 0.0,
        "build_user": "",
    })
}

/// `/master/redirect`: 307 to the leading master (this one).
pub async fn redirect(State(app): State<AppState>) -> Response {
    let address = app.info.address.clone().unwrap_or_default();
    let host = address.hostname.or(address.ip).unwrap_or_default();
    let location = format!("//{host}:{}", address.port);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response()
}

/// `/master/flags`: `{"flags": {"name": "value", ...}}`.
pub async fn flags(State(app): State<AppState>, Params(query): Params<HashMap<String, String>>) -> Response {
    let flags: Map<String, Value> = app.flags.to_pairs().into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    legacy_json(&query, json!({ "flags": flags }))
}

/// Every metric of this master and its machine, by Mesos's names.
pub async fn snapshot(app: &AppState) -> Option<BTreeMap<String, f64>> {
    let Ok(View::Metrics(mut metrics)) = app.master.query(Query::Metrics { start_time: app.start_time }).await else {
        return None;
    };
    metrics.extend(mesos_http::system::metrics());
    Some(metrics)
}

/// `/metrics/snapshot`: a flat object of Mesos-named metrics.
pub async fn metrics(State(app): State<AppState>, Params(query): Params<HashMap<String, String>>) -> Response {
    let Some(metrics) = snapshot(&app).await else {
        return super::unavailable();
    };
    legacy_json(&query, serde_json::to_value(metrics).unwrap_or(Value::Null))
}

/// `/registrar(1)/registry`: the registry as this master last stored it.
pub async fn registry(State(app): State<AppState>, Params(query): Params<HashMap<String, String>>) -> Response {
    super::legacy_view(&app, Query::Registry, &query).await
}

/// `/metrics`: the same values in Prometheus's text format.
pub async fn prometheus(State(app): State<AppState>) -> Response {
    let Some(metrics) = snapshot(&app).await else {
        return super::unavailable();
    };
    mesos_http::server::prometheus_response(&metrics)
}

/// `/logging/toggle?level=N&duration=D`: raises the logging verbosity for
/// a while, as libprocess's endpoint does.
pub async fn logging_toggle(Params(query): Params<HashMap<String, String>>) -> Response {
    mesos_http::server::logging_toggle(&query)
}

/// A legacy JSON answer, honouring `?jsonp=`.
pub fn legacy_json(query: &HashMap<String, String>, value: Value) -> Response {
    mesos_http::server::legacy_json(query.get("jsonp").map(String::as_str), value.to_string())
}
