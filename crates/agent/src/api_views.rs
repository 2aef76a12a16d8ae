//! The agent's state as its v1 operator API reports it: GET_TASKS,
//! GET_EXECUTORS, GET_FRAMEWORKS, GET_STATE and GET_AGENT.
//!
//! Tasks are sorted as Mesos sorts them: queued (waiting for their executor
//! to subscribe), launched (given to the executor, not ended), terminated
//! (ended, an update still to be acknowledged) and completed.

use mesos_agent_core::{Agent, AgentTask, Executor, ExecutorPhase, FrameworkEntry};
use mesos_proto::v1::agent::response::{
    GetAgent, GetExecutors, GetFrameworks, GetState, GetTasks, get_executors, get_frameworks,
};
use mesos_proto::v1::{self, FrameworkId, TaskInfo, TaskState};

fn task(
    info: &TaskInfo,
    state: TaskState,
    latest: Option<&v1::TaskStatus>,
    framework: &FrameworkId,
    executor: &Executor,
    agent: &v1::AgentId,
) -> v1::Task {
    let executor_id = (!executor.command_executor).then(|| executor.info.executor_id.clone());
    let mut record = v1::Task::of_info(info, framework.clone(), agent.clone(), executor_id, state);
    record.statuses = latest.cloned().into_iter().collect();
    record
}

fn framework_id(entry: &FrameworkEntry) -> FrameworkId {
    entry.info.id.clone().unwrap_or_default()
}

fn sorted<'a, T>(items: impl Iterator<Item = &'a T>, key: impl Fn(&T) -> String) -> Vec<&'a T> {
    let mut list: Vec<&T> = items.collect();
    list.sort_by_key(|item| key(item));
    list
}

fn frameworks(agent: &Agent) -> Vec<&FrameworkEntry> {
    sorted(agent.frameworks(), |f| framework_id(f).value)
}

fn live(executor: &Executor) -> bool {
    executor.phase != ExecutorPhase::Terminated
}

/// GET_TASKS.
pub fn get_tasks(agent: &Agent) -> GetTasks {
    let agent_id = agent.agent_id().cloned().unwrap_or_default();
    let mut tasks = GetTasks::default();
    for entry in frameworks(agent) {
        let id = framework_id(entry);
        let executors = sorted(entry.executors.values().chain(&entry.completed_executors), |e| e.container_id.clone());
        for executor in executors {
            for queued in executor.queued.iter().flat_map(|q| q.tasks()) {
                tasks.queued_tasks.push(task(queued, TaskState::TaskStaging, None, &id, executor, &agent_id));
            }
            for launched in sorted(executor.tasks.values(), |t| t.info.task_id.value.clone()) {
                let record = task(&launched.info, launched.state, launched.latest.as_ref(), &id, executor, &agent_id);
                if launched.state.is_terminal() {
                    tasks.terminated_tasks.push(record);
                } else {
                    tasks.launched_tasks.push(record);
                }
            }
            for ended in &executor.completed_tasks {
                let AgentTask { info, state, latest, .. } = ended;
                let record = task(info, *state, latest.as_ref(), &id, executor, &agent_id);
                if agent.status_updates().pending(&id, &info.task_id).next().is_some() {
                    tasks.terminated_tasks.push(record);
                } else {
                    tasks.completed_tasks.push(record);
                }
            }
        }
    }
    tasks
}

/// GET_EXECUTORS: running executors, and those that ended.
pub fn get_executors(agent: &Agent) -> GetExecutors {
    let mut executors = GetExecutors::default();
    for entry in frameworks(agent) {
        for executor in sorted(entry.executors.values(), |e| e.info.executor_id.value.clone()) {
            let item = get_executors::Executor { executor_info: executor.info.clone() };
            if live(executor) {
                executors.executors.push(item);
            } else {
                executors.completed_executors.push(item);
            }
        }
        executors.completed_executors.extend(
            entry.completed_executors.iter().map(|e| get_executors::Executor { executor_info: e.info.clone() }),
        );
    }
    executors
}

/// GET_FRAMEWORKS: frameworks with a live executor here, and the others.
pub fn get_frameworks(agent: &Agent) -> GetFrameworks {
    let mut frameworks_list = GetFrameworks::default();
    for entry in frameworks(agent) {
        let item = get_frameworks::Framework { framework_info: entry.info.clone() };
        if entry.executors.values().any(live) {
            frameworks_list.frameworks.push(item);
        } else {
            frameworks_list.completed_frameworks.push(item);
        }
    }
    frameworks_list
}

/// GET_STATE.
pub fn get_state(agent: &Agent) -> GetState {
    GetState {
        get_tasks: Some(get_tasks(agent)),
        get_executors: Some(get_executors(agent)),
        get_frameworks: Some(get_frameworks(agent)),
    }
}

/// GET_AGENT.
pub fn get_agent(agent: &Agent) -> GetAgent {
    GetAgent { agent_info: Some(agent.info()), drain_config: None, estimated_drain_start_time: None }
}
