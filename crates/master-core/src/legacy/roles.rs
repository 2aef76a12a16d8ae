//! `/master/roles`, `/master/weights` and `/master/quota` as Mesos renders
//! them: roles with their weight, quota (`guarantee`, `limit`, `consumed`),
//! the resource quantities allocated, offered and reserved to them, and
//! their frameworks.

use crate::Master;
use mesos_resources::Resources;
use serde_json::{Map, Value, json};

/// Scalar quantities as `{"cpus": 1.5, "mem": 128, ...}`.
fn quantities(resources: &Resources) -> Value {
    let map: Map<String, Value> =
        resources.scalar_quantities().into_iter().map(|(name, amount)| (name, json!(amount.as_f64()))).collect();
    Value::Object(map)
}

fn scalars(map: &std::collections::BTreeMap<String, mesos_proto::v1::value::Scalar>) -> Value {
    let sorted: std::collections::BTreeMap<&String, f64> = map.iter().map(|(k, v)| (k, v.value)).collect();
    json!(sorted)
}

pub fn roles(master: &Master) -> Value {
    let weights = master.role_weights();
    let quota = master.quota_list();
    let mut reserved_by_role: std::collections::BTreeMap<String, Resources> = Default::default();
    for agent in master.agents() {
        for resource in agent.total.iter() {
            if let Some(role) = resource.reservation_role() {
                reserved_by_role.entry(role.to_owned()).or_default().add_resource(resource.clone());
            }
        }
    }
    let roles: Vec<Value> = master
        .known_roles()
        .into_iter()
        .map(|name| {
            let (allocated, offered) = master.role_usage(&name);
            let reserved = reserved_by_role.get(&name).cloned().unwrap_or_default();
            let config = quota.iter().find(|q| q.role == name);
            let consumed = allocated.unallocated().plus(&reserved.minus(&allocated.unallocated()));
            json!({
                "name": name,
                "weight": weights.get(&name).copied().unwrap_or(1.0),
                "quota": {
                    "role": name,
                    "guarantee": config.map_or(json!({}), |c| scalars(&c.guarantees)),
                    "limit": config.map_or(json!({}), |c| scalars(&c.limits)),
                    "consumed": quantities(&consumed),
                },
                "resources": quantities(&allocated.plus(&offered).unallocated()),
                "allocated": quantities(&allocated.unallocated()),
                "offered": quantities(&offered.unallocated()),
                "reserved": quantities(&reserved),
                "frameworks": master.role_frameworks(&name).into_iter().map(|f| f.value).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "roles": roles })
}

/// `/master/weights`: `[{"role": ..., "weight": ...}]`.
pub fn weights(master: &Master) -> Value {
    Value::Array(
        master.role_weights().into_iter().map(|(role, weight)| json!({"role": role, "weight": weight})).collect(),
    )
}

/// `/master/quota`: the `QuotaStatus` message in JSON.
pub fn quota(master: &Master) -> Value {
    mesos_proto::json::to_value(&master.get_quota())
}
