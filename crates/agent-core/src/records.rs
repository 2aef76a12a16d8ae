//! What the agent tracks: frameworks, their executors, and the executors'
//! tasks (queued until the executor subscribes, then launched).

use std::collections::VecDeque;

use mesos_proto::collections::{Map, Set};
use std::time::Duration;

use mesos_proto::v1::{
    ExecutorId, ExecutorInfo, FrameworkInfo, Resource, TaskGroupInfo, TaskId, TaskInfo, TaskState, TaskStatus,
    task_status,
};

/// Identifies an executor's subscription stream between core and daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExecutorStream(pub u64);

/// An executor's life on the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorPhase {
    /// Its container is starting; it has not subscribed yet.
    Launching,
    /// It subscribed and runs tasks.
    Running,
    /// It was asked to shut down and gets a grace period.
    Terminating,
    /// Its container is gone.
    Terminated,
}

/// Work waiting for an executor to subscribe.
#[derive(Debug, Clone, PartialEq)]
pub enum Queued {
    Task(Box<TaskInfo>),
    Group(TaskGroupInfo),
}

impl Queued {
    pub fn tasks(&self) -> Vec<&TaskInfo> {
        match self {
            Queued::Task(task) => vec![task],
            Queued::Group(group) => group.tasks.iter().collect(),
        }
    }
}

/// A task the executor was given.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentTask {
    pub info: TaskInfo,
    pub state: TaskState,
    /// Latest status received, if any.
    pub latest: Option<TaskStatus>,
    /// Uuids of every update accepted for it.
    pub received: Vec<Vec<u8>>,
}

impl AgentTask {
    /// A task just handed to the agent.
    pub fn new(info: TaskInfo) -> AgentTask {
        AgentTask { info, state: TaskState::TaskStaging, latest: None, received: Vec::new() }
    }
}

/// An executor and its container.
#[derive(Debug, Clone)]
pub struct Executor {
    pub info: ExecutorInfo,
    pub container_id: String,
    /// Built by the agent to run a task's command.
    pub command_executor: bool,
    pub phase: ExecutorPhase,
    pub stream: Option<ExecutorStream>,
    pub queued: Vec<Queued>,
    pub tasks: Map<TaskId, AgentTask>,
    pub completed_tasks: VecDeque<AgentTask>,
    /// Tasks a kill was asked for.
    pub killed: Set<TaskId>,
    pub registration_deadline: Option<Duration>,
    pub shutdown_deadline: Option<Duration>,
    pub launched_at: Duration,
    /// Recovered after an agent restart: it must re-subscribe in time.
    pub recovered: bool,
    /// Why the agent is ending it, which decides its tasks' final state.
    pub termination: Option<Termination>,
    /// Resources its container was last given.
    pub container_size: Option<Vec<Resource>>,
}

/// How the tasks of an executor the agent is ending will be reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Termination {
    pub state: TaskState,
    pub reason: task_status::Reason,
    pub message: String,
    /// Set when a container limitation ends it: the resources whose limit
    /// was hit.
    pub limitation: Option<Vec<Resource>>,
}

impl Executor {
    pub fn id(&self) -> &ExecutorId {
        &self.info.executor_id
    }

    /// Whether the executor holds no queued or running task.
    pub fn idle(&self) -> bool {
        self.queued.is_empty() && self.tasks.values().all(|t| t.state.is_terminal())
    }

    /// Every task it knows of that is not terminal: launched and queued.
    pub fn live_task_ids(&self) -> Vec<TaskId> {
        let launched = self.tasks.values().filter(|t| !t.state.is_terminal()).map(|t| t.info.task_id.clone());
        let queued =
            self.queued.iter().flat_map(|q| q.tasks().into_iter().map(|t| t.task_id.clone()).collect::<Vec<_>>());
        launched.chain(queued).collect()
    }
}

/// A framework with work on this agent.
#[derive(Debug, Clone)]
pub struct FrameworkEntry {
    pub info: FrameworkInfo,
    pub executors: Map<ExecutorId, Executor>,
    pub completed_executors: VecDeque<Executor>,
}
