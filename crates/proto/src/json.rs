//! JSON exactly as Mesos renders and parses its v1 messages.
//!
//! Output:
//! - field names are the proto field names (snake_case);
//! - enums are written by value name, bytes in standard base64 with padding,
//!   64-bit integers as JSON numbers;
//! - repeated and map fields appear only when non-empty, maps as objects;
//! - an unset optional field appears when it has an explicit `[default = ...]`
//!   and is not deprecated (`"refuse_seconds": 5.0`, `"shell": true`);
//! - non-finite doubles are written as the bare tokens `Infinity`,
//!   `-Infinity` and `NaN`, as Mesos does.
//!
//! Input:
//! - unknown field names are ignored and `null` means unset;
//! - numbers and booleans may also be given as strings (`"5"`, `"true"`),
//!   doubles as `"Infinity"`;
//! - an unknown enum name is ignored for optional and repeated fields and is
//!   an error for required ones;
//! - after parsing, missing required fields are an error naming their paths.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value};
use serde_json::Value as Json;

use crate::reflect::descriptor_of;

/// Why a JSON body could not be turned into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("malformed JSON: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Missing required fields: {}", .0.join(", "))]
    MissingRequired(Vec<String>),
}

/// Renders `message` as Mesos JSON.
pub fn to_string<M: prost::Message + prost::Name>(message: &M) -> String {
    let mut out = String::with_capacity(128);
    write_message(&to_dynamic(message), &mut out);
    out
}

/// Renders `message` as a `serde_json::Value` (non-finite doubles become
/// `null`, since `serde_json` cannot hold them).
pub fn to_value<M: prost::Message + prost::Name>(message: &M) -> Json {
    serde_json::from_str(&to_string(message)).unwrap_or(Json::Null)
}

/// Parses Mesos JSON into a message of type `M`.
pub fn from_slice<M: prost::Message + prost::Name + Default>(bytes: &[u8]) -> Result<M, JsonError> {
    let json: Json = serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))?;
    from_value(&json)
}

/// Converts an already parsed JSON value into a message of type `M`.
pub fn from_value<M: prost::Message + prost::Name + Default>(json: &Json) -> Result<M, JsonError> {
    let descriptor = descriptor_of::<M>();
    let dynamic = parse_message(&descriptor, json, "")?;
    let mut missing = Vec::new();
    crate::codec::collect_missing_required(&dynamic, "", &mut missing);
    if !missing.is_empty() {
        return Err(JsonError::MissingRequired(missing));
    }
    dynamic.transcode_to::<M>().map_err(|e| JsonError::Invalid(format!("failed to convert message: {e}")))
}

fn to_dynamic<M: prost::Message + prost::Name>(message: &M) -> DynamicMessage {
    let descriptor = descriptor_of::<M>();
    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .expect("a message encoded by prost decodes with its own descriptor")
}

// ---------------------------------------------------------------------------
// Output.

fn write_message(message: &DynamicMessage, out: &mut String) {
    out.push('{');
    let mut first = true;
    for field in message.descriptor().fields() {
        let value = if field.is_list() || field.is_map() {
            let value = message.get_field(&field);
            let empty = match value.as_ref() {
                Value::List(items) => items.is_empty(),
                Value::Map(entries) => entries.is_empty(),
                _ => true,
            };
            if empty {
                continue;
            }
            value
        } else if message.has_field(&field) || emits_default(&field) {
            message.get_field(&field)
        } else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        write_string(field.name(), out);
        out.push(':');
        write_value(&field.kind(), &value, out);
    }
    out.push('}');
}

/// Mesos emits unset optional fields that carry an explicit, non-deprecated
/// default.
fn emits_default(field: &FieldDescriptor) -> bool {
    let proto = field.field_descriptor_proto();
    proto.default_value.is_some() && !proto.options.as_ref().is_some_and(|o| o.deprecated())
}

fn write_value(kind: &Kind, value: &Value, out: &mut String) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::I32(n) => write!(out, "{n}").unwrap_or(()),
        Value::I64(n) => write!(out, "{n}").unwrap_or(()),
        Value::U32(n) => write!(out, "{n}").unwrap_or(()),
        Value::U64(n) => write!(out, "{n}").unwrap_or(()),
        Value::F32(n) => write_double(f64::from(*n), out),
        Value::F64(n) => write_double(*n, out),
        Value::String(s) => write_string(s, out),
        Value::Bytes(b) => write_string(&STANDARD.encode(b), out),
        Value::EnumNumber(number) => match kind.as_enum().and_then(|e| e.get_value(*number)) {
            Some(enum_value) => write_string(enum_value.name(), out),
            None => write!(out, "{number}").unwrap_or(()),
        },
        Value::Message(message) => write_message(message, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(kind, item, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let value_kind =
                kind.as_message().map(|entry| entry.map_entry_value_field().kind()).unwrap_or_else(|| kind.clone());
            let mut sorted: Vec<(String, &Value)> = entries.iter().map(|(k, v)| (map_key_to_string(k), v)).collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(&key, out);
                out.push(':');
                write_value(&value_kind, item, out);
            }
            out.push('}');
        }
    }
}

fn write_double(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
    } else if n.is_infinite() {
        out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // `Debug` keeps a decimal point on integral values (`5.0`), as Mesos does.
        write!(out, "{n:?}").unwrap_or(());
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn map_key_to_string(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

// ---------------------------------------------------------------------------
// Input.

fn parse_message(descriptor: &MessageDescriptor, json: &Json, path: &str) -> Result<DynamicMessage, JsonError> {
    let Json::Object(object) = json else {
        return Err(JsonError::Invalid(format!(
            "expecting a JSON object for '{}'",
            if path.is_empty() { descriptor.name() } else { path }
        )));
    };
    let mut message = DynamicMessage::new(descriptor.clone());
    for (name, value) in object {
        let Some(field) = descriptor.get_field_by_name(name).or_else(|| descriptor.get_field_by_json_name(name)) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let field_path = join(path, field.name());
        if field.is_map() {
            let map = parse_map(&field, value, &field_path)?;
            message.set_field(&field, Value::Map(map));
        } else if field.is_list() {
            let Json::Array(items) = value else {
                return Err(JsonError::Invalid(format!("expecting a JSON array for '{field_path}'")));
            };
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                if let Some(parsed) = parse_value(&field.kind(), item, &field_path, false)? {
                    list.push(parsed);
                }
            }
            message.set_field(&field, Value::List(list));
        } else if let Some(parsed) = parse_value(&field.kind(), value, &field_path, field.is_required())? {
            message.set_field(&field, parsed);
        }
    }
    Ok(message)
}

fn parse_map(
    field: &FieldDescriptor,
    json: &Json,
    path: &str,
) -> Result<std::collections::HashMap<MapKey, Value>, JsonError> {
    let Json::Object(object) = json else {
        return Err(JsonError::Invalid(format!("expecting a JSON object for '{path}'")));
    };
    let entry =
        field.kind().as_message().cloned().ok_or_else(|| JsonError::Invalid(format!("'{path}' is not a map")))?;
    let key_kind = entry.map_entry_key_field().kind();
    let value_kind = entry.map_entry_value_field().kind();
    let mut map = std::collections::HashMap::with_capacity(object.len());
    for (key, value) in object {
        let entry_path = format!("{path}.{key}");
        let key = parse_map_key(&key_kind, key, &entry_path)?;
        if let Some(parsed) = parse_value(&value_kind, value, &entry_path, false)? {
            map.insert(key, parsed);
        }
    }
    Ok(map)
}

fn parse_map_key(kind: &Kind, key: &str, path: &str) -> Result<MapKey, JsonError> {
    let bad = || JsonError::Invalid(format!("invalid map key for '{path}'"));
    Ok(match kind {
        Kind::String => MapKey::String(key.to_owned()),
        Kind::Bool => MapKey::Bool(key.parse().map_err(|_| bad())?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => MapKey::I32(key.parse().map_err(|_| bad())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => MapKey::I64(key.parse().map_err(|_| bad())?),
        Kind::Uint32 | Kind::Fixed32 => MapKey::U32(key.parse().map_err(|_| bad())?),
        Kind::Uint64 | Kind::Fixed64 => MapKey::U64(key.parse().map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}

/// Parses one value of `kind`. `Ok(None)` means "leave unset" (an unknown
/// enum name on a field that is not required).
fn parse_value(kind: &Kind, json: &Json, path: &str, required: bool) -> Result<Option<Value>, JsonError> {
    let mismatch = |expected: &str| JsonError::Invalid(format!("expecting {expected} for field '{path}'"));
    let value = match kind {
        Kind::Bool => Value::Bool(match json {
            Json::Bool(b) => *b,
            Json::String(s) if s == "true" => true,
            Json::String(s) if s == "false" => false,
            _ => return Err(mismatch("a boolean")),
        }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            let n = parse_integer(json).ok_or_else(|| mismatch("an integer"))?;
            Value::I32(i32::try_from(n).map_err(|_| mismatch("a 32-bit integer"))?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            let n = parse_integer(json).ok_or_else(|| mismatch("an integer"))?;
            Value::I64(i64::try_from(n).map_err(|_| mismatch("a 64-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => {
            let n = parse_integer(json).ok_or_else(|| mismatch("an unsigned integer"))?;
            Value::U32(u32::try_from(n).map_err(|_| mismatch("an unsigned 32-bit integer"))?)
        }
        Kind::Uint64 | Kind::Fixed64 => {
            let n = parse_integer(json).ok_or_else(|| mismatch("an unsigned integer"))?;
            Value::U64(u64::try_from(n).map_err(|_| mismatch("an unsigned 64-bit integer"))?)
        }
        Kind::Double => Value::F64(parse_double(json).ok_or_else(|| mismatch("a number"))?),
        Kind::Float => Value::F32(parse_double(json).ok_or_else(|| mismatch("a number"))? as f32),
        Kind::String => match json {
            Json::String(s) => Value::String(s.clone()),
            _ => return Err(mismatch("a string")),
        },
        Kind::Bytes => match json {
            Json::String(s) => Value::Bytes(
                STANDARD
                    .decode(s)
                    .or_else(|_| STANDARD_NO_PAD.decode(s.trim_end_matches('=')))
                    .map_err(|_| JsonError::Invalid(format!("field '{path}' is not valid base64")))?
                    .into(),
            ),
            _ => return Err(mismatch("a base64 string")),
        },
        Kind::Enum(descriptor) => {
            let number = match json {
                Json::String(name) => descriptor.get_value_by_name(name).map(|v| v.number()),
                Json::Number(_) => parse_integer(json)
                    .and_then(|n| i32::try_from(n).ok())
                    .filter(|n| descriptor.get_value(*n).is_some()),
                _ => return Err(mismatch("an enum name")),
            };
            match number {
                Some(number) => Value::EnumNumber(number),
                None if required => {
                    return Err(JsonError::Invalid(format!("unknown value {json} for enum field '{path}'")));
                }
                None => return Ok(None),
            }
        }
        Kind::Message(descriptor) => Value::Message(parse_message(descriptor, json, path)?),
    };
    Ok(Some(value))
}

fn parse_integer(json: &Json) -> Option<i128> {
    match json {
        Json::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.is_finite()).map(|f| f as i128)),
        Json::String(s) => s.trim().parse::<i128>().ok(),
        _ => None,
    }
}

fn parse_double(json: &Json) -> Option<f64> {
    match json {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.trim() {
            "Infinity" | "inf" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            "NaN" | "nan" => Some(f64::NAN),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::scheduler::{Call, call};
    use crate::v1::{Filters, FrameworkInfo, Resource, TaskState, TaskStatus, Value as PValue, value};

    #[test]
    fn defaults_are_emitted_and_deprecated_defaults_are_not() {
        let info = FrameworkInfo { user: "root".into(), name: "fw".into(), ..Default::default() };
        let json: Json = serde_json::from_str(&to_string(&info)).unwrap();
        assert_eq!(json["failover_timeout"], serde_json::json!(0.0));
        assert_eq!(json["checkpoint"], serde_json::json!(false));
        assert!(json.get("role").is_none(), "deprecated default must not appear: {json}");
        assert!(json.get("roles").is_none(), "empty repeated field must not appear");
        let filters = Filters::default();
        assert_eq!(to_string(&filters), r#"{"refuse_seconds":5.0}"#);
    }

    #[test]
    fn enums_by_name_and_bytes_in_base64() {
        let status = TaskStatus {
            task_id: crate::v1::TaskId { value: "t".into() },
            state: TaskState::TaskRunning as i32,
            uuid: Some(vec![0xff, 0x00, 0x10]),
            ..Default::default()
        };
        let text = to_string(&status);
        assert!(text.contains(r#""state":"TASK_RUNNING""#), "{text}");
        assert!(text.contains(r#""uuid":"/wAQ""#), "{text}");
        let back: TaskStatus = from_slice(text.as_bytes()).unwrap();
        assert_eq!(back, status);
    }

    #[test]
    fn parsing_is_lenient_like_mesos() {
        let body = br#"{
            "type": "DECLINE",
            "framework_id": {"value": "f"},
            "decline": {"offer_ids": [{"value": "o1"}], "filters": {"refuse_seconds": "10"}},
            "some_future_field": {"nested": true}
        }"#;
        let call: Call = from_slice(body).unwrap();
        assert_eq!(call.r#type(), call::Type::Decline);
        assert_eq!(call.decline.unwrap().filters.unwrap().refuse_seconds(), 10.0);
    }

    #[test]
    fn missing_required_fields_are_named() {
        let body = br#"{"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "x"}}}"#;
        let error = from_slice::<Call>(body).unwrap_err();
        assert_eq!(error.to_string(), "Missing required fields: subscribe.framework_info.user");
    }

    #[test]
    fn unknown_enum_names_are_ignored_on_optional_fields() {
        let call: Call = from_slice(br#"{"type": "NOT_A_CALL"}"#).unwrap();
        assert_eq!(call.r#type, None);
    }

    #[test]
    fn scalars_and_non_finite_doubles() {
        let resource = Resource {
            name: "cpus".into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: f64::INFINITY }),
            ..Default::default()
        };
        let text = to_string(&resource);
        assert!(text.contains(r#""scalar":{"value":Infinity}"#), "{text}");
        let parsed: PValue = from_slice(br#"{"type":"SCALAR","scalar":{"value":"Infinity"}}"#).unwrap();
        assert_eq!(parsed.scalar.unwrap().value, f64::INFINITY);
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        assert!(from_slice::<Call>(br#"{"framework_id": "not-an-object"}"#).is_err());
        assert!(from_slice::<Call>(br#"[1,2]"#).is_err());
        assert!(from_slice::<Call>(b"{not json").is_err());
    }
}
