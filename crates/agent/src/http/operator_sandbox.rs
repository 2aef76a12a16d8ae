//! The agent's operator calls about containers and sandboxes:
//! GET_CONTAINERS (running containers with their status and usage),
//! LIST_FILES and READ_FILE (the same virtual paths and rules as
//! `/files/browse` and `/files/read`).

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use mesos_http::server::HttpError;
use mesos_proto::ContentType;
use mesos_proto::v1::agent::{Response as AgentResponse, call, response};
use mesos_proto::v1::{ContainerId, ContainerStatus, ExecutorId, FileInfo, FrameworkId, TimeInfo};

use super::AppState;
use super::files::attached_now;
use super::monitor::running_containers;
use super::operator::answer;
use crate::actor::now;
use crate::files::{self, FilesError};

fn refused(error: FilesError) -> Response {
    match error {
        FilesError::BadRequest(message) => HttpError::bad_request(message).into_response(),
        FilesError::NotFound(message) => HttpError::new(StatusCode::NOT_FOUND, message).into_response(),
    }
}

pub async fn get_containers(app: &AppState, encoding: ContentType) -> Response {
    let Some(entries) = app.agent.inspect(|agent, _| running_containers(agent)).await else {
        return HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "Agent is shutting down").into_response();
    };
    let now = now();
    let containers = entries
        .into_iter()
        .map(|entry| {
            let container_id = ContainerId { value: entry.container_id.clone(), parent: None };
            response::get_containers::Container {
                framework_id: Some(FrameworkId { value: entry.framework_id }),
                executor_id: Some(ExecutorId { value: entry.executor_id }),
                executor_name: Some(entry.executor_name),
                container_status: Some(ContainerStatus {
                    container_id: Some(container_id.clone()),
                    executor_pid: app.containerizer.pid(&entry.container_id).and_then(|p| u32::try_from(p).ok()),
                    ..Default::default()
                }),
                resource_statistics: app.containerizer.usage(&entry.container_id, now),
                container_id,
            }
        })
        .collect();
    answer(
        encoding,
        response::Type::GetContainers,
        AgentResponse { get_containers: Some(response::GetContainers { containers }), ..Default::default() },
    )
}

pub async fn list_files(app: &AppState, encoding: ContentType, call: Option<call::ListFiles>) -> Response {
    let Some(call) = call else {
        return HttpError::bad_request("Expecting 'list_files' to be present").into_response();
    };
    let attached = attached_now(app).await;
    let entries = match attached.resolve(&call.path).and_then(|real| files::browse(&call.path, &real)) {
        Ok(entries) => entries,
        Err(error) => return refused(error),
    };
    let file_infos = entries
        .into_iter()
        .map(|entry| FileInfo {
            path: entry.path,
            nlink: i32::try_from(entry.nlink).ok(),
            size: Some(entry.size),
            mtime: Some(TimeInfo { nanoseconds: entry.mtime.saturating_mul(1_000_000_000) }),
            mode: Some(entry.mode_bits),
            uid: Some(entry.uid),
            gid: Some(entry.gid),
        })
        .collect();
    answer(
        encoding,
        response::Type::ListFiles,
        AgentResponse { list_files: Some(response::ListFiles { file_infos }), ..Default::default() },
    )
}

pub async fn read_file(app: &AppState, encoding: ContentType, call: Option<call::ReadFile>) -> Response {
    let Some(call) = call else {
        return HttpError::bad_request("Expecting 'read_file' to be present").into_response();
    };
    let (Ok(offset), Ok(length)) = (i64::try_from(call.offset), call.length.map_or(Ok(-1), i64::try_from)) else {
        return HttpError::bad_request("'offset' and 'length' must fit in 63 bits").into_response();
    };
    let attached = attached_now(app).await;
    let real = match attached.resolve(&call.path) {
        Ok(real) => real,
        Err(error) => return refused(error),
    };
    let size = match std::fs::metadata(&real) {
        Ok(metadata) if metadata.is_dir() => return refused(FilesError::BadRequest("Cannot read a directory".into())),
        Ok(metadata) => metadata.len(),
        Err(_) => return refused(FilesError::NotFound(format!("'{}' not found", call.path))),
    };
    let data = match files::read(&real, offset, length) {
        Ok((_, data)) => data,
        Err(error) => return refused(error),
    };
    answer(
        encoding,
        response::Type::ReadFile,
        AgentResponse { read_file: Some(response::ReadFile { size, data }), ..Default::default() },
    )
}
