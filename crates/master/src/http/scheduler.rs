//! `POST /api/v1/scheduler`: SUBSCRIBE opens a RecordIO event stream with a
//! `Mesos-Stream-Id`; every other call is answered 202 (UPDATE_FRAMEWORK
//! 200) or with the reason it was refused.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::server::{EventStream, HttpError, decode_call, stream_id, stream_response};
use mesos_master_core::Input;
use mesos_master_core::input::{SchedulerCall, SchedulerRequest};
use mesos_proto::v1::scheduler::{Call, Event, call, event};

use super::{AppState, api_error};
use crate::actor::StreamSender;

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
    let subscribing = call.r#type == Some(call::Type::Subscribe as i32);
    if subscribing && stream_id(&headers).is_some() {
        return HttpError::bad_request("Expecting 'Mesos-Stream-Id' to be not present with SUBSCRIBE").into_response();
    }
    let request = match SchedulerRequest::parse(call, stream_id(&headers)) {
        Ok(request) => request,
        Err(error) => return api_error(error),
    };
    let (framework_id, stream_id, call) = match request {
        SchedulerRequest::Call { framework_id, stream_id, call } => (framework_id, stream_id, call),
        SchedulerRequest::Subscribe(subscribe) => {
            let stream = app.master.new_stream();
            let id = uuid::Uuid::new_v4().to_string();
            let (events, receiver) = app.master.event_queue();
            let input = Input::SchedulerSubscribe { stream, stream_id: id.clone(), subscribe: Box::new(subscribe) };
            if let Err(error) = app.master.open(stream, StreamSender::Scheduler(events), input).await {
                return api_error(error);
            }
            let master = app.master.clone();
            let body = EventStream::new(receiver, negotiated.response)
                .with_heartbeat(HEARTBEAT_INTERVAL, heartbeat)
                .on_close(move || {
                    master.notify(Input::SchedulerClosed { stream });
                });
            return stream_response(body, Some(&id));
        }
    };
    // UPDATE_FRAMEWORK is answered 200, every other call 202, as in Mesos.
    let update_framework = matches!(call, SchedulerCall::UpdateFramework(_));
    match app.master.call(Input::SchedulerCall { framework_id, stream_id, call }).await {
        Ok(_) if update_framework => StatusCode::OK.into_response(),
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(error) => api_error(error),
    }
}
