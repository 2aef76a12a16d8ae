//! The agent state machine: its state, its actions, registration with the
//! master and timers. What the master asks is in `master_messages.rs`, the
//! executor API and container lifecycle in `executors.rs`, the one door
//! that dispatches every input in `handle.rs`.

pub(crate) mod checkpoint;
pub(crate) mod containers;
pub(crate) mod executors;
mod handle;
mod master_messages;
pub(crate) mod recovery;
mod status;

use mesos_proto::collections::{Map, SeededState};
use std::time::Duration;

use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::executor::{Event as ExecutorEvent, event as executor_event};
use mesos_proto::v1::{
    self, AgentId, AgentInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, TaskId, TaskInfo, TaskState,
    task_status::Reason,
};

use crate::outbox::{CheckpointTicket, Outbox};
use crate::records::{ExecutorPhase, ExecutorStream, FrameworkEntry, Queued, Termination};
use crate::status_updates::StatusUpdateManager;

/// Settings of the agent core.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Hostname, port, resources and attributes; `id` is set on registration.
    pub info: AgentInfo,
    /// `--executor_registration_timeout`.
    pub executor_registration_timeout: Duration,
    /// `--executor_shutdown_grace_period`.
    pub executor_shutdown_grace_period: Duration,
    /// `--executor_reregistration_timeout`: how long recovered executors
    /// have to re-subscribe after an agent restart.
    pub executor_reregistration_timeout: Duration,
    /// Directory of the executor binaries (`mesos-executor`,
    /// `mesos-default-executor`).
    pub launcher_dir: String,
    /// `--max_completed_executors_per_framework`.
    pub max_completed_executors_per_framework: usize,
    /// Seed for the uuids of agent-generated status updates and container
    /// ids, and of the hash maps keyed by ids frameworks choose (see
    /// `mesos_proto::collections`): random in a daemon, fixed in a
    /// simulation so that it replays.
    pub uuid_seed: u64,
}

/// What the core asks the daemon to do.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentAction {
    /// Send a call to the master (status updates, exits, messages).
    ToMaster(Box<AgentCall>),
    /// Start an executor in a new container.
    LaunchExecutor(Box<LaunchSpec>),
    /// Give a running container these resources (its tasks changed).
    UpdateContainer { container_id: String, resources: Vec<v1::Resource> },
    /// Kill everything in a container.
    DestroyContainer { container_id: String },
    /// Send an event on an executor's stream.
    ToExecutor { stream: ExecutorStream, event: Box<ExecutorEvent> },
    /// End an executor's stream.
    CloseExecutor { stream: ExecutorStream },
    /// Write a record to disk, then answer
    /// [`crate::AgentInput::CheckpointStored`] (or `CheckpointFailed`) with
    /// its ticket. Nothing that follows is released before that answer.
    Checkpoint { ticket: CheckpointTicket, write: Box<crate::agent::checkpoint::CheckpointWrite> },
    /// A checkpoint could not be written: stop, so that a restart recovers
    /// from what is on disk.
    Abort { message: String },
    /// The master will not have this agent back: stop (its executors were
    /// asked to shut down first).
    Shutdown { message: String },
}

/// Everything needed to start an executor.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    pub container_id: String,
    pub framework: FrameworkInfo,
    pub executor: ExecutorInfo,
    /// For a command executor: the task whose command it will run (its URIs
    /// are fetched into the sandbox).
    pub command_task: Option<TaskInfo>,
    /// What the container is given: the executor's resources and its
    /// tasks'.
    pub resources: Vec<v1::Resource>,
}

/// The agent's state.
#[derive(Debug)]
pub struct Agent {
    config: AgentConfig,
    agent_id: Option<AgentId>,
    frameworks: Map<FrameworkId, FrameworkEntry>,
    streams: Map<ExecutorStream, (FrameworkId, ExecutorId)>,
    updates: StatusUpdateManager,
    actions: Outbox,
    uuid_counter: u64,
    registered: bool,
    /// Dynamic reservations and persistent volumes, as the master last sent
    /// them; reported when re-registering.
    checkpointed_resources: Vec<v1::Resource>,
}

impl Agent {
    pub fn new(config: AgentConfig) -> Agent {
        let hasher = SeededState::new(config.uuid_seed);
        Agent {
            agent_id: config.info.id.clone(),
            config,
            frameworks: hasher.map(),
            streams: hasher.map(),
            updates: StatusUpdateManager::with_hasher(hasher),
            actions: Outbox::default(),
            uuid_counter: 0,
            registered: false,
            checkpointed_resources: Vec::new(),
        }
    }

    /// The actions decided so far that may be carried out now, in order
    /// (those behind a checkpoint not yet durable stay behind).
    /// Builds the maps keyed by ids frameworks choose, from the seed.
    pub(crate) fn hasher(&self) -> SeededState {
        SeededState::new(self.config.uuid_seed)
    }

    pub fn take_actions(&mut self) -> Vec<AgentAction> {
        self.actions.take()
    }

    /// Whether actions wait for a checkpoint to be durable.
    pub fn awaits_checkpoint(&self) -> bool {
        self.actions.is_holding()
    }

    /// Dynamic reservations and persistent volumes the agent keeps.
    pub fn checkpointed_resources(&self) -> &[v1::Resource] {
        &self.checkpointed_resources
    }

    /// Updates of a task not yet acknowledged by its framework, oldest first.
    pub fn unacknowledged_updates(&self, framework: &FrameworkId, task: &TaskId) -> Vec<&v1::TaskStatus> {
        self.updates.pending(framework, task).map(|update| &update.status).collect()
    }

    pub fn agent_id(&self) -> Option<&AgentId> {
        self.agent_id.as_ref()
    }

    /// AgentInfo with the id once registered.
    pub fn info(&self) -> AgentInfo {
        let mut info = self.config.info.clone();
        info.id = self.agent_id.clone();
        info
    }

    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// The container of a framework's executor, while it runs.
    pub fn container_of(&self, framework_id: &FrameworkId, executor_id: &ExecutorId) -> Option<&str> {
        self.frameworks.get(framework_id)?.executors.get(executor_id).map(|e| e.container_id.as_str())
    }

    pub fn frameworks(&self) -> impl Iterator<Item = &FrameworkEntry> {
        self.frameworks.values()
    }

    pub fn status_updates(&self) -> &StatusUpdateManager {
        &self.updates
    }

    // -----------------------------------------------------------------------
    // Registration.

    /// The master (re-)registered this agent: pending updates go out again.
    pub(crate) fn registered(&mut self, agent_id: AgentId, now: Duration) {
        self.agent_id = Some(agent_id);
        self.registered = true;
        self.checkpoint(crate::agent::checkpoint::CheckpointWrite::Agent(self.info()));
        for update in self.updates.flush(now) {
            self.send_update(update);
        }
    }

    /// The connection to the master is gone; updates wait for the next one.
    pub(crate) fn disconnected(&mut self) {
        self.registered = false;
    }

    /// The REGISTER or REREGISTER call for the current state.
    pub fn registration_call(&self, version: &str, address: v1::Address) -> AgentCall {
        let info = self.info();
        match &self.agent_id {
            None => AgentCall {
                r#type: Some(agent_call::Type::Register as i32),
                register: Some(agent_call::Register {
                    agent_info: info,
                    capabilities: capabilities(),
                    version: Some(version.to_owned()),
                    address: Some(address),
                }),
                ..Default::default()
            },
            Some(agent_id) => AgentCall {
                agent_id: Some(agent_id.clone()),
                r#type: Some(agent_call::Type::Reregister as i32),
                reregister: Some(agent_call::Reregister {
                    agent_info: info,
                    capabilities: capabilities(),
                    version: Some(version.to_owned()),
                    address: Some(address),
                    tasks: self.task_records(),
                    executor_infos: self.executor_infos(),
                    frameworks: self.frameworks.values().map(|f| f.info.clone()).collect(),
                    checkpointed_resources: self.checkpointed_resources.clone(),
                }),
                ..Default::default()
            },
        }
    }

    /// `Task` records of every task the master must know of: launched or
    /// queued ones, and ended ones whose updates are not acknowledged yet
    /// (even if their executor is gone), with the state and uuid of the
    /// update awaiting acknowledgement, as Mesos reports them.
    pub fn task_records(&self) -> Vec<v1::Task> {
        let agent_id = self.agent_id.clone().unwrap_or_default();
        let mut records = Vec::new();
        for (framework_id, framework) in &self.frameworks {
            for executor in framework.executors.values().chain(framework.completed_executors.iter()) {
                let executor_id = (!executor.command_executor).then(|| executor.info.executor_id.clone());
                let queued = executor.queued.iter().flat_map(|q| q.tasks()).map(|t| (t, TaskState::TaskStaging, None));
                let launched = executor.tasks.values().map(|t| (&t.info, t.state, t.latest.clone()));
                let unacknowledged = executor
                    .completed_tasks
                    .iter()
                    .filter(|t| self.updates.pending(framework_id, &t.info.task_id).next().is_some())
                    .map(|t| (&t.info, t.state, t.latest.clone()));
                for (info, state, latest) in queued.chain(launched).chain(unacknowledged) {
                    // The update awaiting acknowledgement: a new master
                    // answers reconciliation with its state, not with a
                    // later one the framework has not been told yet.
                    let awaiting = self.updates.pending(framework_id, &info.task_id).next().map(|u| &u.status);
                    let mut record =
                        v1::Task::of_info(info, framework_id.clone(), agent_id.clone(), executor_id.clone(), state);
                    record.statuses = latest.into_iter().collect();
                    record.status_update_state = awaiting.map(|s| s.state);
                    record.status_update_uuid = awaiting.and_then(|s| s.uuid.clone());
                    records.push(record);
                }
            }
        }
        records
    }

    /// ExecutorInfos of executors still alive (the command executors'
    /// resources are the agent's own business and are not reported).
    pub fn executor_infos(&self) -> Vec<ExecutorInfo> {
        self.frameworks
            .values()
            .flat_map(|f| f.executors.values())
            .filter(|e| e.phase != ExecutorPhase::Terminated && !e.command_executor)
            .map(|e| e.info.clone())
            .collect()
    }

    // -----------------------------------------------------------------------
    // Timers.

    /// Retries due updates and enforces executor registration and shutdown
    /// timeouts.
    pub(crate) fn tick(&mut self, now: Duration) {
        if self.registered {
            for update in self.updates.due(now) {
                self.send_update(update);
            }
        }
        let mut expired = Vec::new();
        let mut overdue = Vec::new();
        for (framework_id, framework) in &self.frameworks {
            for executor in framework.executors.values() {
                if executor.registration_deadline.is_some_and(|d| d <= now) {
                    expired.push((framework_id.clone(), executor.info.executor_id.clone()));
                }
                if executor.shutdown_deadline.is_some_and(|d| d <= now) {
                    overdue.push(executor.container_id.clone());
                }
            }
        }
        for (framework_id, executor_id) in expired {
            self.registration_timed_out(&framework_id, &executor_id);
        }
        for container_id in overdue {
            self.actions.push(AgentAction::DestroyContainer { container_id });
        }
    }

    /// When a [`crate::AgentInput::Tick`] next has work.
    pub fn next_deadline(&self) -> Option<Duration> {
        let executors = self
            .frameworks
            .values()
            .flat_map(|f| f.executors.values())
            .flat_map(|e| e.registration_deadline.into_iter().chain(e.shutdown_deadline));
        let updates = if self.registered { self.updates.next_deadline() } else { None };
        executors.chain(updates).min()
    }

    fn registration_timed_out(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId) {
        let Some(executor) = self.executor_mut(framework_id, executor_id) else {
            return;
        };
        executor.registration_deadline = None;
        executor.phase = ExecutorPhase::Terminating;
        executor.termination = Some(if executor.recovered {
            Termination {
                state: TaskState::TaskFailed,
                reason: Reason::ExecutorReregistrationTimeout,
                message: "Executor did not re-register within the executor re-registration timeout".into(),
                limitation: None,
            }
        } else {
            Termination {
                state: TaskState::TaskFailed,
                reason: Reason::ExecutorRegistrationTimeout,
                message: "Executor did not register within the executor registration timeout".into(),
                limitation: None,
            }
        });
        let container_id = executor.container_id.clone();
        self.actions.push(AgentAction::DestroyContainer { container_id });
    }
}

fn capabilities() -> Vec<v1::agent_info::Capability> {
    use v1::agent_info::capability::Type;
    [Type::MultiRole, Type::HierarchicalRole, Type::ReservationRefinement]
        .into_iter()
        .map(|t| v1::agent_info::Capability { r#type: Some(t as i32) })
        .collect()
}

/// The LAUNCH or LAUNCH_GROUP event for queued work.
pub(crate) fn launch_event(work: &Queued) -> ExecutorEvent {
    match work {
        Queued::Task(task) => ExecutorEvent {
            r#type: Some(executor_event::Type::Launch as i32),
            launch: Some(executor_event::Launch { task: (**task).clone() }),
            ..Default::default()
        },
        Queued::Group(group) => ExecutorEvent {
            r#type: Some(executor_event::Type::LaunchGroup as i32),
            launch_group: Some(executor_event::LaunchGroup { task_group: group.clone() }),
            ..Default::default()
        },
    }
}
