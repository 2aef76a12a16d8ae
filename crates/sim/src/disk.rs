//! An agent's checkpoint store in memory: the same records the daemon writes
//! to files, kept so that a crashed simulated agent recovers exactly what it
//! would have found on disk. Each record replaces the previous one whole, as
//! atomic file writes do.

use std::collections::BTreeMap;

use mesos_agent_core::{CheckpointWrite, RecoveredExecutor, RecoveredFramework, RecoveredState, RecoveredTask};
use mesos_proto::internal::{ExecutorRun, TaskUpdates};
use mesos_proto::v1::{AgentInfo, FrameworkInfo, TaskInfo};

/// (framework, executor, container, task).
type TaskKey = (String, String, String, String);

/// The records of one agent.
#[derive(Debug, Default, Clone)]
pub struct MemDisk {
    agent: Option<AgentInfo>,
    frameworks: BTreeMap<String, FrameworkInfo>,
    /// (framework, executor, container) → run.
    runs: BTreeMap<(String, String, String), ExecutorRun>,
    /// A task and where its updates stand.
    tasks: BTreeMap<TaskKey, (Option<TaskInfo>, Option<TaskUpdates>)>,
    resources: Vec<mesos_proto::v1::Resource>,
}

impl MemDisk {
    pub fn apply(&mut self, write: &CheckpointWrite) {
        match write {
            CheckpointWrite::Agent(info) => self.agent = Some(info.clone()),
            CheckpointWrite::Framework(info) => {
                let id = info.id.clone().unwrap_or_default().value;
                self.frameworks.insert(id, info.clone());
            }
            CheckpointWrite::Executor { framework_id, run } => {
                let key =
                    (framework_id.value.clone(), run.executor_info.executor_id.value.clone(), run.container_id.clone());
                self.runs.insert(key, (**run).clone());
            }
            CheckpointWrite::Task { framework_id, executor_id, container_id, task } => {
                let key = (
                    framework_id.value.clone(),
                    executor_id.value.clone(),
                    container_id.clone(),
                    task.task_id.value.clone(),
                );
                self.tasks.entry(key).or_default().0 = Some((**task).clone());
            }
            CheckpointWrite::Resources(resources) => self.resources = resources.clone(),
            CheckpointWrite::TaskUpdates { framework_id, executor_id, container_id, task_id, updates } => {
                let key = (
                    framework_id.value.clone(),
                    executor_id.value.clone(),
                    container_id.clone(),
                    task_id.value.clone(),
                );
                self.tasks.entry(key).or_default().1 = Some((**updates).clone());
            }
        }
    }

    /// What a restarted agent reads back; `alive` says whether a container
    /// still runs.
    pub fn recover(&self, alive: impl Fn(&str) -> bool) -> Option<RecoveredState> {
        let agent_info = self.agent.clone()?;
        let frameworks = self
            .frameworks
            .iter()
            .map(|(framework, info)| {
                let executors = self
                    .runs
                    .iter()
                    .filter(|((f, _, _), _)| f == framework)
                    .map(|((f, e, c), run)| {
                        let tasks = self
                            .tasks
                            .iter()
                            .filter(|((tf, te, tc, _), _)| tf == f && te == e && tc == c)
                            .filter_map(|(_, (info, updates))| {
                                Some(RecoveredTask {
                                    info: info.clone()?,
                                    updates: updates.clone().unwrap_or_default(),
                                })
                            })
                            .collect();
                        RecoveredExecutor { run: run.clone(), tasks, alive: alive(c) }
                    })
                    .collect();
                RecoveredFramework { info: info.clone(), executors }
            })
            .collect();
        Some(RecoveredState { agent_info, frameworks, checkpointed_resources: self.resources.clone() })
    }
}

/// One line about a checkpoint write, for traces.
pub fn describe(write: &CheckpointWrite) -> String {
    match write {
        CheckpointWrite::Agent(_) => "the agent's info".into(),
        CheckpointWrite::Resources(resources) => format!("{} checkpointed resources", resources.len()),
        CheckpointWrite::Framework(info) => format!("framework {:?}", info.id.as_ref().map(|id| &id.value)),
        CheckpointWrite::Executor { framework_id, run } => {
            format!("run {} of {}", run.container_id, framework_id.value)
        }
        CheckpointWrite::Task { framework_id, container_id, task, .. } => {
            format!("task {} {} in {container_id}", framework_id.value, task.task_id.value)
        }
        CheckpointWrite::TaskUpdates { framework_id, container_id, task_id, updates, .. } => format!(
            "updates of {} {} in {container_id}: state {:?}, pending {:?}",
            framework_id.value,
            task_id.value,
            updates.state,
            updates.pending.iter().map(|u| u.status.state).collect::<Vec<_>>()
        ),
    }
}
