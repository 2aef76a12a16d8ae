//! The legacy endpoints that change things, with their form bodies:
//! `/master/teardown` (`frameworkId=...`), and this project's
//! `/master/tasks/kill` (`frameworkId=...&taskId=...`), which asks a task's
//! agent to kill it as its framework's KILL would, for operators (the
//! `mesos task kill` command); Mesos has no such endpoint.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use mesos_master_core::input::OperatorCall;
use mesos_master_core::{ApiError, Input};
use mesos_proto::v1::{FrameworkId, TaskId};

use super::{AppState, api_error, changed};

/// The fields of a form body (`a=1&b=2`), merged over the query string's.
fn form(query: HashMap<String, String>, body: &[u8]) -> HashMap<String, String> {
    let mut fields = query;
    let text = String::from_utf8_lossy(body);
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        fields.insert(decode(key), decode(value));
    }
    fields
}

/// Percent-decoding of form fields (`+` is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn required(fields: &HashMap<String, String>, name: &str) -> Result<String, ApiError> {
    fields
        .get(name)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| ApiError::bad_request(format!("Missing '{name}' query parameter in the request body")))
}

/// `POST /master/teardown`: removes a framework, killing its tasks.
pub async fn teardown(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let fields = form(query, &body);
    let id = match required(&fields, "frameworkId") {
        Ok(id) => FrameworkId { value: id },
        Err(error) => return api_error(error),
    };
    changed(app.master.call(Input::Operator(OperatorCall::Teardown(id))).await)
}

/// `POST /master/tasks/kill`: kills one task.
pub async fn kill_task(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let fields = form(query, &body);
    let (framework, task) = match (required(&fields, "frameworkId"), required(&fields, "taskId")) {
        (Ok(f), Ok(t)) => (FrameworkId { value: f }, TaskId { value: t }),
        (Err(error), _) | (_, Err(error)) => return api_error(error),
    };
    let kill = OperatorCall::KillTask { framework_id: framework, task_id: task };
    changed(app.master.call(Input::Operator(kill)).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies() {
        let fields = form(HashMap::new(), b"frameworkId=a%2Db&taskId=x+y&empty");
        assert_eq!(fields["frameworkId"], "a-b");
        assert_eq!(fields["taskId"], "x y");
        assert_eq!(fields["empty"], "");
        assert_eq!(decode("100%"), "100%");
    }
}
