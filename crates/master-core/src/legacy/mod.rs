//! The legacy JSON of `/master/state` and its siblings, with Mesos's key
//! names (`slaves`, `slave_id`, ...), flattened resources, ids as plain
//! strings and times as seconds, because tools read them by those names.

mod lists;
mod roles;
mod state_summary;

pub use lists::{agents, frameworks, tasks};
pub use roles::{quota, roles, weights};
pub use state_summary::state_summary;

use crate::{Agent, Framework, Master, Offer, Task};
use mesos_proto::v1::{self, ExecutorInfo, TaskState};
use mesos_resources::{Resources, summary};
use serde_json::{Map, Value, json};

use crate::input::DaemonFacts;

/// `/master/state`.
pub fn state(master: &Master, context: &DaemonFacts) -> Value {
    let info = master.info();
    let mut agents: Vec<&Agent> = master.agents().collect();
    agents.sort_by(|a, b| a.id.value.cmp(&b.id.value));
    let mut frameworks: Vec<&Framework> = master.frameworks().collect();
    frameworks.sort_by(|a, b| a.id.value.cmp(&b.id.value));
    let flags: Map<String, Value> = context.flags.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let mut state = json!({
        "version": context.version,
        "build_date": "",
        "build_time": 0.0,
        "build_user": "",
        "start_time": context.start_time.as_secs_f64(),
        "elected_time": context.start_time.as_secs_f64(),
        "id": info.id,
        "pid": info.pid,
        "hostname": info.hostname,
        "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
        "activated_slaves": agents.iter().filter(|a| a.active).count(),
        "deactivated_slaves": agents.iter().filter(|a| !a.active).count(),
        "unreachable_slaves": master.unreachable_agents().count(),
        "leader": info.pid,
        "leader_info": leader_info(info),
        "flags": flags,
        "slaves": agents.iter().map(|a| agent(master, a)).collect::<Vec<_>>(),
        "recovered_slaves": [],
        "frameworks": frameworks.iter().map(|f| framework(master, f)).collect::<Vec<_>>(),
        "completed_frameworks": master.completed_frameworks().map(|f| framework(master, f)).collect::<Vec<_>>(),
        "orphan_tasks": [],
        "unregistered_frameworks": [],
    });
    if let Some(cluster) = &context.cluster {
        state["cluster"] = json!(cluster);
    }
    state
}

/// `leader_info`: the leading master's identity.
pub fn leader_info(info: &v1::MasterInfo) -> Value {
    json!({
        "id": info.id,
        "pid": info.pid,
        "port": info.port,
        "hostname": info.hostname,
    })
}

/// An agent ("slave") object.
pub fn agent(master: &Master, agent: &Agent) -> Value {
    let used = agent.used_total().unallocated();
    let mut object = json!({
        "id": agent.id.value,
        "hostname": agent.info.hostname,
        "port": agent.address.port,
        "attributes": summary::attributes(&agent.info.attributes),
        "pid": agent.pid(),
        "registered_time": agent.registered_time.as_secs_f64(),
        "resources": summary::resources(&agent.total),
        "used_resources": summary::resources(&used),
        "offered_resources": summary::resources(&agent.offered.unallocated()),
        "reserved_resources": summary::reserved_by_role(&agent.total),
        "unreserved_resources": summary::resources(&agent.total.unreserved()),
        "active": agent.active && agent.connected(),
        "deactivated": !agent.active,
        "version": agent.version,
        "capabilities": agent
            .capabilities
            .iter()
            .filter_map(|c| v1::agent_info::capability::Type::try_from(c.r#type.unwrap_or(0)).ok())
            .map(|t| t.as_str_name())
            .collect::<Vec<_>>(),
    });
    if let Some(time) = agent.reregistered_time {
        object["reregistered_time"] = json!(time.as_secs_f64());
    }
    let _ = master;
    object
}

/// An agent object with the `*_full` resource lists of `/master/slaves`.
pub fn agent_full(master: &Master, agent_record: &Agent) -> Value {
    use mesos_resources::ResourceFormat::Endpoint;
    let mut object = agent(master, agent_record);
    let reserved: Map<String, Value> = agent_record
        .total
        .iter()
        .filter_map(|r| r.reservation_role())
        .map(|role| {
            let list = agent_record.total.reserved_to(role).to_proto(Endpoint);
            (role.to_owned(), Value::Array(list.iter().map(mesos_proto::json::to_value).collect()))
        })
        .collect();
    let list = |resources: &Resources| -> Value {
        Value::Array(resources.to_proto(Endpoint).iter().map(mesos_proto::json::to_value).collect())
    };
    object["reserved_resources_full"] = Value::Object(reserved);
    object["unreserved_resources_full"] = list(&agent_record.total.unreserved());
    object["used_resources_full"] = list(&agent_record.used_total());
    object["offered_resources_full"] = list(&agent_record.offered);
    object
}

/// A framework object with its tasks, offers and executors.
#[allow(deprecated)]
pub fn framework(master: &Master, framework: &Framework) -> Value {
    let info = &framework.info;
    let mut used = Resources::new();
    for task in framework.tasks.values().filter(|t| !t.is_terminal()) {
        used.add(&task.resources);
    }
    let mut executors = Vec::new();
    for agent in master.agents() {
        if let Some(list) = agent.executors.get(&framework.id) {
            for executor_info in list.values() {
                executors.push(executor(executor_info, &agent.id));
                if let Ok(resources) = Resources::from_proto(&executor_info.resources) {
                    used.add(&resources);
                }
            }
        }
    }
    let offers: Vec<&Offer> = master.offers().filter(|o| o.framework == framework.id).collect();
    let mut offered = Resources::new();
    for offer in &offers {
        offered.add(&offer.resources);
    }
    let mut object = json!({
        "id": framework.id.value,
        "name": info.name,
        "used_resources": summary::resources(&used.unallocated()),
        "offered_resources": summary::resources(&offered.unallocated()),
        "resources": summary::resources(&used.plus(&offered).unallocated()),
        "capabilities": capability_names(info),
        "hostname": info.hostname.clone().unwrap_or_default(),
        "webui_url": info.webui_url.clone().unwrap_or_default(),
        "active": framework.active,
        "connected": framework.connected(),
        "recovered": framework.recovered,
        "user": info.user,
        "failover_timeout": info.failover_timeout(),
        "checkpoint": info.checkpoint(),
        "registered_time": framework.registered_time.map_or(0.0, |t| t.as_secs_f64()),
        "unregistered_time": framework.unregistered_time.map_or(0.0, |t| t.as_secs_f64()),
        "tasks": sorted_tasks(framework.tasks.values()),
        "unreachable_tasks": framework.unreachable_tasks.iter().map(task).collect::<Vec<_>>(),
        "completed_tasks": framework.completed_tasks.iter().map(task).collect::<Vec<_>>(),
        "offers": offers.iter().map(|o| offer(o)).collect::<Vec<_>>(),
        "executors": executors,
        "offer_constraints": {},
    });
    if framework.capabilities.multi_role {
        object["roles"] = json!(framework.roles);
    } else {
        object["role"] = json!(info.role.clone().unwrap_or_else(|| "*".to_owned()));
    }
    if let Some(principal) = &info.principal {
        object["principal"] = json!(principal);
    }
    if let Some(time) = framework.reregistered_time {
        object["reregistered_time"] = json!(time.as_secs_f64());
    }
    if let Some(labels) = &info.labels {
        object["labels"] = labels_json(labels);
    }
    object
}

/// A framework's capabilities as a list of names, as legacy JSON has them.
pub fn capability_names(info: &v1::FrameworkInfo) -> Vec<&'static str> {
    info.capabilities
        .iter()
        .filter_map(|c| v1::framework_info::capability::Type::try_from(c.r#type.unwrap_or(0)).ok())
        .map(|t| t.as_str_name())
        .collect()
}

fn sorted_tasks<'a>(tasks: impl Iterator<Item = &'a Task>) -> Vec<Value> {
    let mut list: Vec<&Task> = tasks.collect();
    list.sort_by(|a, b| a.record.task_id.value.cmp(&b.record.task_id.value));
    list.into_iter().map(task).collect()
}

/// A task object.
pub fn task(task: &Task) -> Value {
    let record = &task.record;
    let state = TaskState::try_from(record.state).map(|s| s.as_str_name()).unwrap_or("TASK_STAGING");
    let statuses: Vec<Value> = record
        .statuses
        .iter()
        .map(|status| {
            let mut object = json!({
                "state": TaskState::try_from(status.state).map(|s| s.as_str_name()).unwrap_or("TASK_STAGING"),
                "timestamp": status.timestamp.unwrap_or(0.0),
            });
            if let Some(healthy) = status.healthy {
                object["healthy"] = json!(healthy);
            }
            if let Some(labels) = &status.labels {
                object["labels"] = labels_json(labels);
            }
            if let Some(container_status) = &status.container_status {
                object["container_status"] = mesos_proto::json::to_value(container_status);
            }
            object
        })
        .collect();
    let mut object = json!({
        "id": record.task_id.value,
        "name": record.name,
        "framework_id": record.framework_id.value,
        "executor_id": record.executor_id.as_ref().map_or("", |e| e.value.as_str()),
        "slave_id": record.agent_id.value,
        "state": state,
        "resources": summary::resources(&task.resources.unallocated()),
        "role": task.role,
        "statuses": statuses,
    });
    if let Some(user) = &record.user {
        object["user"] = json!(user);
    }
    if let Some(labels) = &record.labels {
        object["labels"] = labels_json(labels);
    }
    if let Some(discovery) = &record.discovery {
        object["discovery"] = mesos_proto::json::to_value(discovery);
    }
    if let Some(container) = &record.container {
        object["container"] = mesos_proto::json::to_value(container);
    }
    if let Some(health_check) = &record.health_check {
        object["health_check"] = mesos_proto::json::to_value(health_check);
    }
    object
}

/// An offer object.
pub fn offer(offer: &Offer) -> Value {
    json!({
        "id": offer.id.value,
        "framework_id": offer.framework.value,
        "slave_id": offer.agent.value,
        "allocation_info": { "role": offer.role },
        "resources": summary::resources(&offer.resources.unallocated()),
    })
}

/// An executor object (master view).
pub fn executor(info: &ExecutorInfo, agent: &v1::AgentId) -> Value {
    let command = info.command.clone().unwrap_or_default();
    let mut object = json!({
        "executor_id": info.executor_id.value,
        "name": info.name.clone().unwrap_or_default(),
        "framework_id": info.framework_id.as_ref().map_or("", |f| f.value.as_str()),
        "command": {
            "shell": command.shell(),
            "value": command.value.clone().unwrap_or_default(),
            "argv": command.arguments,
            "uris": command.uris.iter().map(|u| json!({"value": u.value, "executable": u.executable()})).collect::<Vec<_>>(),
        },
        "resources": summary::resources(&Resources::from_proto(&info.resources).unwrap_or_default().unallocated()),
        "slave_id": agent.value,
    });
    if let Some(kind) = info.r#type.and_then(|t| v1::executor_info::Type::try_from(t).ok()) {
        object["type"] = json!(kind.as_str_name());
    }
    if let Some(labels) = &info.labels {
        object["labels"] = labels_json(labels);
    }
    object
}

fn labels_json(labels: &v1::Labels) -> Value {
    Value::Array(
        labels
            .labels
            .iter()
            .map(|l| {
                let mut label = json!({ "key": l.key });
                if let Some(value) = &l.value {
                    label["value"] = json!(value);
                }
                label
            })
            .collect(),
    )
}
