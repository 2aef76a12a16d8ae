//! A small HTTP/1.1 client for the v1 APIs: posting calls and reading
//! RecordIO event streams. Redirects (307 from a non-leading master) are
//! returned to the caller, which knows whom to follow.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mesos_proto::ContentType;
use mesos_proto::recordio;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered {status}: {body}")]
    Status { url: String, status: StatusCode, body: String, location: Option<String> },
    #[error("invalid response from {url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("request to {url} timed out")]
    Timeout { url: String },
}

impl ClientError {
    /// The leader a non-leading master redirected to, as `host:port`.
    pub fn redirect(&self) -> Option<String> {
        match self {
            ClientError::Status { status, location: Some(location), .. }
                if *status == StatusCode::TEMPORARY_REDIRECT =>
            {
                redirect_authority(location)
            }
            _ => None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `host:port` of a `Location` such as `//host:port/path` or `http://host:port/path`.
pub fn redirect_authority(location: &str) -> Option<String> {
    let rest = location
        .strip_prefix("http://")
        .or_else(|| location.strip_prefix("https://"))
        .or_else(|| location.strip_prefix("//"))?;
    let authority = rest.split('/').next()?;
    (!authority.is_empty()).then(|| authority.to_owned())
}

/// A cloneable client with pooled keep-alive connections.
#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    pub fn new() -> Client {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let http =
            HyperClient::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        Client { http, timeout: Duration::from_secs(30) }
    }

    /// Sets the timeout of non-streaming requests.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Result<http::Response<Incoming>, ClientError> {
        let url = request.uri().to_string();
        self.http.request(request).await.map_err(|e| ClientError::Unreachable { url, reason: error_chain(&e) })
    }

    fn build(
        url: &str,
        content_type: ContentType,
        body: Vec<u8>,
        stream_id: Option<&str>,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        let mut builder = Request::post(url)
            .header(header::CONTENT_TYPE, content_type.as_str())
            .header(header::ACCEPT, content_type.as_str());
        if let Some(id) = stream_id {
            builder = builder.header(crate::STREAM_ID_HEADER, id);
        }
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol { url: url.to_owned(), reason: e.to_string() })
    }

    /// Posts a call; a 2xx answer returns its status and body, anything else
    /// is an error carrying the status, body and `Location`.
    pub async fn call<M: prost::Message + prost::Name>(
        &self,
        url: &str,
        content_type: ContentType,
        message: &M,
        stream_id: Option<&str>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let request = Self::build(url, content_type, content_type.encode(message), stream_id)?;
        let work = async {
            let response = self.send(request).await?;
            read_full(url, response).await
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| ClientError::Timeout { url: url.to_owned() })?
    }

    /// A plain GET.
    pub async fn get(&self, url: &str) -> Result<(StatusCode, Bytes), ClientError> {
        let request = Request::get(url)
            .body(Full::new(Bytes::new()))
            .map_err(|e| ClientError::Protocol { url: url.to_owned(), reason: e.to_string() })?;
        let work = async {
            let response = self.send(request).await?;
            read_full(url, response).await
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| ClientError::Timeout { url: url.to_owned() })?
    }

    /// Any request with an optional body of the given content type.
    pub async fn request(
        &self,
        method: http::Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let mut builder = Request::builder().method(method).uri(url);
        if let Some(content_type) = content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        let request = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol { url: url.to_owned(), reason: e.to_string() })?;
        let work = async {
            let response = self.send(request).await?;
            read_full(url, response).await
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| ClientError::Timeout { url: url.to_owned() })?
    }

    /// Posts a form body (`application/x-www-form-urlencoded`), as the
    /// legacy endpoints take it.
    pub async fn post_form(&self, url: &str, body: String) -> Result<(StatusCode, Bytes), ClientError> {
        let request = Request::post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Protocol { url: url.to_owned(), reason: e.to_string() })?;
        let work = async {
            let response = self.send(request).await?;
            read_full(url, response).await
        };
        tokio::time::timeout(self.timeout, work).await.map_err(|_| ClientError::Timeout { url: url.to_owned() })?
    }

    /// Opens a subscription: posts `call` and returns the event stream.
    pub async fn subscribe<M: prost::Message + prost::Name, E>(
        &self,
        url: &str,
        content_type: ContentType,
        call: &M,
        stream_id: Option<&str>,
    ) -> Result<Subscription<E>, ClientError> {
        let request = Self::build(url, content_type, content_type.encode(call), stream_id)?;
        let response = tokio::time::timeout(self.timeout, self.send(request))
            .await
            .map_err(|_| ClientError::Timeout { url: url.to_owned() })??;
        if response.status() != StatusCode::OK {
            return Err(read_full(url, response).await.err().unwrap_or_else(|| ClientError::Protocol {
                url: url.to_owned(),
                reason: "expected 200 OK for a subscription".into(),
            }));
        }
        let stream_id =
            response.headers().get(crate::STREAM_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(Subscription {
            url: url.to_owned(),
            stream_id,
            body: response.into_body(),
            decoder: recordio::Decoder::new(),
            content_type,
            _event: std::marker::PhantomData,
        })
    }
}

async fn read_full(url: &str, response: http::Response<Incoming>) -> Result<(StatusCode, Bytes), ClientError> {
    let status = response.status();
    let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ClientError::Unreachable { url: url.to_owned(), reason: e.to_string() })?
        .to_bytes();
    if status.is_success() {
        Ok((status, body))
    } else {
        Err(ClientError::Status {
            url: url.to_owned(),
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            location,
        })
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

/// The events of an open subscription.
pub struct Subscription<E> {
    url: String,
    /// The `Mesos-Stream-Id` the server handed out, if any.
    pub stream_id: Option<String>,
    body: Incoming,
    decoder: recordio::Decoder,
    content_type: ContentType,
    _event: std::marker::PhantomData<fn() -> E>,
}

impl<E: prost::Message + prost::Name + Default> Subscription<E> {
    /// The next event; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Option<Result<E, ClientError>> {
        loop {
            match self.decoder.next_record() {
                Ok(Some(record)) => {
                    return Some(
                        self.content_type
                            .decode::<E>(&record)
                            .map_err(|e| ClientError::Protocol { url: self.url.clone(), reason: e.to_string() }),
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    return Some(Err(ClientError::Protocol { url: self.url.clone(), reason: e.to_string() }));
                }
            }
            match self.body.frame().await {
                None => return None,
                Some(Err(e)) => {
                    return Some(Err(ClientError::Unreachable { url: self.url.clone(), reason: e.to_string() }));
                }
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.decoder.push(data);
                    }
                }
            }
        }
    }
}

impl<E> Subscription<E> {
    /// Where the subscription was opened.
    pub fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_locations() {
        assert_eq!(redirect_authority("//10.0.0.1:5050/api/v1/scheduler").as_deref(), Some("10.0.0.1:5050"));
        assert_eq!(redirect_authority("http://m2:5050").as_deref(), Some("m2:5050"));
        assert_eq!(redirect_authority("/relative"), None);
    }
}
