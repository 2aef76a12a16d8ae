//! The agent state machine: registration with the master and what the master
//! asks of it (run, kill, acknowledge, message, shut down), plus timers.
//! The executor API and container lifecycle live in `executors.rs`.

use std::collections::VecDeque;

use mesos_proto::collections::Map;
use std::time::Duration;

use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::executor::{Event as ExecutorEvent, event as executor_event};
use mesos_proto::v1::{
    self, AgentId, AgentInfo, CommandInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, KillPolicy,
    TaskGroupInfo, TaskId, TaskInfo, TaskState, task_status::Reason,
};

use crate::records::{AgentTask, Executor, ExecutorPhase, ExecutorStream, FrameworkEntry, Queued, Termination};
use crate::status_updates::{Acknowledged, StatusUpdateManager};

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
    /// Seed for the uuids of agent-generated status updates.
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
    /// Write a record to disk before anything that follows.
    Checkpoint(Box<crate::checkpoint::CheckpointWrite>),
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
    pub(crate) config: AgentConfig,
    pub(crate) agent_id: Option<AgentId>,
    pub(crate) frameworks: Map<FrameworkId, FrameworkEntry>,
    pub(crate) streams: Map<ExecutorStream, (FrameworkId, ExecutorId)>,
    pub(crate) updates: StatusUpdateManager,
    pub(crate) actions: Vec<AgentAction>,
    pub(crate) uuid_counter: u64,
    pub(crate) registered: bool,
    /// Dynamic reservations and persistent volumes, as the master last sent
    /// them; reported when re-registering.
    pub(crate) checkpointed_resources: Vec<v1::Resource>,
}

impl Agent {
    pub fn new(config: AgentConfig) -> Agent {
        Agent {
            agent_id: config.info.id.clone(),
            config,
            frameworks: Map::default(),
            streams: Map::default(),
            updates: StatusUpdateManager::new(),
            actions: Vec::new(),
            uuid_counter: 0,
            registered: false,
            checkpointed_resources: Vec::new(),
        }
    }

    pub fn take_actions(&mut self) -> Vec<AgentAction> {
        std::mem::take(&mut self.actions)
    }

    /// CHECKPOINT_RESOURCES: the dynamic reservations and persistent volumes
    /// the agent has now, recorded before anything else happens (tasks that
    /// use a new volume may follow).
    pub fn checkpoint_resources(&mut self, resources: Vec<v1::Resource>) {
        self.checkpointed_resources = resources.clone();
        self.checkpoint(crate::CheckpointWrite::Resources(resources));
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

    pub fn frameworks(&self) -> impl Iterator<Item = &FrameworkEntry> {
        self.frameworks.values()
    }

    pub fn status_updates(&self) -> &StatusUpdateManager {
        &self.updates
    }

    // -----------------------------------------------------------------------
    // Registration.

    /// The master (re-)registered this agent: pending updates go out again.
    pub fn registered(&mut self, agent_id: AgentId, now: Duration) {
        self.agent_id = Some(agent_id);
        self.registered = true;
        self.checkpoint(crate::checkpoint::CheckpointWrite::Agent(self.info()));
        for update in self.updates.flush(now) {
            self.send_update(update);
        }
    }

    /// The connection to the master is gone; updates wait for the next one.
    pub fn disconnected(&mut self) {
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
    /// (even if their executor is gone), as Mesos reports them.
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
                    records.push(v1::Task {
                        name: info.name.clone(),
                        task_id: info.task_id.clone(),
                        framework_id: framework_id.clone(),
                        executor_id: executor_id.clone(),
                        agent_id: agent_id.clone(),
                        state: state as i32,
                        resources: info.resources.clone(),
                        statuses: latest.into_iter().collect(),
                        labels: info.labels.clone(),
                        discovery: info.discovery.clone(),
                        container: info.container.clone(),
                        health_check: info.health_check.clone(),
                        kill_policy: info.kill_policy,
                        limits: info.limits.clone(),
                        ..Default::default()
                    });
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
    // What the master asks.

    /// RUN_TASK: the task goes to its executor, which is launched if needed.
    pub fn run_task(&mut self, framework: FrameworkInfo, task: TaskInfo, container_id: String, now: Duration) {
        let executor = match &task.executor {
            Some(executor) => executor.clone(),
            None => self.command_executor_info(&framework, &task),
        };
        let command = task.executor.is_none();
        self.enqueue(framework, executor, Queued::Task(Box::new(task)), command, container_id, now);
    }

    /// RUN_TASK_GROUP: the group goes to its (default) executor.
    pub fn run_task_group(
        &mut self,
        framework: FrameworkInfo,
        executor: ExecutorInfo,
        group: TaskGroupInfo,
        container_id: String,
        now: Duration,
    ) {
        self.enqueue(framework, executor, Queued::Group(group), false, container_id, now);
    }

    fn enqueue(
        &mut self,
        framework: FrameworkInfo,
        executor_info: ExecutorInfo,
        work: Queued,
        command: bool,
        container_id: String,
        now: Duration,
    ) {
        let Some(framework_id) = framework.id.clone() else {
            return;
        };
        let new_framework = !self.frameworks.contains_key(&framework_id);
        let entry = self.frameworks.entry(framework_id.clone()).or_insert_with(|| FrameworkEntry {
            info: framework.clone(),
            executors: Map::default(),
            completed_executors: VecDeque::new(),
        });
        entry.info = framework.clone();
        let tasks: Vec<TaskInfo> = work.tasks().into_iter().cloned().collect();
        let phase =
            entry.executors.get(&executor_info.executor_id).map(|e| (e.phase, e.stream, e.container_id.clone()));
        match phase {
            Some((ExecutorPhase::Running, Some(stream), container)) => {
                for task in &tasks {
                    self.checkpoint_task(&framework_id, &executor_info.executor_id, &container, task);
                }
                let executor = self.executor_mut(&framework_id, &executor_info.executor_id).expect("present above");
                for task in &tasks {
                    executor.tasks.insert(task.task_id.clone(), AgentTask::new(task.clone()));
                }
                self.resize_container(&framework_id, &executor_info.executor_id);
                self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(launch_event(&work)) });
            }
            Some((ExecutorPhase::Running | ExecutorPhase::Launching, _, container)) => {
                for task in &tasks {
                    self.checkpoint_task(&framework_id, &executor_info.executor_id, &container, task);
                }
                let executor = self.executor_mut(&framework_id, &executor_info.executor_id).expect("present above");
                executor.queued.push(work);
                self.resize_container(&framework_id, &executor_info.executor_id);
            }
            Some(_) => {
                for task in tasks {
                    self.send_agent_status(
                        &framework_id,
                        &executor_info.executor_id,
                        &task.task_id,
                        TaskState::TaskLost,
                        Reason::ExecutorTerminated,
                        "Executor is terminating",
                        now,
                    );
                }
            }
            None => {
                let command_task = match (&work, command) {
                    (Queued::Task(task), true) => Some((**task).clone()),
                    _ => None,
                };
                let executor = Executor {
                    info: executor_info.clone(),
                    container_id: container_id.clone(),
                    command_executor: command,
                    phase: ExecutorPhase::Launching,
                    stream: None,
                    queued: vec![work],
                    tasks: Map::default(),
                    completed_tasks: VecDeque::new(),
                    killed: Default::default(),
                    registration_deadline: Some(now + self.config.executor_registration_timeout),
                    shutdown_deadline: None,
                    launched_at: now,
                    recovered: false,
                    termination: None,
                    container_size: None,
                };
                let resources = executor.container_resources();
                let executor = Executor { container_size: Some(resources.clone()), ..executor };
                self.checkpoint_executor(&framework, &executor, new_framework);
                for task in &tasks {
                    self.checkpoint_task(&framework_id, &executor_info.executor_id, &container_id, task);
                }
                if let Some(entry) = self.frameworks.get_mut(&framework_id) {
                    entry.executors.insert(executor_info.executor_id.clone(), executor);
                }
                let launched = self.with_default_command(executor_info);
                self.actions.push(AgentAction::LaunchExecutor(Box::new(LaunchSpec {
                    container_id,
                    framework,
                    executor: launched,
                    command_task,
                    resources,
                })));
            }
        }
    }

    pub(crate) fn executor_mut(&mut self, framework: &FrameworkId, executor: &ExecutorId) -> Option<&mut Executor> {
        self.frameworks.get_mut(framework).and_then(|f| f.executors.get_mut(executor))
    }

    /// A DEFAULT executor without a command runs `mesos-default-executor`.
    fn with_default_command(&self, mut executor: ExecutorInfo) -> ExecutorInfo {
        if executor.r#type == Some(v1::executor_info::Type::Default as i32) && executor.command.is_none() {
            executor.command = Some(CommandInfo {
                value: Some(format!("{}/mesos-default-executor", self.config.launcher_dir)),
                shell: Some(false),
                arguments: vec!["mesos-default-executor".to_owned()],
                ..Default::default()
            });
        }
        executor
    }

    /// The ExecutorInfo the agent builds to run a task's command.
    fn command_executor_info(&self, framework: &FrameworkInfo, task: &TaskInfo) -> ExecutorInfo {
        let command = task.command.clone().unwrap_or_default();
        let shown = if command.shell() {
            format!("sh -c '{}'", command.value.clone().unwrap_or_default())
        } else {
            let mut argv = vec![command.value.clone().unwrap_or_default()];
            argv.extend(command.arguments.iter().cloned());
            format!("[{}]", argv.join(", "))
        };
        // Tasks in a Docker container run under the Docker executor, as
        // with Mesos's Docker containerizer.
        let docker = task.container.as_ref().is_some_and(|c| c.r#type == v1::container_info::Type::Docker as i32);
        let program = if docker { "mesos-docker-executor" } else { "mesos-executor" };
        let allocation_info = task.resources.first().and_then(|r| r.allocation_info.clone());
        let overhead = |name: &str, value: f64| v1::Resource {
            name: name.to_owned(),
            r#type: v1::value::Type::Scalar as i32,
            scalar: Some(v1::value::Scalar { value }),
            allocation_info: allocation_info.clone(),
            ..Default::default()
        };
        #[allow(deprecated)]
        ExecutorInfo {
            executor_id: ExecutorId { value: task.task_id.value.clone() },
            framework_id: framework.id.clone(),
            resources: vec![
                overhead("cpus", crate::containers::COMMAND_EXECUTOR_CPUS),
                overhead("mem", crate::containers::COMMAND_EXECUTOR_MEM),
            ],
            command: Some(CommandInfo {
                value: Some(format!("{}/{program}", self.config.launcher_dir)),
                shell: Some(false),
                arguments: vec![program.to_owned()],
                uris: command.uris.clone(),
                environment: command.environment.clone(),
                user: command.user.clone(),
            }),
            name: Some(format!("Command Executor (Task: {}) (Command: {shown})", task.task_id.value)),
            source: Some(task.task_id.value.clone()),
            container: task.container.clone(),
            labels: task.labels.clone(),
            ..Default::default()
        }
    }

    /// KILL_TASK: a queued task is killed on the spot; a launched one is
    /// passed to its executor.
    pub fn kill_task(
        &mut self,
        framework_id: &FrameworkId,
        task_id: &TaskId,
        kill_policy: Option<KillPolicy>,
        now: Duration,
    ) {
        let Some(framework) = self.frameworks.get_mut(framework_id) else {
            return;
        };
        let Some(executor) = framework.executors.values_mut().find(|e| {
            e.tasks.contains_key(task_id) || e.queued.iter().any(|q| q.tasks().iter().any(|t| t.task_id == *task_id))
        }) else {
            return;
        };
        let executor_id = executor.info.executor_id.clone();
        if let Some(position) = executor.queued.iter().position(|q| q.tasks().iter().any(|t| t.task_id == *task_id)) {
            // Killing one task of a group kills the group.
            let removed = executor.queued.remove(position);
            let ids: Vec<TaskId> = removed.tasks().into_iter().map(|t| t.task_id.clone()).collect();
            let idle = executor.idle() && executor.phase == ExecutorPhase::Launching;
            for id in ids {
                self.send_agent_status(
                    framework_id,
                    &executor_id,
                    &id,
                    TaskState::TaskKilled,
                    Reason::TaskKilledDuringLaunch,
                    "Killed before delivery to the executor",
                    now,
                );
            }
            if idle {
                self.shutdown_executor(framework_id, &executor_id, now);
            }
            return;
        }
        executor.killed.insert(task_id.clone());
        if let Some(stream) = executor.stream {
            let event = ExecutorEvent {
                r#type: Some(executor_event::Type::Kill as i32),
                kill: Some(executor_event::Kill { task_id: task_id.clone(), kill_policy }),
                ..Default::default()
            };
            self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(event) });
        }
    }

    /// A framework acknowledged an update: the next one goes out.
    pub fn acknowledge(
        &mut self,
        framework_id: &FrameworkId,
        task_id: &TaskId,
        uuid: &[u8],
        now: Duration,
    ) -> Acknowledged {
        let (outcome, next) = self.updates.acknowledge(framework_id, task_id, uuid, now);
        if matches!(outcome, Acknowledged::Delivered { .. }) {
            self.checkpoint_task_updates(framework_id, task_id);
        }
        if let Some(next) = next {
            self.send_update(next);
        }
        outcome
    }

    /// FRAMEWORK_TO_EXECUTOR: passed to the executor if it is subscribed.
    pub fn framework_message(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId, data: Vec<u8>) {
        let stream =
            self.frameworks.get(framework_id).and_then(|f| f.executors.get(executor_id)).and_then(|e| e.stream);
        if let Some(stream) = stream {
            let event = ExecutorEvent {
                r#type: Some(executor_event::Type::Message as i32),
                message: Some(executor_event::Message { data }),
                ..Default::default()
            };
            self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(event) });
        }
    }

    /// SHUTDOWN_FRAMEWORK: every executor of the framework shuts down and its
    /// pending updates are dropped.
    pub fn shutdown_framework(&mut self, framework_id: &FrameworkId, now: Duration) {
        let Some(framework) = self.frameworks.get(framework_id) else {
            return;
        };
        let executors: Vec<ExecutorId> = framework.executors.keys().cloned().collect();
        for executor in executors {
            self.shutdown_executor(framework_id, &executor, now);
        }
        self.updates.remove_framework(framework_id);
    }

    /// SHUTDOWN_EXECUTOR: a subscribed executor gets SHUTDOWN and a grace
    /// period; one that never subscribed is destroyed at once.
    pub fn shutdown_executor(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId, now: Duration) {
        let grace = self.config.executor_shutdown_grace_period;
        let Some(executor) = self.executor_mut(framework_id, executor_id) else {
            return;
        };
        if matches!(executor.phase, ExecutorPhase::Terminating | ExecutorPhase::Terminated) {
            return;
        }
        executor.phase = ExecutorPhase::Terminating;
        executor.registration_deadline = None;
        executor.termination = Some(Termination {
            state: TaskState::TaskKilled,
            reason: Reason::ExecutorTerminated,
            message: "Executor was shut down".into(),
            limitation: None,
        });
        let container_id = executor.container_id.clone();
        match executor.stream {
            Some(stream) => {
                executor.shutdown_deadline = Some(now + grace);
                let event = ExecutorEvent { r#type: Some(executor_event::Type::Shutdown as i32), ..Default::default() };
                self.actions.push(AgentAction::ToExecutor { stream, event: Box::new(event) });
            }
            None => self.actions.push(AgentAction::DestroyContainer { container_id }),
        }
    }

    /// The framework's info changed.
    pub fn update_framework(&mut self, info: FrameworkInfo) {
        if let Some(entry) = info.id.clone().and_then(|id| self.frameworks.get_mut(&id)) {
            entry.info = info;
        }
    }

    // -----------------------------------------------------------------------
    // Timers.

    /// Retries due updates and enforces executor registration and shutdown
    /// timeouts.
    pub fn tick(&mut self, now: Duration) {
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

    /// When [`Agent::tick`] next has work.
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
