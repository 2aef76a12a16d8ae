//! `POST /internal/agent/v1`: this project's master <-> agent protocol.
//! REGISTER and REREGISTER open the agent's event stream; other calls carry
//! its `Mesos-Stream-Id`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::server::{EventStream, decode_call, stream_id, stream_response};
use mesos_master_core::Input;
use mesos_master_core::input::AgentRequest;
use mesos_proto::internal::AgentCall;

use super::{AppState, api_error};
use crate::actor::StreamSender;

pub async fn agent_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<AgentCall>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let request = match AgentRequest::parse(call, stream_id(&headers)) {
        Ok(request) => request,
        Err(error) => return api_error(error),
    };
    let stream = app.master.new_stream();
    let id = uuid::Uuid::new_v4().to_string();
    let stream_id = id.clone();
    let input = match request {
        AgentRequest::Register(register) => Input::AgentRegister { stream, stream_id, register },
        AgentRequest::Reregister(reregister) => Input::AgentReregister { stream, stream_id, reregister },
        AgentRequest::Call { agent_id, stream_id, call } => {
            return match app.master.call(Input::AgentCall { agent_id, stream_id, call }).await {
                Ok(_) => StatusCode::ACCEPTED.into_response(),
                Err(error) => api_error(error),
            };
        }
    };
    let (events, receiver) = app.master.event_queue();
    if let Err(error) = app.master.open(stream, StreamSender::Agent(events), input).await {
        return api_error(error);
    }
    let master = app.master.clone();
    let body = EventStream::new(receiver, negotiated.response).on_close(move || {
        master.notify(Input::AgentClosed { stream });
    });
    stream_response(body, Some(&id))
}
