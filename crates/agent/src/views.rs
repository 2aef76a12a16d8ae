//! The legacy JSON of the agent's `/state` (`/slave(1)/state`), with Mesos's
//! key names, and the agent's metrics.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_agent_core::{Agent, AgentTask, Executor, ExecutorPhase, FrameworkEntry, Queued};
use mesos_proto::v1::{TaskInfo, TaskState};
use mesos_resources::{ResourceFormat, Resources, summary};
use serde_json::{Map, Value, json};

use crate::paths::Paths;

/// Facts the view needs beside the core's state.
pub struct ViewContext<'a> {
    pub flags: &'a [(String, String)],
    pub start_time: Duration,
    pub pid: &'a str,
    pub paths: &'a Paths,
}

/// `/state`.
pub fn state(agent: &Agent, context: &ViewContext<'_>) -> Value {
    let info = agent.info();
    let total = Resources::from_proto(&info.resources).unwrap_or_default();
    let list = |r: &Resources| {
        Value::Array(r.to_proto(ResourceFormat::Endpoint).iter().map(mesos_proto::json::to_value).collect())
    };
    let reserved_full: Map<String, Value> = total
        .iter()
        .filter_map(|r| r.reservation_role())
        .map(|role| (role.to_owned(), list(&total.reserved_to(role))))
        .collect();
    let flags: Map<String, Value> = context.flags.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let agent_id = info.id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
    let (frameworks, completed): (Vec<&FrameworkEntry>, Vec<&FrameworkEntry>) =
        agent.frameworks().partition(|f| f.executors.values().any(|e| e.phase != ExecutorPhase::Terminated));
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "build_date": "",
        "build_time": 0.0,
        "build_user": "",
        "start_time": context.start_time.as_secs_f64(),
        "id": agent_id,
        "pid": context.pid,
        "hostname": info.hostname,
        "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
        "resources": summary::resources(&total),
        "reserved_resources": summary::reserved_by_role(&total),
        "unreserved_resources": summary::resources(&total.unreserved()),
        "reserved_resources_full": reserved_full,
        "unreserved_resources_full": list(&total.unreserved()),
        "reserved_resources_allocated": {},
        "unreserved_resources_allocated": {},
        "resource_providers": [],
        "attributes": summary::attributes(&info.attributes),
        "flags": flags,
        "frameworks": frameworks.iter().map(|f| framework(f, &agent_id, context.paths)).collect::<Vec<_>>(),
        "completed_frameworks": completed.iter().map(|f| framework(f, &agent_id, context.paths)).collect::<Vec<_>>(),
    })
}

#[allow(deprecated)]
fn framework(entry: &FrameworkEntry, agent_id: &str, paths: &Paths) -> Value {
    let info = &entry.info;
    let framework_id = info.id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
    let mut object = json!({
        "id": framework_id,
        "name": info.name,
        "user": info.user,
        "failover_timeout": info.failover_timeout(),
        "checkpoint": info.checkpoint(),
        "hostname": info.hostname.clone().unwrap_or_default(),
        "executors": entry.executors.values().filter(|e| e.phase != ExecutorPhase::Terminated).map(|e| executor(e, agent_id, &framework_id, paths)).collect::<Vec<_>>(),
        "completed_executors": entry.completed_executors.iter().map(|e| executor(e, agent_id, &framework_id, paths)).collect::<Vec<_>>(),
    });
    if info.roles.is_empty() {
        object["role"] = json!(info.role.clone().unwrap_or_else(|| "*".to_owned()));
    } else {
        object["roles"] = json!(info.roles);
    }
    if let Some(principal) = &info.principal {
        object["principal"] = json!(principal);
    }
    object
}

fn executor(executor: &Executor, agent_id: &str, framework_id: &str, paths: &Paths) -> Value {
    let info = &executor.info;
    #[allow(deprecated)]
    let source = info.source.clone().unwrap_or_default();
    let directory = paths.sandbox(agent_id, framework_id, &info.executor_id.value, &executor.container_id);
    let queued: Vec<Value> = executor
        .queued
        .iter()
        .flat_map(Queued::tasks)
        .map(|t| task(t, TaskState::TaskStaging, framework_id, agent_id, executor))
        .collect();
    json!({
        "id": info.executor_id.value,
        "name": info.name.clone().unwrap_or_default(),
        "source": source,
        "container": executor.container_id,
        "directory": directory.display().to_string(),
        "resources": summary::resources(&Resources::from_proto(&info.resources).unwrap_or_default().unallocated()),
        "tasks": executor.tasks.values().map(|t| agent_task(t, framework_id, agent_id, executor)).collect::<Vec<_>>(),
        "queued_tasks": queued,
        "completed_tasks": executor.completed_tasks.iter().map(|t| agent_task(t, framework_id, agent_id, executor)).collect::<Vec<_>>(),
    })
}

fn agent_task(task_record: &AgentTask, framework_id: &str, agent_id: &str, executor: &Executor) -> Value {
    let mut object = task(&task_record.info, task_record.state, framework_id, agent_id, executor);
    if let Some(status) = &task_record.latest {
        object["statuses"] = json!([{
            "state": TaskState::try_from(status.state).map(|s| s.as_str_name()).unwrap_or("TASK_STAGING"),
            "timestamp": status.timestamp.unwrap_or(0.0),
        }]);
    }
    object
}

fn task(info: &TaskInfo, state: TaskState, framework_id: &str, agent_id: &str, executor: &Executor) -> Value {
    json!({
        "id": info.task_id.value,
        "name": info.name,
        "framework_id": framework_id,
        "executor_id": if executor.command_executor { String::new() } else { executor.info.executor_id.value.clone() },
        "slave_id": agent_id,
        "state": state.as_str_name(),
        "resources": summary::resources(&Resources::from_proto(&info.resources).unwrap_or_default().unallocated()),
        "statuses": [],
    })
}

/// The agent's metrics with Mesos's names (`slave/...`).
pub fn metrics(agent: &Agent, uptime: Duration) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    m.insert("slave/registered".to_owned(), if agent.is_registered() { 1.0 } else { 0.0 });
    m.insert("slave/uptime_secs".to_owned(), uptime.as_secs_f64());
    let executors: Vec<&Executor> = agent.frameworks().flat_map(|f| f.executors.values()).collect();
    let count = |phase: ExecutorPhase| executors.iter().filter(|e| e.phase == phase).count() as f64;
    m.insert("slave/executors_registering".to_owned(), count(ExecutorPhase::Launching));
    m.insert("slave/executors_running".to_owned(), count(ExecutorPhase::Running));
    m.insert("slave/executors_terminating".to_owned(), count(ExecutorPhase::Terminating));
    m.insert(
        "slave/executors_terminated".to_owned(),
        agent.frameworks().map(|f| f.completed_executors.len()).sum::<usize>() as f64,
    );
    m.insert(
        "slave/frameworks_active".to_owned(),
        agent.frameworks().filter(|f| !f.executors.is_empty()).count() as f64,
    );
    for (state, name) in [
        (TaskState::TaskStaging, "slave/tasks_staging"),
        (TaskState::TaskStarting, "slave/tasks_starting"),
        (TaskState::TaskRunning, "slave/tasks_running"),
        (TaskState::TaskKilling, "slave/tasks_killing"),
    ] {
        let launched = executors.iter().flat_map(|e| e.tasks.values()).filter(|t| t.state == state).count();
        let queued = if state == TaskState::TaskStaging { executors.iter().map(|e| e.queued.len()).sum() } else { 0 };
        m.insert(name.to_owned(), (launched + queued) as f64);
    }
    let completed: Vec<&AgentTask> = agent
        .frameworks()
        .flat_map(|f| f.executors.values().chain(f.completed_executors.iter()))
        .flat_map(|e| e.completed_tasks.iter())
        .collect();
    for (state, name) in [
        (TaskState::TaskFinished, "slave/tasks_finished"),
        (TaskState::TaskFailed, "slave/tasks_failed"),
        (TaskState::TaskKilled, "slave/tasks_killed"),
        (TaskState::TaskLost, "slave/tasks_lost"),
        (TaskState::TaskGone, "slave/tasks_gone"),
    ] {
        m.insert(name.to_owned(), completed.iter().filter(|t| t.state == state).count() as f64);
    }
    let total = Resources::from_proto(&agent.info().resources).unwrap_or_default();
    for name in ["cpus", "mem", "disk", "gpus"] {
        m.insert(format!("slave/{name}_total"), total.scalar(name).as_f64());
    }
    m
}
