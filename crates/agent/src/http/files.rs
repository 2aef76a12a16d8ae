//! `/files/browse`, `/files/read`, `/files/download` and `/files/debug`:
//! the sandboxes of the agent's executors under Mesos's virtual paths (the
//! sandbox's own path, and `/frameworks/<id>/executors/<id>/runs/latest`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use mesos_agent_core::Agent;
use mesos_http::server::HttpError;
use serde_json::{Value, json};

use super::AppState;
use super::endpoints::legacy_json;
use crate::files::{self, Attached, FilesError};
use crate::paths::Paths;

/// Every sandbox the agent knows, running or completed.
pub fn attached(agent: &Agent, paths: &Paths) -> Attached {
    let agent_id = agent.agent_id().map(|a| a.value.clone()).unwrap_or_default();
    let mut list = Vec::new();
    for framework in agent.frameworks() {
        let framework_id = framework.info.id.clone().unwrap_or_default().value;
        for executor in framework.executors.values().chain(framework.completed_executors.iter()) {
            let executor_id = &executor.info.executor_id.value;
            let sandbox = paths.sandbox(&agent_id, &framework_id, executor_id, &executor.container_id);
            list.push((sandbox.display().to_string(), sandbox.clone()));
            list.push((
                format!("/frameworks/{framework_id}/executors/{executor_id}/runs/latest"),
                paths.latest_run(&agent_id, &framework_id, executor_id),
            ));
        }
    }
    Attached(list)
}

pub(super) async fn attached_now(app: &AppState) -> Attached {
    let paths = Paths::new(app.flags.work_dir.clone());
    app.agent.inspect(move |agent, _| attached(agent, &paths)).await.unwrap_or_default()
}

fn error(error: FilesError) -> Response {
    match error {
        FilesError::BadRequest(message) => HttpError::new(StatusCode::BAD_REQUEST, message).into_response(),
        FilesError::NotFound(message) => HttpError::new(StatusCode::NOT_FOUND, message).into_response(),
    }
}

fn path_param(query: &HashMap<String, String>) -> Result<String, FilesError> {
    query.get("path").cloned().ok_or_else(|| FilesError::BadRequest("Expecting 'path=value' in query.".into()))
}

pub async fn browse(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let path = match path_param(&query) {
        Ok(path) => path,
        Err(e) => return error(e),
    };
    let attached = attached_now(&app).await;
    let listed = attached.resolve(&path).and_then(|real| files::browse(&path, &real));
    match listed {
        Ok(entries) => legacy_json(&query, Value::Array(entries.iter().map(entry_json).collect())),
        Err(e) => error(e),
    }
}

pub fn entry_json(entry: &files::FileEntry) -> Value {
    json!({
        "path": entry.path,
        "nlink": entry.nlink,
        "size": entry.size,
        "mtime": entry.mtime,
        "mode": entry.mode,
        "uid": entry.uid,
        "gid": entry.gid,
    })
}

pub async fn read(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let path = match path_param(&query) {
        Ok(path) => path,
        Err(e) => return error(e),
    };
    let window = files::parse_window(query.get("offset").map(String::as_str), query.get("length").map(String::as_str));
    let (offset, length) = match window {
        Ok(window) => window,
        Err(e) => return error(e),
    };
    let attached = attached_now(&app).await;
    match attached.resolve(&path).and_then(|real| files::read(&real, offset, length)) {
        Ok((offset, data)) => legacy_json(&query, json!({"offset": offset, "data": String::from_utf8_lossy(&data)})),
        Err(e) => error(e),
    }
}

pub async fn download(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let path = match path_param(&query) {
        Ok(path) => path,
        Err(e) => return error(e),
    };
    let attached = attached_now(&app).await;
    let real = match attached.resolve(&path) {
        Ok(real) => real,
        Err(e) => return error(e),
    };
    if real.is_dir() {
        return error(FilesError::BadRequest("Cannot download a directory".into()));
    }
    match tokio::fs::read(&real).await {
        Ok(bytes) => {
            let name = real.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_owned();
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename={name}")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => error(FilesError::NotFound(format!("File '{path}' not found"))),
    }
}

pub async fn debug(State(app): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let attached = attached_now(&app).await;
    let map: serde_json::Map<String, Value> =
        attached.0.into_iter().map(|(k, v)| (k, Value::String(v.display().to_string()))).collect();
    legacy_json(&query, Value::Object(map))
}
