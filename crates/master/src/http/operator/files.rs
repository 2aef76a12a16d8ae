//! LIST_FILES and READ_FILE on the master: a sandbox path is read on the
//! agent that holds it, through the agent's `/files/browse` and
//! `/files/read` endpoints (Mesos's semantics: `offset=-1` asks for the
//! size, `length` bounds the read).
//!
//! Paths are the agent's; the core tells which agent holds one
//! (`Query::SandboxAgent`).

use axum::response::Response;
use mesos_master_core::ApiError;
use mesos_master_core::input::{Query, View};
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Response as OperatorResponse, call, response};
use mesos_proto::v1::{FileInfo, TimeInfo};
use serde_json::Value;

use super::super::{AppState, api_error};
use super::answer;

async fn agent_of(app: &AppState, path: &str) -> Result<String, Response> {
    match app.master.query(Query::SandboxAgent { path: path.to_owned() }).await {
        Ok(View::Agent(Some(address))) => Ok(address),
        Ok(_) => Err(api_error(ApiError::not_found("No agent holds this path"))),
        Err(error) => Err(api_error(error)),
    }
}

/// GETs a JSON endpoint of an agent; its 4xx answers are passed on.
async fn agent_json(app: &AppState, url: &str) -> Result<Value, Response> {
    match app.http.get(url).await {
        Ok((_, body)) => serde_json::from_slice(&body)
            .map_err(|e| api_error(ApiError::bad_request(format!("Invalid answer from the agent: {e}")))),
        Err(error) => Err(match error.status() {
            Some(status) if status.as_u16() == 404 => api_error(ApiError::not_found("No such file or directory")),
            Some(status) if status.is_client_error() => {
                api_error(ApiError::bad_request(format!("The agent refused the request: {status}")))
            }
            _ => api_error(ApiError::service_unavailable(format!("The agent cannot be reached: {error}"))),
        }),
    }
}

fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub async fn list_files(app: &AppState, encoding: ContentType, path: &str) -> Response {
    let agent = match agent_of(app, path).await {
        Ok(agent) => agent,
        Err(response) => return response,
    };
    let listing = match agent_json(app, &format!("http://{agent}/files/browse?path={}", encode(path))).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let file_infos = listing.as_array().into_iter().flatten().filter_map(file_info).collect();
    answer(
        encoding,
        response::Type::ListFiles,
        OperatorResponse { list_files: Some(response::ListFiles { file_infos }), ..Default::default() },
    )
}

/// One entry of `/files/browse` as a `FileInfo`.
fn file_info(entry: &Value) -> Option<FileInfo> {
    let mtime = entry["mtime"].as_f64().map(|secs| TimeInfo { nanoseconds: (secs * 1e9) as i64 });
    Some(FileInfo {
        path: entry["path"].as_str()?.to_owned(),
        nlink: entry["nlink"].as_i64().map(|n| n as i32),
        size: entry["size"].as_u64(),
        mtime,
        mode: entry["mode"].as_str().and_then(parse_mode),
        uid: entry["uid"].as_str().map(str::to_owned),
        gid: entry["gid"].as_str().map(str::to_owned),
    })
}

/// `drwxr-xr-x` as the `st_mode` bits `FileInfo.mode` carries.
fn parse_mode(text: &str) -> Option<u32> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 {
        return None;
    }
    let mut mode = match bytes[0] {
        b'd' => 0o040000,
        b'l' => 0o120000,
        _ => 0o100000,
    };
    for (i, bit) in bytes[1..].iter().enumerate() {
        if *bit != b'-' {
            mode |= 1 << (8 - i);
        }
    }
    Some(mode)
}

pub async fn read_file(app: &AppState, encoding: ContentType, read: call::ReadFile) -> Response {
    let agent = match agent_of(app, &read.path).await {
        Ok(agent) => agent,
        Err(response) => return response,
    };
    let base = format!("http://{agent}/files/read?path={}", encode(&read.path));
    let size = match agent_json(app, &format!("{base}&offset=-1")).await {
        Ok(value) => value["offset"].as_u64().unwrap_or(0),
        Err(response) => return response,
    };
    let mut url = format!("{base}&offset={}", read.offset);
    if let Some(length) = read.length {
        url.push_str(&format!("&length={length}"));
    }
    let data = match agent_json(app, &url).await {
        Ok(value) => value["data"].as_str().unwrap_or_default().as_bytes().to_vec(),
        Err(response) => return response,
    };
    answer(
        encoding,
        response::Type::ReadFile,
        OperatorResponse { read_file: Some(response::ReadFile { size, data }), ..Default::default() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_paths() {
        assert_eq!(parse_mode("drwxr-xr-x"), Some(0o040755));
        assert_eq!(parse_mode("-rw-r--r--"), Some(0o100644));
        assert_eq!(parse_mode("bad"), None);
        assert_eq!(encode("/a b/c?d"), "/a%20b/c%3Fd");
    }
}
