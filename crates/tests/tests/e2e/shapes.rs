//! Checking JSON against the key names and types Mesos gives it.

use serde_json::Value;

/// The JSON type a key must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Num,
    Bool,
    Arr,
    Obj,
}

fn kind_of(value: &Value) -> Option<Kind> {
    match value {
        Value::String(_) => Some(Kind::Str),
        Value::Number(_) => Some(Kind::Num),
        Value::Bool(_) => Some(Kind::Bool),
        Value::Array(_) => Some(Kind::Arr),
        Value::Object(_) => Some(Kind::Obj),
        Value::Null => None,
    }
}

/// Fails unless `value` has every key with its type; `what` names it.
#[track_caller]
pub fn check(what: &str, value: &Value, keys: &[(&str, Kind)]) {
    for (key, kind) in keys {
        let found = value.get(*key).and_then(kind_of);
        assert_eq!(found, Some(*kind), "{what}: key '{key}' should be {kind:?} in {value:#}");
    }
}

/// The first element of the array at `key`, which must not be empty.
#[track_caller]
pub fn first<'a>(what: &str, value: &'a Value, key: &str) -> &'a Value {
    value[key].as_array().and_then(|a| a.first()).unwrap_or_else(|| panic!("{what}: '{key}' is empty in {value:#}"))
}
