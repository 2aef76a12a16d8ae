//! Server side of the v1 APIs: decoding calls, encoding answers, and the
//! streaming body of subscriptions.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use mesos_proto::ContentType;
use mesos_proto::codec::MediaTypeError;
use tokio::sync::mpsc;

/// A refused request: status and one-line reason (sent as plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: StatusCode,
    pub message: String,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> HttpError {
        HttpError { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> HttpError {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.message).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        response
    }
}

impl From<MediaTypeError> for HttpError {
    fn from(error: MediaTypeError) -> HttpError {
        let status = match error {
            MediaTypeError::MissingContentType => StatusCode::BAD_REQUEST,
            MediaTypeError::UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MediaTypeError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        };
        HttpError::new(status, error.to_string())
    }
}

/// The encodings of a v1 request: how its body is written and how the
/// answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub request: ContentType,
    pub response: ContentType,
}

/// Checks `Content-Type` (exactly) and `Accept`, as Mesos does.
pub fn negotiate(headers: &HeaderMap) -> Result<Negotiated, HttpError> {
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or("invalid"));
    let request = ContentType::from_content_type(content_type)?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let response = ContentType::from_accept(accept)?;
    Ok(Negotiated { request, response })
}

/// Decodes a v1 call from a request body.
pub fn decode_call<M: prost::Message + prost::Name + Default>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(M, Negotiated), HttpError> {
    let negotiated = negotiate(headers)?;
    let call = negotiated.request.decode::<M>(body).map_err(|e| HttpError::bad_request(e.to_string()))?;
    Ok((call, negotiated))
}

/// A 200 answer carrying `message` in the negotiated encoding.
pub fn message_response<M: prost::Message + prost::Name>(content_type: ContentType, message: &M) -> Response {
    let mut response = Response::new(Body::from(content_type.encode(message)));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type.as_str()));
    response
}

/// A JSON answer from already-rendered text.
pub fn json_response(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A legacy endpoint's JSON answer, wrapped as `callback(...)` with
/// `text/javascript` when a `?jsonp=` callback is given.
pub fn legacy_json(jsonp: Option<&str>, json: String) -> Response {
    let (wrapped, text) = crate::system::jsonp(jsonp, json);
    let mut response = json_response(StatusCode::OK, text);
    if wrapped {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript"));
    }
    response
}

/// The streaming body of a subscription: events from `events`, framed as
/// RecordIO in the negotiated encoding, with a heartbeat whenever the stream
/// has been quiet for `heartbeat_every`. `on_close` runs when the body is
/// dropped, which is how a disconnected client is noticed.
pub struct EventStream<E> {
    events: mpsc::Receiver<E>,
    encoding: ContentType,
    heartbeat: Option<(tokio::time::Interval, fn() -> E)>,
    on_close: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl<E> EventStream<E> {
    pub fn new(events: mpsc::Receiver<E>, encoding: ContentType) -> EventStream<E> {
        EventStream { events, encoding, heartbeat: None, on_close: None }
    }

    /// Sends `make()` every `interval` (the first one after `interval`).
    pub fn with_heartbeat(mut self, interval: Duration, make: fn() -> E) -> EventStream<E> {
        let start = tokio::time::Instant::now() + interval;
        let mut ticker = tokio::time::interval_at(start, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.heartbeat = Some((ticker, make));
        self
    }

    pub fn on_close(mut self, callback: impl FnOnce() + Send + Sync + 'static) -> EventStream<E> {
        self.on_close = Some(Box::new(callback));
        self
    }
}

impl<E> Drop for EventStream<E> {
    fn drop(&mut self) {
        if let Some(callback) = self.on_close.take() {
            callback();
        }
    }
}

impl<E: prost::Message + prost::Name + Unpin> Stream for EventStream<E> {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.events.poll_recv(cx) {
            Poll::Ready(Some(event)) => {
                if let Some((ticker, _)) = &mut this.heartbeat {
                    ticker.reset();
                }
                let bytes = mesos_proto::recordio::encode(&this.encoding.encode(&event));
                return Poll::Ready(Some(Ok(bytes)));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if let Some((ticker, make)) = &mut this.heartbeat
            && ticker.poll_tick(cx).is_ready()
        {
            let bytes = mesos_proto::recordio::encode(&this.encoding.encode(&make()));
            return Poll::Ready(Some(Ok(bytes)));
        }
        Poll::Pending
    }
}

/// A 200 streaming answer: the record content type (not
/// `application/recordio`, as Mesos does for v1 subscriptions) and an
/// optional `Mesos-Stream-Id`.
pub fn stream_response<E>(stream: EventStream<E>, stream_id: Option<&str>) -> Response
where
    E: prost::Message + prost::Name + Unpin + Send + 'static,
{
    let encoding = stream.encoding;
    let mut response = Response::new(Body::from_stream(stream));
    response.extensions_mut().insert(crate::gzip::Streaming);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(encoding.as_str()));
    if let Some(id) = stream_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        response.headers_mut().insert(crate::STREAM_ID_HEADER, id);
    }
    response
}

/// `/metrics` in Prometheus's text format.
pub fn prometheus_response(metrics: &std::collections::BTreeMap<String, f64>) -> Response {
    let mut response = Response::new(Body::from(crate::prometheus::text(metrics)));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

/// `/logging/toggle?level=N&duration=D`: sets the logging verbosity to `N`
/// for `D` (a Mesos duration such as `10mins`), as libprocess does.
pub fn logging_toggle(query: &std::collections::HashMap<String, String>) -> Response {
    let Some(level) = query.get("level") else {
        return HttpError::bad_request("Expecting 'level' in query").into_response();
    };
    let Ok(level) = level.parse::<u32>() else {
        return HttpError::bad_request(format!("Invalid level '{level}'")).into_response();
    };
    let Some(duration) = query.get("duration") else {
        return HttpError::bad_request("Expecting 'duration' in query").into_response();
    };
    let Ok(duration) = mesos_flags::parse_duration(duration) else {
        return HttpError::bad_request(format!("Invalid duration '{duration}'")).into_response();
    };
    crate::daemon::set_logging_level(level, duration);
    StatusCode::OK.into_response()
}

/// Reads the `Mesos-Stream-Id` header of a request.
pub fn stream_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(crate::STREAM_ID_HEADER).and_then(|v| v.to_str().ok())
}
