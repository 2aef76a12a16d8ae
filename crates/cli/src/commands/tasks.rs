//! `mesos task list` and `mesos task kill`, and finding a task by id.

use mesos_proto::v1::master::call;
use mesos_proto::v1::master::response::GetTasks;
use mesos_proto::v1::{Task, TaskState};

use super::print_json;
use crate::api::Master;
use crate::error::CliError;
use crate::table::Table;

/// Every task the master knows: active, unreachable and completed.
pub async fn all_tasks(master: &mut Master) -> Result<GetTasks, CliError> {
    master
        .get(call::Type::GetTasks)
        .await?
        .get_tasks
        .ok_or_else(|| CliError::Protocol("the answer has no 'get_tasks'".into()))
}

/// The task with id `id`: the active one if there is one, else the latest
/// that ended. Ids are unique within a framework; a clash between two
/// active tasks of different frameworks is an error.
pub async fn find(master: &mut Master, id: &str) -> Result<Task, CliError> {
    let tasks = all_tasks(master).await?;
    let active: Vec<&Task> = tasks.tasks.iter().filter(|t| t.task_id.value == id).collect();
    match active.as_slice() {
        [task] => return Ok((*task).clone()),
        [] => {}
        _ => return Err(CliError::Usage(format!("more than one framework has an active task '{id}'"))),
    }
    tasks
        .unreachable_tasks
        .iter()
        .chain(tasks.completed_tasks.iter().rev())
        .find(|t| t.task_id.value == id)
        .cloned()
        .ok_or_else(|| CliError::NotFound(format!("no task '{id}'")))
}

pub fn state_name(task: &Task) -> &'static str {
    TaskState::try_from(task.state).map(|s| s.as_str_name()).unwrap_or("TASK_UNKNOWN")
}

pub async fn list(master: &mut Master, all: bool, json: bool) -> Result<(), CliError> {
    let mut tasks = all_tasks(master).await?;
    if !all {
        tasks.unreachable_tasks.clear();
        tasks.completed_tasks.clear();
    }
    if json {
        return print_json(&tasks);
    }
    let mut table = Table::new(&["ID", "NAME", "STATE", "FRAMEWORK", "AGENT"]);
    for task in tasks.tasks.iter().chain(&tasks.unreachable_tasks).chain(&tasks.completed_tasks) {
        table.row(vec![
            task.task_id.value.clone(),
            task.name.clone(),
            state_name(task).to_owned(),
            task.framework_id.value.clone(),
            task.agent_id.value.clone(),
        ]);
    }
    table.print()?;
    Ok(())
}

pub async fn kill(master: &mut Master, id: &str) -> Result<(), CliError> {
    let task = find(master, id).await?;
    if TaskState::try_from(task.state).is_ok_and(|s| s.is_terminal()) {
        return Err(CliError::Usage(format!("task '{id}' has already ended ({})", state_name(&task))));
    }
    master.post_form("/master/tasks/kill", &[("frameworkId", &task.framework_id.value), ("taskId", id)]).await?;
    println!("Asked the agent to kill task '{id}'");
    Ok(())
}
