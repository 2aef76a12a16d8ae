//! A master that does not lead answers as Mesos's standby masters do: it
//! serves `/health`, `/version`, `/flags` and `/metrics/snapshot` (with
//! `master/elected` 0) itself, points `/master/redirect` at the leader, and
//! redirects everything else there with a 307 and a protocol-relative
//! `Location` (`//host:port/path?query`), or answers 503 while no master
//! leads.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use mesos_http::server::HttpError;
use serde_json::Value;

use super::AppState;

/// Paths a standby answers itself (with or without the `/master` prefix).
const LOCAL: [&str; 4] = ["/health", "/version", "/flags", "/metrics/snapshot"];

pub async fn guard(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if app.leadership.is_leading() {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let unprefixed = path.strip_prefix("/master").unwrap_or(path);
    if unprefixed == "/metrics/snapshot" {
        return metrics(&app);
    }
    if LOCAL.contains(&unprefixed) {
        return next.run(request).await;
    }
    let Some(leader) = app.leadership.leader() else {
        return HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "No master is currently leading").into_response();
    };
    let address = mesos_zk::http_address(&leader);
    let location = if unprefixed == "/redirect" {
        format!("//{address}")
    } else {
        let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        format!("//{address}{path}{query}")
    };
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response()
}

/// A standby's metrics: the process's, and `master/elected` 0.
fn metrics(app: &AppState) -> Response {
    let mut metrics = mesos_http::system::metrics();
    metrics.insert("master/elected".to_owned(), 0.0);
    let uptime = crate::actor::now().saturating_sub(app.start_time);
    metrics.insert("master/uptime_secs".to_owned(), uptime.as_secs_f64());
    let body = serde_json::to_value(metrics).unwrap_or(Value::Null).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
