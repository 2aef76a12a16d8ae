//! The agent's HTTP surface: the executor API and the agent's endpoints.
//! Paths answer both under `/slave(1)` and without a prefix, as Mesos
//! delegates unprefixed paths to the agent process.

mod endpoints;
mod executor_api;
mod files;
mod monitor;
mod operator;
mod operator_sandbox;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::StatusCode;

use crate::actor::AgentHandle;
use crate::containerizer::Containerizer;
use crate::flags::AgentFlags;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    pub agent: AgentHandle,
    pub containerizer: Containerizer,
    pub flags: Arc<AgentFlags>,
    pub start_time: Duration,
    /// `slave(1)@ip:port`.
    pub pid: String,
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for prefix in ["", "/slave(1)"] {
        router = router
            .route(&format!("{prefix}/api/v1/executor"), post(executor_api::executor_api))
            .route(&format!("{prefix}/api/v1"), post(operator::operator_api))
            .route(&format!("{prefix}/api/v1/"), post(operator::operator_api))
            .route(&format!("{prefix}/health"), get(endpoints::health))
            .route(&format!("{prefix}/flags"), get(endpoints::flags))
            .route(&format!("{prefix}/state"), get(endpoints::state))
            .route(&format!("{prefix}/monitor/statistics"), get(monitor::statistics))
            .route(&format!("{prefix}/containers"), get(monitor::containers));
    }
    router
        .route("/version", get(endpoints::version))
        .route("/metrics/snapshot", get(endpoints::metrics))
        .route("/metrics", get(endpoints::prometheus))
        .route("/logging/toggle", get(endpoints::logging_toggle).post(endpoints::logging_toggle))
        .route("/files/browse", get(files::browse))
        .route("/files/read", get(files::read))
        .route("/files/download", get(files::download))
        .route("/files/debug", get(files::debug))
        .fallback(|| async { (StatusCode::NOT_FOUND, "No such endpoint").into_response() })
        .layer(axum::middleware::from_fn(mesos_http::gzip::compress))
        .with_state(state)
}
