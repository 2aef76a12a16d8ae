//! `POST /internal/agent/v1`: this project's master <-> agent protocol.
//! REGISTER and REREGISTER open the agent's event stream; other calls carry
//! its `Mesos-Stream-Id`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::server::{EventStream, decode_call, stream_id, stream_response};
use mesos_proto::internal::{AgentCall, agent_call};
use tokio::sync::{mpsc, oneshot};

use super::{AppState, api_error, unavailable};
use crate::actor::Command;

pub async fn agent_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<AgentCall>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let opens_stream = matches!(
        call.r#type.and_then(|t| agent_call::Type::try_from(t).ok()),
        Some(agent_call::Type::Register | agent_call::Type::Reregister)
    );
    if opens_stream {
        let stream = app.master.new_stream();
        let id = uuid::Uuid::new_v4().to_string();
        let (events, receiver) = mpsc::unbounded_channel();
        let (reply, answer) = oneshot::channel();
        let command = Command::AgentSubscribe { stream, stream_id: id.clone(), call: Box::new(call), events, reply };
        if !app.master.send(command) {
            return unavailable();
        }
        match answer.await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return api_error(error),
            Err(_) => return unavailable(),
        }
        let master = app.master.clone();
        let body = EventStream::new(receiver, negotiated.response).on_close(move || {
            master.send(Command::AgentClosed { stream });
        });
        return stream_response(body, Some(&id));
    }
    let (reply, answer) = oneshot::channel();
    let command = Command::AgentCall { stream_id: stream_id(&headers).map(str::to_owned), call: Box::new(call), reply };
    if !app.master.send(command) {
        return unavailable();
    }
    match answer.await {
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(error)) => api_error(error),
        Err(_) => unavailable(),
    }
}
