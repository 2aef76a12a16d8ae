//! Choosing and applying the body encoding of a v1 API request or response.
//!
//! Mesos compares `Content-Type` by exact string equality: only
//! `application/json` and `application/x-protobuf` are accepted, and
//! `application/json; charset=utf-8` is refused with 415. Responses follow
//! `Accept`, preferring JSON when both are acceptable.

use prost_reflect::{DynamicMessage, ReflectMessage, Value};

use crate::json::{self, JsonError};
use crate::reflect::descriptor_of;

pub const APPLICATION_JSON: &str = "application/json";
pub const APPLICATION_PROTOBUF: &str = "application/x-protobuf";
pub const APPLICATION_RECORDIO: &str = "application/recordio";

/// The two encodings of v1 API bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Json,
    Protobuf,
}

/// Why a request body could not be decoded; maps to a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("Failed to parse body into JSON: {0}")]
    Json(String),
    #[error("Failed to convert JSON into {message} protobuf: {reason}")]
    JsonConversion { message: String, reason: String },
    #[error("Failed to parse body into {message}: {reason}")]
    Protobuf { message: String, reason: String },
}

/// Why a request's media types are unacceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    #[error("Expecting 'Content-Type' to be present")]
    MissingContentType,
    #[error("Expecting 'Content-Type' of application/json or application/x-protobuf")]
    UnsupportedContentType,
    #[error("Expecting 'Accept' to allow application/json or application/x-protobuf")]
    NotAcceptable,
}

impl ContentType {
    /// The media type string of this encoding.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => APPLICATION_JSON,
            ContentType::Protobuf => APPLICATION_PROTOBUF,
        }
    }

    /// Reads a request's `Content-Type` header with Mesos's exact matching.
    pub fn from_content_type(header: Option<&str>) -> Result<Self, MediaTypeError> {
        match header {
            None => Err(MediaTypeError::MissingContentType),
            Some(APPLICATION_JSON) => Ok(ContentType::Json),
            Some(APPLICATION_PROTOBUF) => Ok(ContentType::Protobuf),
            Some(_) => Err(MediaTypeError::UnsupportedContentType),
        }
    }

    /// Picks the response encoding from a request's `Accept` header. No
    /// header accepts anything, which means JSON.
    pub fn from_accept(header: Option<&str>) -> Result<Self, MediaTypeError> {
        let Some(header) = header else {
            return Ok(ContentType::Json);
        };
        let mut json = false;
        let mut protobuf = false;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = pieces.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").and_then(|q| q.trim().parse::<f64>().ok()) == Some(0.0)
            });
            if refused {
                continue;
            }
            match media.as_str() {
                APPLICATION_JSON => json = true,
                APPLICATION_PROTOBUF => protobuf = true,
                "*/*" | "application/*" => {
                    json = true;
                    protobuf = true;
                }
                _ => {}
            }
        }
        if json {
            Ok(ContentType::Json)
        } else if protobuf {
            Ok(ContentType::Protobuf)
        } else {
            Err(MediaTypeError::NotAcceptable)
        }
    }

    /// Encodes `message` in this encoding.
    pub fn encode<M: prost::Message + prost::Name>(self, message: &M) -> Vec<u8> {
        match self {
            ContentType::Json => json::to_string(message).into_bytes(),
            ContentType::Protobuf => message.encode_to_vec(),
        }
    }

    /// Decodes a request body, rejecting messages with missing required fields.
    pub fn decode<M: prost::Message + prost::Name + Default>(self, body: &[u8]) -> Result<M, DecodeError> {
        match self {
            ContentType::Json => json::from_slice(body).map_err(|error| match error {
                JsonError::Syntax(reason) => DecodeError::Json(reason),
                other => DecodeError::JsonConversion { message: M::NAME.to_owned(), reason: other.to_string() },
            }),
            ContentType::Protobuf => decode_protobuf_checked(body),
        }
    }
}

/// Decodes binary protobuf and checks required fields, which `prost` alone
/// does not do for proto2 messages.
pub fn decode_protobuf_checked<M: prost::Message + prost::Name + Default>(body: &[u8]) -> Result<M, DecodeError> {
    let error = |reason: String| DecodeError::Protobuf { message: M::NAME.to_owned(), reason };
    let dynamic = DynamicMessage::decode(descriptor_of::<M>(), body).map_err(|e| error(e.to_string()))?;
    let mut missing = Vec::new();
    collect_missing_required(&dynamic, "", &mut missing);
    if !missing.is_empty() {
        return Err(error(format!("Missing required fields: {}", missing.join(", "))));
    }
    M::decode(body).map_err(|e| error(e.to_string()))
}

/// Appends the dotted paths of every unset required field of `message`.
pub(crate) fn collect_missing_required(message: &DynamicMessage, path: &str, missing: &mut Vec<String>) {
    for field in message.descriptor().fields() {
        let field_path = if path.is_empty() { field.name().to_owned() } else { format!("{path}.{}", field.name()) };
        if field.is_required() && !message.has_field(&field) {
            missing.push(field_path);
            continue;
        }
        if !message.has_field(&field) {
            continue;
        }
        match message.get_field(&field).as_ref() {
            Value::Message(inner) => collect_missing_required(inner, &field_path, missing),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Message(inner) = item {
                        collect_missing_required(inner, &format!("{field_path}[{i}]"), missing);
                    }
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    if let Value::Message(inner) = item {
                        collect_missing_required(inner, &format!("{field_path}[{key:?}]"), missing);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::scheduler::Call;

    #[test]
    fn content_type_matching_is_exact() {
        assert_eq!(ContentType::from_content_type(Some("application/json")), Ok(ContentType::Json));
        assert_eq!(
            ContentType::from_content_type(Some("application/json; charset=utf-8")),
            Err(MediaTypeError::UnsupportedContentType)
        );
        assert_eq!(ContentType::from_content_type(None), Err(MediaTypeError::MissingContentType));
    }

    #[test]
    fn accept_prefers_json_and_honours_q_zero() {
        assert_eq!(ContentType::from_accept(None), Ok(ContentType::Json));
        assert_eq!(ContentType::from_accept(Some("*/*")), Ok(ContentType::Json));
        assert_eq!(ContentType::from_accept(Some("application/x-protobuf")), Ok(ContentType::Protobuf));
        assert_eq!(
            ContentType::from_accept(Some("application/json;q=0, application/x-protobuf")),
            Ok(ContentType::Protobuf)
        );
        assert_eq!(ContentType::from_accept(Some("text/html")), Err(MediaTypeError::NotAcceptable));
    }

    #[test]
    fn protobuf_input_checks_required_fields() {
        // A SUBSCRIBE call (field 2 = 1) with an empty `subscribe` (field 3):
        // its required `framework_info` is missing.
        let bytes = [0x10, 0x01, 0x1a, 0x00];
        let error = ContentType::Protobuf.decode::<Call>(&bytes).unwrap_err();
        assert!(error.to_string().contains("Missing required fields: subscribe.framework_info"), "{error}");
        assert!(ContentType::Protobuf.decode::<Call>(&[0xff, 0xff, 0xff]).is_err());
    }
}
