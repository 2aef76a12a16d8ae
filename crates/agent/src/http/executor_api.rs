//! `POST /api/v1/executor`: SUBSCRIBE opens the executor's event stream
//! (heartbeats every 30 minutes, as Mesos sends them); UPDATE, MESSAGE and
//! HEARTBEAT are answered 202.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_agent_core::ExecutorError;
use mesos_http::server::{EventStream, HttpError, decode_call, stream_response};
use mesos_proto::v1::executor::{Call, Event, call, event};
use tokio::sync::{mpsc, oneshot};

use super::AppState;
use crate::actor::Command;

const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30 * 60);

fn heartbeat() -> Event {
    Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() }
}

pub async fn executor_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let (reply, answer) = oneshot::channel();
    if call.r#type == Some(call::Type::Subscribe as i32) {
        let stream = app.agent.new_stream();
        let (events, receiver) = mpsc::unbounded_channel();
        if !app.agent.send(Command::ExecutorSubscribe { stream, call: Box::new(call), events, reply }) {
            return unavailable();
        }
        return match answer.await {
            Ok(Ok(())) => {
                let agent = app.agent.clone();
                let body = EventStream::new(receiver, negotiated.response)
                    .with_heartbeat(HEARTBEAT_INTERVAL, heartbeat)
                    .on_close(move || {
                        agent.send(Command::ExecutorClosed { stream });
                    });
                stream_response(body, None)
            }
            Ok(Err(error)) => executor_error(error),
            Err(_) => unavailable(),
        };
    }
    if !app.agent.send(Command::ExecutorCall { call: Box::new(call), reply }) {
        return unavailable();
    }
    match answer.await {
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(error)) => executor_error(error),
        Err(_) => unavailable(),
    }
}

fn executor_error(error: ExecutorError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    HttpError::new(status, error.to_string()).into_response()
}

fn unavailable() -> Response {
    HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "Agent is shutting down").into_response()
}
