//! `/monitor/statistics` and `/containers`: each running container's usage
//! and limits, with Mesos's key names (`ResourceStatistics` as JSON).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use http::StatusCode;
use mesos_agent_core::{Agent, ExecutorPhase};
use mesos_http::server::json_response;
use serde_json::{Value, json};

use super::AppState;
use super::endpoints::legacy_json;
use crate::actor::now;

/// A running container and the executor it holds.
pub struct ContainerEntry {
    pub container_id: String,
    pub executor_id: String,
    pub executor_name: String,
    pub framework_id: String,
    pub source: String,
}

/// Every container whose executor has not terminated.
pub fn running_containers(agent: &Agent) -> Vec<ContainerEntry> {
    agent
        .frameworks()
        .flat_map(|f| f.executors.values().map(move |e| (f, e)))
        .filter(|(_, e)| e.phase != ExecutorPhase::Terminated)
        .map(|(framework, executor)| {
            #[allow(deprecated)]
            let source = executor.info.source.clone().unwrap_or_default();
            ContainerEntry {
                container_id: executor.container_id.clone(),
                executor_id: executor.info.executor_id.value.clone(),
                executor_name: executor.info.name.clone().unwrap_or_default(),
                framework_id: framework.info.id.clone().unwrap_or_default().value,
                source,
            }
        })
        .collect()
}

async fn entries(app: &AppState) -> Option<Vec<ContainerEntry>> {
    app.agent.inspect(|agent, _| running_containers(agent)).await
}

pub async fn statistics(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(entries) = entries(&app).await else { return unavailable() };
    let now = now();
    let list: Vec<Value> = entries
        .iter()
        .filter_map(|entry| {
            let statistics = app.containerizer.usage(&entry.container_id, now)?;
            Some(json!({
                "executor_id": entry.executor_id,
                "executor_name": entry.executor_name,
                "framework_id": entry.framework_id,
                "source": entry.source,
                "statistics": mesos_proto::json::to_value(&statistics),
            }))
        })
        .collect();
    legacy_json(&query, Value::Array(list))
}

pub async fn containers(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(entries) = entries(&app).await else { return unavailable() };
    let now = now();
    let list: Vec<Value> = entries
        .iter()
        .map(|entry| {
            let mut object = json!({
                "container_id": entry.container_id,
                "executor_id": entry.executor_id,
                "executor_name": entry.executor_name,
                "framework_id": entry.framework_id,
                "source": entry.source,
                "status": {"container_id": {"value": entry.container_id}},
            });
            if let Some(pid) = app.containerizer.pid(&entry.container_id) {
                object["status"]["executor_pid"] = json!(pid);
            }
            if let Some(statistics) = app.containerizer.usage(&entry.container_id, now) {
                object["statistics"] = mesos_proto::json::to_value(&statistics);
            }
            object
        })
        .collect();
    legacy_json(&query, Value::Array(list))
}

fn unavailable() -> Response {
    json_response(StatusCode::SERVICE_UNAVAILABLE, "[]".into())
}
