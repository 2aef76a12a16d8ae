//! `POST /api/v1/scheduler`: SUBSCRIBE opens a RecordIO event stream with a
//! `Mesos-Stream-Id`; every other call is answered 202 (UPDATE_FRAMEWORK
//! 200) or with the reason it was refused.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::server::{EventStream, HttpError, decode_call, stream_id, stream_response};
use mesos_proto::v1::scheduler::{Call, Event, call, event};
use tokio::sync::{mpsc, oneshot};

use super::{AppState, api_error, unavailable};
use crate::actor::Command;

/// How often an idle subscription carries a HEARTBEAT event.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);

fn heartbeat() -> Event {
    Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() }
}

pub async fn scheduler_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    if call.r#type == Some(call::Type::Subscribe as i32) {
        if stream_id(&headers).is_some() {
            return HttpError::bad_request("Expecting 'Mesos-Stream-Id' to be not present with SUBSCRIBE")
                .into_response();
        }
        let stream = app.master.new_stream();
        let id = uuid::Uuid::new_v4().to_string();
        let (events, receiver) = mpsc::unbounded_channel();
        let (reply, answer) = oneshot::channel();
        let command = Command::Subscribe { stream, stream_id: id.clone(), call: Box::new(call), events, reply };
        if !app.master.send(command) {
            return unavailable();
        }
        match answer.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return api_error(error),
            Err(_) => return unavailable(),
        }
        let master = app.master.clone();
        let body = EventStream::new(receiver, negotiated.response)
            .with_heartbeat(HEARTBEAT_INTERVAL, heartbeat)
            .on_close(move || {
                master.send(Command::SchedulerClosed { stream });
            });
        return stream_response(body, Some(&id));
    }
    let update_framework = call.r#type == Some(call::Type::UpdateFramework as i32);
    let (reply, answer) = oneshot::channel();
    let command =
        Command::SchedulerCall { stream_id: stream_id(&headers).map(str::to_owned), call: Box::new(call), reply };
    if !app.master.send(command) {
        return unavailable();
    }
    match answer.await {
        Ok(Ok(())) if update_framework => StatusCode::OK.into_response(),
        Ok(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Ok(Err(error)) => api_error(error),
        Err(_) => unavailable(),
    }
}
