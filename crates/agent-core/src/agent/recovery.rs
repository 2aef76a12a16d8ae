//! Rebuilding the agent's state after a restart from what it checkpointed:
//! the agent's id, and the executors and tasks of checkpointing frameworks
//! with their unacknowledged updates.
//!
//! Recovered executors whose process is alive get
//! `--executor_reregistration_timeout` to re-subscribe; those that are gone
//! (or that do not come back in time) have their unfinished tasks failed.

use std::collections::VecDeque;

use std::time::Duration;

use mesos_proto::internal::{ExecutorRun, TaskUpdates};
use mesos_proto::v1::{AgentInfo, FrameworkInfo, TaskInfo, TaskState};

use crate::agent::Agent;
use crate::records::{AgentTask, Executor, ExecutorPhase, FrameworkEntry};

/// A task read back from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredTask {
    pub info: TaskInfo,
    pub updates: TaskUpdates,
}

/// An executor run read back from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredExecutor {
    pub run: ExecutorRun,
    pub tasks: Vec<RecoveredTask>,
    /// Whether its container's process is still running.
    pub alive: bool,
}

/// A checkpointing framework read back from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredFramework {
    pub info: FrameworkInfo,
    pub executors: Vec<RecoveredExecutor>,
}

/// Everything an agent recovers.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveredState {
    /// The agent's info with its id.
    pub agent_info: AgentInfo,
    pub frameworks: Vec<RecoveredFramework>,
    /// Dynamic reservations and persistent volumes.
    pub checkpointed_resources: Vec<mesos_proto::v1::Resource>,
}

impl Agent {
    /// Takes back the recovered state. Executors that are gone are reported
    /// at once; their tasks' final updates wait, with every other pending
    /// update, for the agent to re-register.
    pub fn recover(&mut self, state: RecoveredState, now: Duration) {
        self.agent_id = state.agent_info.id.clone();
        self.checkpointed_resources = state.checkpointed_resources;
        let mut gone = Vec::new();
        for recovered in state.frameworks {
            let Some(framework_id) = recovered.info.id.clone() else { continue };
            let mut executors = self.hasher().map();
            let mut completed_executors = VecDeque::new();
            for run in recovered.executors {
                let mut executor = Executor {
                    info: run.run.executor_info.clone(),
                    container_id: run.run.container_id.clone(),
                    command_executor: run.run.command_executor(),
                    phase: ExecutorPhase::Launching,
                    stream: None,
                    queued: Vec::new(),
                    tasks: self.hasher().map(),
                    completed_tasks: VecDeque::new(),
                    killed: self.hasher().set(),
                    registration_deadline: Some(now + self.config.executor_reregistration_timeout),
                    shutdown_deadline: None,
                    launched_at: now,
                    recovered: true,
                    termination: None,
                    container_size: None,
                };
                for task in run.tasks {
                    for update in &task.updates.pending {
                        self.updates.add(update.clone(), now);
                    }
                    let state =
                        task.updates.state.and_then(|s| TaskState::try_from(s).ok()).unwrap_or(TaskState::TaskStaging);
                    let record = AgentTask {
                        info: task.info.clone(),
                        state,
                        latest: task.updates.latest.clone(),
                        received: task.updates.received.clone(),
                    };
                    if state.is_terminal() {
                        executor.completed_tasks.push_back(record);
                    } else {
                        executor.tasks.insert(task.info.task_id.clone(), record);
                    }
                }
                if executor.tasks.is_empty() && !run.alive {
                    executor.phase = ExecutorPhase::Terminated;
                    executor.registration_deadline = None;
                    completed_executors.push_back(executor);
                    continue;
                }
                if !run.alive {
                    gone.push(executor.container_id.clone());
                }
                executors.insert(executor.info.executor_id.clone(), executor);
            }
            self.frameworks
                .insert(framework_id, FrameworkEntry { info: recovered.info, executors, completed_executors });
        }
        for container_id in gone {
            self.container_exited(&container_id, None, now);
        }
    }

    /// Container ids of every executor the agent still tracks as running.
    pub fn live_containers(&self) -> Vec<String> {
        self.frameworks
            .values()
            .flat_map(|f| f.executors.values())
            .filter(|e| e.phase != ExecutorPhase::Terminated)
            .map(|e| e.container_id.clone())
            .collect()
    }
}
