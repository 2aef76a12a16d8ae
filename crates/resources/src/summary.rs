//! The "v0" JSON summaries of resources and attributes that legacy
//! endpoints (`/master/state`, `/slave(1)/state`, ...) use:
//! `{"cpus": 2.0, "gpus": 0.0, "mem": 1024.0, "disk": 0.0, "ports": "[31000-32000]"}`.

use mesos_proto::v1;
use serde_json::{Map, Value, json};

use crate::{ResourceValue, Resources};

/// The summary object: `cpus`, `gpus`, `mem` and `disk` always present,
/// other scalars as numbers, ranges and sets as strings; revocable resources
/// get a `_revocable` suffix.
pub fn resources(resources: &Resources) -> Value {
    let mut object = Map::new();
    for name in ["cpus", "disk", "gpus", "mem"] {
        object.insert(name.to_owned(), json!(0.0));
    }
    for resource in resources.iter() {
        let name = if resource.revocable { format!("{}_revocable", resource.name) } else { resource.name.clone() };
        match &resource.value {
            ResourceValue::Scalar(amount) => {
                let previous = object.get(&name).and_then(Value::as_f64).unwrap_or(0.0);
                let total = crate::Scalar::from_f64(previous) + *amount;
                object.insert(name, json!(total.as_f64()));
            }
            ResourceValue::Ranges(_) => {
                let ranges = resources
                    .filter(|r| r.name == resource.name && r.revocable == resource.revocable)
                    .ranges(&resource.name);
                object.insert(name, json!(ranges.to_string()));
            }
            ResourceValue::Set(_) => {
                let mut set = crate::Set::new();
                for r in resources.iter().filter(|r| r.name == resource.name) {
                    if let ResourceValue::Set(s) = &r.value {
                        set.add(s);
                    }
                }
                object.insert(name, json!(set.to_string()));
            }
        }
    }
    Value::Object(object)
}

/// Reserved resources summarized per reservation role.
pub fn reserved_by_role(resources: &Resources) -> Value {
    let mut roles: Vec<&str> = resources.iter().filter_map(|r| r.reservation_role()).collect();
    roles.sort_unstable();
    roles.dedup();
    Value::Object(
        roles.into_iter().map(|role| (role.to_owned(), self::resources(&resources.reserved_to(role)))).collect(),
    )
}

/// The attributes object: `{"rack": "a", "level": 10.0, "keys": "[1-2]"}`.
pub fn attributes(attributes: &[v1::Attribute]) -> Value {
    let mut object = Map::new();
    for attribute in attributes {
        let value = match v1::value::Type::try_from(attribute.r#type) {
            Ok(v1::value::Type::Scalar) => {
                json!(attribute.scalar.as_ref().map_or(0.0, |s| s.value))
            }
            Ok(v1::value::Type::Ranges) => json!(
                crate::Ranges::from_pairs(
                    attribute.ranges.iter().flat_map(|r| r.range.iter().map(|x| (x.begin, x.end)))
                )
                .to_string()
            ),
            Ok(v1::value::Type::Set) => {
                json!(attribute.set.iter().flat_map(|s| s.item.iter().cloned()).collect::<crate::Set>().to_string())
            }
            _ => json!(attribute.text.as_ref().map_or("", |t| t.value.as_str())),
        };
        object.insert(attribute.name.clone(), value);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_shape() {
        let bag = crate::parse::resources("cpus:2;mem:1024;ports:[31000-32000];cpus(web):1", "*").unwrap();
        let summary = resources(&bag);
        assert_eq!(summary["cpus"], json!(3.0));
        assert_eq!(summary["gpus"], json!(0.0));
        assert_eq!(summary["ports"], json!("[31000-32000]"));
        assert_eq!(reserved_by_role(&bag)["web"]["cpus"], json!(1.0));
    }
}
