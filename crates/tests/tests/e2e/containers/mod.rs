//! Containers for real: cgroups, namespaces, image root file systems and
//! Docker, as root (the tests that need it say so in their names), plus
//! the agent's sandbox and usage endpoints.

mod docker;
mod files;
mod images;
mod isolation;

use std::path::PathBuf;

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{CommandInfo, Offer, Resource, TaskId, TaskInfo, value};
use mesos_tests::cluster::Cluster;
use serde_json::Value;

pub fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

/// A command task of `cpus` and `mem` MB.
pub fn command_task(id: &str, offer: &Offer, command: &str, cpus: f64, mem: f64) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", cpus), scalar("mem", mem)],
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        ..Default::default()
    }
}

pub fn launch(offer: &Offer, tasks: Vec<TaskInfo>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    }
}

/// The latest sandbox of executor `executor` on agent `agent`.
pub fn sandbox(cluster: &Cluster, agent: usize, executor: &str) -> Option<PathBuf> {
    let agents_dir = cluster.agents[agent].work_dir.join("slaves");
    for agent_dir in std::fs::read_dir(agents_dir).ok()?.flatten() {
        for framework in std::fs::read_dir(agent_dir.path().join("frameworks")).ok()?.flatten() {
            let latest = framework.path().join("executors").join(executor).join("runs").join("latest");
            if latest.exists() {
                return std::fs::canonicalize(latest).ok();
            }
        }
    }
    None
}

/// GET a JSON endpoint of agent `agent`.
pub async fn agent_json(cluster: &Cluster, agent: usize, path: &str) -> Value {
    let url = format!("http://127.0.0.1:{}{path}", cluster.agents[agent].port);
    let client = mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(10));
    match client.get(&url).await {
        Ok((_, body)) => serde_json::from_slice(&body).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}
