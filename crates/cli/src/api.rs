//! Calls to the master: operator calls (protobuf over `POST /api/v1`) and
//! the few legacy endpoints the commands need, with 307 redirects from a
//! non-leading master followed to the leader.

use std::time::Duration;

use bytes::Bytes;
use mesos_http::client::{Client, ClientError};
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Call, Response, call};

use crate::error::CliError;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 3;

/// A connection to the leading master.
pub struct Master {
    address: String,
    http: Client,
}

impl Master {
    pub fn new(address: String) -> Master {
        Master { address, http: Client::new().with_timeout(Duration::from_secs(20)) }
    }

    fn failure(&self, error: ClientError) -> CliError {
        match error {
            ClientError::Status { status, body, .. } => {
                CliError::Refused { status: status.as_u16(), message: body.trim().to_owned() }
            }
            ClientError::Unreachable { reason, .. } => CliError::Unreachable {
                master: self.address.clone(),
                reason: reason.rsplit(": ").next().unwrap_or(&reason).to_owned(),
            },
            ClientError::Timeout { .. } => {
                CliError::Unreachable { master: self.address.clone(), reason: "no answer in time".into() }
            }
            ClientError::Protocol { reason, .. } => CliError::Protocol(reason),
        }
    }

    /// Sends an operator call; returns the response (empty for changes).
    pub async fn call(&mut self, call: Call) -> Result<Response, CliError> {
        for _ in 0..=MAX_REDIRECTS {
            let url = format!("http://{}/api/v1", self.address);
            match self.http.call(&url, ContentType::Protobuf, &call, None).await {
                Ok((_, body)) if body.is_empty() => return Ok(Response::default()),
                Ok((_, body)) => {
                    return ContentType::Protobuf
                        .decode::<Response>(&body)
                        .map_err(|e| CliError::Protocol(e.to_string()));
                }
                Err(error) => match error.redirect() {
                    Some(leader) => self.address = leader,
                    None => return Err(self.failure(error)),
                },
            }
        }
        Err(CliError::Protocol("too many redirects".into()))
    }

    /// A call without payload, by type.
    pub async fn get(&mut self, kind: call::Type) -> Result<Response, CliError> {
        self.call(Call { r#type: Some(kind as i32), ..Default::default() }).await
    }

    /// GETs a legacy endpoint (`/registrar(1)/registry`, ...).
    pub async fn get_path(&mut self, path: &str) -> Result<Bytes, CliError> {
        for _ in 0..=MAX_REDIRECTS {
            let url = format!("http://{}{path}", self.address);
            match self.http.get(&url).await {
                Ok((_, bytes)) => return Ok(bytes),
                Err(error) => match error.redirect() {
                    Some(leader) => self.address = leader,
                    None => return Err(self.failure(error)),
                },
            }
        }
        Err(CliError::Protocol("too many redirects".into()))
    }

    /// Posts a form to a legacy endpoint (`/master/...`).
    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Bytes, CliError> {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        for _ in 0..=MAX_REDIRECTS {
            let url = format!("http://{}{path}", self.address);
            match self.http.post_form(&url, body.join("&")).await {
                Ok((_, bytes)) => return Ok(bytes),
                Err(error) => match error.redirect() {
                    Some(leader) => self.address = leader,
                    None => return Err(self.failure(error)),
                },
            }
        }
        Err(CliError::Protocol("too many redirects".into()))
    }
}

/// Percent-encoding of a form field.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
