//! The operator's SUBSCRIBE: a RecordIO stream of `master::Event`s in the
//! negotiated encoding, opened by SUBSCRIBED (the whole state) and a
//! HEARTBEAT, then every change the core announces, with a HEARTBEAT
//! whenever the stream has been quiet for 15 seconds.

use std::time::Duration;

use axum::response::Response;
use mesos_http::server::{EventStream, stream_response};
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Event, event};

use mesos_master_core::Input;

use super::super::{AppState, api_error};
use crate::actor::StreamSender;

/// How often an idle operator stream carries a HEARTBEAT event.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);

fn heartbeat() -> Event {
    Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() }
}

pub async fn subscribe(app: &AppState, encoding: ContentType) -> Response {
    let stream = app.master.new_stream();
    let (events, receiver) = app.master.event_queue();
    if let Err(error) =
        app.master.open(stream, StreamSender::Operator(events), Input::OperatorSubscribe { stream }).await
    {
        return api_error(error);
    }
    let master = app.master.clone();
    let body = EventStream::new(receiver, encoding).with_heartbeat(HEARTBEAT_INTERVAL, heartbeat).on_close(move || {
        master.notify(Input::OperatorClosed { stream });
    });
    stream_response(body, None)
}
