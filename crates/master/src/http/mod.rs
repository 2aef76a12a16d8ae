//! The master's HTTP surface. Paths answer both with and without the
//! `/master` prefix, as Mesos delegates unprefixed paths to the master.

mod agents;
mod changes;
mod endpoints;
mod maintenance;
mod operator;
mod scheduler;
mod standby;
mod state;
mod webui;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use mesos_http::server::HttpError;
use mesos_master_core::input::{Query, View};
use mesos_master_core::{ApiError, Reply};
use mesos_proto::v1::MasterInfo;

use crate::actor::MasterHandle;
use crate::flags::MasterFlags;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    pub master: MasterHandle,
    pub flags: Arc<MasterFlags>,
    pub info: Arc<MasterInfo>,
    /// When this master started, as time since the Unix epoch.
    pub start_time: Duration,
    /// Whether this master leads, and who does otherwise.
    pub leadership: crate::leadership::Leadership,
    /// For requests to agents (sandbox files).
    pub http: mesos_http::client::Client,
}

/// Builds the router of every master endpoint.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for prefix in ["", "/master"] {
        router = router
            .route(&format!("{prefix}/api/v1/scheduler"), post(scheduler::scheduler_api))
            .route(&format!("{prefix}/api/v1"), post(operator::operator_api))
            .route(&format!("{prefix}/api/v1/"), post(operator::operator_api))
            .route(&format!("{prefix}/api/v1/operator"), post(operator::operator_api))
            .route(&format!("{prefix}/api/v1/operator/"), post(operator::operator_api))
            .route(&format!("{prefix}/internal/agent/v1"), post(agents::agent_api))
            .route(&format!("{prefix}/health"), get(endpoints::health))
            .route(&format!("{prefix}/redirect"), get(endpoints::redirect))
            .route(&format!("{prefix}/flags"), get(endpoints::flags))
            .route(&format!("{prefix}/state"), get(state::state))
            .route(&format!("{prefix}/frameworks"), get(state::frameworks))
            .route(&format!("{prefix}/slaves"), get(state::agents))
            .route(&format!("{prefix}/tasks"), get(state::tasks))
            .route(&format!("{prefix}/state-summary"), get(state::state_summary))
            .route(&format!("{prefix}/roles"), get(state::roles))
            .route(&format!("{prefix}/weights"), get(state::weights))
            .route(&format!("{prefix}/quota"), get(state::quota))
            .route(&format!("{prefix}/teardown"), post(changes::teardown))
            .route(&format!("{prefix}/tasks/kill"), post(changes::kill_task))
            .route(
                &format!("{prefix}/maintenance/schedule"),
                get(maintenance::schedule).post(maintenance::update_schedule),
            )
            .route(&format!("{prefix}/maintenance/status"), get(maintenance::status))
            .route(&format!("{prefix}/machine/down"), post(maintenance::down))
            .route(&format!("{prefix}/machine/up"), post(maintenance::up));
    }
    router
        .route("/", get(webui::index))
        .route("/assets/{file}", get(webui::asset))
        .route("/version", get(endpoints::version))
        .route("/metrics/snapshot", get(endpoints::metrics))
        .route("/registrar(1)/registry", get(endpoints::registry))
        .route("/metrics", get(endpoints::prometheus))
        .route("/logging/toggle", get(endpoints::logging_toggle).post(endpoints::logging_toggle))
        .fallback(|| async { (StatusCode::NOT_FOUND, "No such endpoint").into_response() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), standby::guard))
        .layer(axum::middleware::from_fn(mesos_http::gzip::compress))
        .with_state(state)
}

/// The HTTP answer to a refused call; a `503` says when to try again.
pub(crate) fn api_error(error: ApiError) -> Response {
    let status = StatusCode::from_u16(error.status.code()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = HttpError::new(status, error.message).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    }
    response
}

/// The answer to a change: 200 once done (and stored, where the registry
/// records it), 202 when the agent learns of it next, or why it was refused.
pub(crate) fn changed(result: Result<Reply, ApiError>) -> Response {
    match result {
        Ok(Reply::Accepted) => StatusCode::ACCEPTED.into_response(),
        Ok(_) => StatusCode::OK.into_response(),
        Err(error) => api_error(error),
    }
}

/// A legacy JSON view of the core's state, honouring `?jsonp=`.
pub(crate) async fn legacy_view(
    app: &AppState,
    query: Query,
    params: &std::collections::HashMap<String, String>,
) -> Response {
    match app.master.query(query).await {
        Ok(View::Json(value)) => endpoints::legacy_json(params, value),
        Ok(other) => api_error(ApiError::unavailable(format!("Unexpected view {other:?}"))),
        Err(error) => api_error(error),
    }
}

/// The answer when the event loop is gone (shutting down).
pub(crate) fn unavailable() -> Response {
    HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "Master is shutting down").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_master_says_when_to_retry() {
        let response = api_error(ApiError::unavailable("The master is overloaded; retry later"));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(http::header::RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"1"[..]));
        assert!(api_error(ApiError::bad_request("no")).headers().get(http::header::RETRY_AFTER).is_none());
    }
}
