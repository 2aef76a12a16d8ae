//! The agent's `--resources` and `--attributes` flag grammars.
//!
//! Resources are either a JSON array of v1 `Resource` objects or text:
//! `name[(role)]:value` entries separated by `;`, where a value is a scalar
//! (`4`, `0.5`), ranges (`[31000-32000,33000-33100]`) or a set (`{a,b}`).
//! A role makes a static reservation; without one the default role applies.
//! Spaces are ignored.
//!
//! Attributes are `name:value` entries separated by `;`; a value is a
//! scalar, ranges, or otherwise text.

use mesos_proto::v1;

use crate::{Ranges, Reservation, Resource, ResourceError, ResourceValue, Resources, Scalar, Set, role};

/// Parses the `--resources` flag (text or JSON array).
pub fn resources(text: &str, default_role: &str) -> Result<Resources, ResourceError> {
    let error = |reason: String| ResourceError::Parse { text: text.to_owned(), reason };
    let trimmed = text.trim();
    if trimmed.starts_with('[')
        && trimmed.contains('{')
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        return resources_json(&json, default_role).map_err(|e| error(e.to_string()));
    }
    let mut bag = Resources::new();
    for entry in trimmed.split(';') {
        let entry: String = entry.chars().filter(|c| !c.is_whitespace()).collect();
        if entry.is_empty() {
            continue;
        }
        let (head, value) =
            entry.split_once(':').ok_or_else(|| error(format!("'{entry}' is not of the form name:value")))?;
        let (name, role) = match head.split_once('(') {
            Some((name, rest)) => {
                let role = rest.strip_suffix(')').ok_or_else(|| error(format!("missing ')' in '{head}'")))?;
                (name, role)
            }
            None => (head, default_role),
        };
        if name.is_empty() {
            return Err(error("empty resource name".to_owned()));
        }
        role::validate(role).map_err(|e| error(e.to_string()))?;
        let value = parse_value(value).map_err(error)?;
        if let ResourceValue::Scalar(s) = &value
            && name == "gpus"
            && s.millis() % 1000 != 0
        {
            return Err(error("gpus must be a whole number".to_owned()));
        }
        let mut resource = Resource::new(name, value);
        if role != role::DEFAULT {
            resource = resource.reserved(Reservation::new_static(role));
        }
        bag.add_resource(resource);
    }
    Ok(bag)
}

// The deprecated `role` field is how a JSON resource names its static role.
#[allow(deprecated)]
fn resources_json(json: &serde_json::Value, default_role: &str) -> Result<Resources, ResourceError> {
    let serde_json::Value::Array(items) = json else {
        return Err(ResourceError::Parse { text: json.to_string(), reason: "expected a JSON array".into() });
    };
    let mut bag = Resources::new();
    for item in items {
        let mut wire: v1::Resource = mesos_proto::json::from_value(item)
            .map_err(|e| ResourceError::Parse { text: item.to_string(), reason: e.to_string() })?;
        if wire.role.is_none() && wire.reservations.is_empty() && default_role != role::DEFAULT {
            wire.role = Some(default_role.to_owned());
        }
        bag.add_resource(Resource::from_proto(&wire)?);
    }
    Ok(bag)
}

/// Parses one value: ranges, set, or a finite non-negative scalar.
fn parse_value(text: &str) -> Result<ResourceValue, String> {
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or_else(|| format!("missing ']' in '{text}'"))?;
        return parse_ranges(inner).map(ResourceValue::Ranges);
    }
    if let Some(inner) = text.strip_prefix('{') {
        let inner = inner.strip_suffix('}').ok_or_else(|| format!("missing '}}' in '{text}'"))?;
        let set: Set = inner.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        return Ok(ResourceValue::Set(set));
    }
    parse_scalar(text).map(ResourceValue::Scalar)
}

fn parse_scalar(text: &str) -> Result<Scalar, String> {
    let value: f64 = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
    if !value.is_finite() || value < 0.0 || (value != 0.0 && value.abs() < f64::MIN_POSITIVE) {
        return Err(format!("'{text}' must be a finite, non-negative number"));
    }
    Ok(Scalar::from_f64(value))
}

fn parse_ranges(inner: &str) -> Result<Ranges, String> {
    let mut pairs = Vec::new();
    for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (begin, end) = part.split_once('-').ok_or_else(|| format!("'{part}' is not a range a-b"))?;
        let begin: u64 = begin.trim().parse().map_err(|_| format!("'{begin}' is not an integer"))?;
        let end: u64 = end.trim().parse().map_err(|_| format!("'{end}' is not an integer"))?;
        if begin > end {
            return Err(format!("range '{part}' begins after it ends"));
        }
        pairs.push((begin, end));
    }
    Ok(Ranges::from_pairs(pairs))
}

/// Parses the `--attributes` flag into wire attributes.
pub fn attributes(text: &str) -> Result<Vec<v1::Attribute>, ResourceError> {
    let error = |reason: String| ResourceError::Parse { text: text.to_owned(), reason };
    let mut out: Vec<v1::Attribute> = Vec::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, value) =
            entry.split_once(':').ok_or_else(|| error(format!("'{entry}' is not of the form name:value")))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() {
            return Err(error("empty attribute name".to_owned()));
        }
        let mut attribute = v1::Attribute { name: name.to_owned(), ..Default::default() };
        if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            let ranges = parse_ranges(inner).map_err(error)?;
            attribute.r#type = v1::value::Type::Ranges as i32;
            attribute.ranges = Some(v1::value::Ranges {
                range: ranges.pairs().iter().map(|&(begin, end)| v1::value::Range { begin, end }).collect(),
            });
        } else if value.starts_with('{') {
            return Err(error(format!("attribute '{name}' cannot be a set")));
        } else if let Ok(number) =
            value.parse::<f64>().map_err(|_| ()).and_then(|v| if v.is_finite() { Ok(v) } else { Err(()) })
        {
            attribute.r#type = v1::value::Type::Scalar as i32;
            attribute.scalar = Some(v1::value::Scalar { value: number });
        } else {
            attribute.r#type = v1::value::Type::Text as i32;
            attribute.text = Some(v1::value::Text { value: value.to_owned() });
        }
        out.push(attribute);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_grammar() {
        let bag = resources("cpus:4;mem:1024;disk:8192;ports:[31000-32000];bugs:{a,b}", "*").unwrap();
        assert_eq!(bag.cpus(), Scalar::from_units(4));
        assert_eq!(bag.ports().to_string(), "[31000-32000]");
        assert_eq!(bag.to_string(), "cpus:4; mem:1024; disk:8192; ports:[31000-32000]; bugs:{a, b}");
        let reserved = resources(" cpus(ads) : 8 ; cpus:2 ", "*").unwrap();
        assert_eq!(reserved.reserved_to("ads").cpus(), Scalar::from_units(8));
        assert_eq!(reserved.unreserved().cpus(), Scalar::from_units(2));
        let default_role = resources("cpus:1", "web").unwrap();
        assert_eq!(default_role.reserved_to("web").cpus(), Scalar::from_units(1));
    }

    #[test]
    fn json_grammar() {
        let bag = resources(
            r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":24}},
                {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":21000,"end":24000}]}},
                {"name":"bugs","type":"SET","set":{"item":["a","b"]},"role":"debug"}]"#,
            "*",
        )
        .unwrap();
        assert_eq!(bag.cpus(), Scalar::from_units(24));
        assert_eq!(bag.reserved_to("debug").len(), 1);
    }

    #[test]
    fn bad_input_is_an_error() {
        for bad in [
            "cpus",
            "cpus:abc",
            "cpus:-1",
            "cpus:inf",
            "ports:[5-1]",
            "ports:[1-2",
            "cpus(a:1",
            "cpus(/x):1",
            ":3",
            "gpus:0.5",
        ] {
            assert!(resources(bad, "*").is_err(), "{bad}");
        }
    }

    #[test]
    fn attributes_grammar() {
        let attrs = attributes("rack:abc;zone:west;level:10;keys:[1000-1500]").unwrap();
        let types: Vec<i32> = attrs.iter().map(|a| a.r#type).collect();
        assert_eq!(
            types,
            [v1::value::Type::Text, v1::value::Type::Text, v1::value::Type::Scalar, v1::value::Type::Ranges]
                .map(|t| t as i32)
        );
        assert!(attributes("bad").is_err());
        assert!(attributes("s:{a,b}").is_err());
    }
}
