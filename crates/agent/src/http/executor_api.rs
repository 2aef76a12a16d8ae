//! `POST /api/v1/executor`: SUBSCRIBE opens the executor's event stream
//! (heartbeats every 30 minutes, as Mesos sends them); UPDATE, MESSAGE and
//! HEARTBEAT are answered 202.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_agent_core::{AgentInput, ExecutorError, ExecutorRequest, ExecutorSubscribe};
use mesos_http::server::{EventStream, HttpError, decode_call, stream_response};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::{Call, Event, event};
use tokio::sync::{mpsc, oneshot};

use super::AppState;
use crate::actor::{Command, EXECUTOR_EVENT_BACKLOG, Unavailable};

const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30 * 60);

fn heartbeat() -> Event {
    Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() }
}

pub async fn executor_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let request = match ExecutorRequest::try_from(call) {
        Ok(request) => request,
        Err(error) => return executor_error(error),
    };
    let (reply, answer) = oneshot::channel();
    let call = match request {
        ExecutorRequest::Call(call) => call,
        ExecutorRequest::Subscribe(subscribe) => return subscribed(&app, subscribe, negotiated.response).await,
    };
    if let Err(error) = app.agent.request(Command::ExecutorCall { call, reply }) {
        return unavailable(error);
    }
    match answer.await {
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(error)) => executor_error(error),
        Err(_) => unavailable(Unavailable::ShuttingDown),
    }
}

/// SUBSCRIBE: the event stream once the core took the executor.
async fn subscribed(app: &AppState, subscribe: ExecutorSubscribe, encoding: ContentType) -> Response {
    let (reply, answer) = oneshot::channel();
    let stream = app.agent.new_stream();
    let (events, receiver) = mpsc::channel(EXECUTOR_EVENT_BACKLOG);
    if let Err(error) = app.agent.request(Command::ExecutorSubscribe { stream, subscribe, events, reply }) {
        return unavailable(error);
    }
    match answer.await {
        Ok(Ok(())) => {
            let agent = app.agent.clone();
            let body = EventStream::new(receiver, encoding).with_heartbeat(HEARTBEAT_INTERVAL, heartbeat).on_close(
                move || {
                    agent.send(Command::Input(AgentInput::ExecutorClosed { stream }));
                },
            );
            stream_response(body, None)
        }
        Ok(Err(error)) => executor_error(error),
        Err(_) => unavailable(Unavailable::ShuttingDown),
    }
}

fn executor_error(error: ExecutorError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    HttpError::new(status, error.to_string()).into_response()
}

fn unavailable(why: Unavailable) -> Response {
    let mut response = HttpError::new(StatusCode::SERVICE_UNAVAILABLE, why.to_string()).into_response();
    response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    response
}
