//! What the master asks of the agent: run tasks and task groups, kill
//! them, pass acknowledgements and messages on, shut executors and
//! frameworks down, record reservations and volumes, answer pings.

use std::collections::VecDeque;
use std::time::Duration;

use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::executor::{Event as ExecutorEvent, event as executor_event};
use mesos_proto::v1::{
    self, CommandInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, KillPolicy, TaskGroupInfo, TaskId,
    TaskInfo, TaskState, task_status::Reason,
};

use crate::agent::{Agent, AgentAction, LaunchSpec, launch_event};
use crate::input::FromMaster;
use crate::records::{AgentTask, Executor, ExecutorPhase, FrameworkEntry, Queued, Termination};
use crate::status_updates::Acknowledged;

impl Agent {
    /// A message from the master.
    pub(crate) fn master_message(&mut self, message: FromMaster, now: Duration) {
        match message {
            FromMaster::Registered { agent_id } => self.registered(agent_id, now),
            FromMaster::RunTask { framework, framework_id, task } => {
                let container_id = self.new_container_id();
                self.run_task(*framework, framework_id, *task, container_id, now);
            }
            FromMaster::RunTaskGroup { framework, framework_id, executor, group } => {
                let container_id = self.new_container_id();
                self.run_task_group(*framework, framework_id, *executor, group, container_id, now);
            }
            FromMaster::KillTask { framework_id, task_id, kill_policy } => {
                self.kill_task(&framework_id, &task_id, kill_policy, now)
            }
            FromMaster::Acknowledge { framework_id, task_id, uuid } => {
                self.acknowledge(&framework_id, &task_id, &uuid, now);
            }
            FromMaster::FrameworkToExecutor { framework_id, executor_id, data } => {
                self.framework_message(&framework_id, &executor_id, data)
            }
            FromMaster::ShutdownFramework { framework_id } => self.shutdown_framework(&framework_id, now),
            FromMaster::ShutdownExecutor { framework_id, executor_id } => {
                self.shutdown_executor(&framework_id, &executor_id, now)
            }
            FromMaster::UpdateFramework { framework, framework_id } => self.update_framework(*framework, &framework_id),
            FromMaster::CheckpointResources { resources } => self.checkpoint_resources(resources),
            FromMaster::Ping { sequence } => {
                let pong = AgentCall {
                    agent_id: self.agent_id.clone(),
                    r#type: Some(agent_call::Type::Pong as i32),
                    pong: Some(agent_call::Pong { sequence }),
                    ..Default::default()
                };
                self.actions.push(AgentAction::ToMaster(Box::new(pong)));
            }
            FromMaster::Shutdown { message } => {
                let frameworks: Vec<FrameworkId> = self.frameworks.keys().cloned().collect();
                for framework_id in frameworks {
                    self.shutdown_framework(&framework_id, now);
                }
                self.actions.push(AgentAction::Shutdown { message });
            }
            // The daemon logs it; nothing in the agent's state changes.
            FromMaster::Error { .. } => {}
        }
    }

    /// CHECKPOINT_RESOURCES: the dynamic reservations and persistent volumes
    /// the agent has now, recorded before anything else happens (tasks that
    /// use a new volume may follow).
    pub(crate) fn checkpoint_resources(&mut self, resources: Vec<v1::Resource>) {
        self.checkpointed_resources = resources.clone();
        self.checkpoint(crate::CheckpointWrite::Resources(resources));
    }

    /// RUN_TASK: the task goes to its executor, which is launched if needed.
    pub(crate) fn run_task(
        &mut self,
        framework: FrameworkInfo,
        framework_id: FrameworkId,
        task: TaskInfo,
        container_id: String,
        now: Duration,
    ) {
        let executor = match &task.executor {
            Some(executor) => executor.clone(),
            None => self.command_executor_info(&framework_id, &task),
        };
        let command = task.executor.is_none();
        self.enqueue(framework, framework_id, executor, Queued::Task(Box::new(task)), command, container_id, now);
    }

    /// RUN_TASK_GROUP: the group goes to its (default) executor.
    pub(crate) fn run_task_group(
        &mut self,
        framework: FrameworkInfo,
        framework_id: FrameworkId,
        executor: ExecutorInfo,
        group: TaskGroupInfo,
        container_id: String,
        now: Duration,
    ) {
        self.enqueue(framework, framework_id, executor, Queued::Group(group), false, container_id, now);
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        framework: FrameworkInfo,
        framework_id: FrameworkId,
        executor_info: ExecutorInfo,
        work: Queued,
        command: bool,
        container_id: String,
        now: Duration,
    ) {
        let new_framework = !self.frameworks.contains_key(&framework_id);
        let hasher = self.hasher();
        let entry = self.frameworks.entry(framework_id.clone()).or_insert_with(|| FrameworkEntry {
            info: framework.clone(),
            executors: hasher.map(),
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
            Some((_, _, container)) => {
                // Recorded like any task, so that its end is on disk before
                // it is sent and reported if the agent re-registers.
                for task in &tasks {
                    self.checkpoint_task(&framework_id, &executor_info.executor_id, &container, task);
                }
                let executor = self.executor_mut(&framework_id, &executor_info.executor_id).expect("present above");
                for task in &tasks {
                    executor.tasks.insert(task.task_id.clone(), AgentTask::new(task.clone()));
                }
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
                    tasks: hasher.map(),
                    completed_tasks: VecDeque::new(),
                    killed: hasher.set(),
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
    fn command_executor_info(&self, framework_id: &FrameworkId, task: &TaskInfo) -> ExecutorInfo {
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
            framework_id: Some(framework_id.clone()),
            resources: vec![
                overhead("cpus", crate::agent::containers::COMMAND_EXECUTOR_CPUS),
                overhead("mem", crate::agent::containers::COMMAND_EXECUTOR_MEM),
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
    pub(crate) fn kill_task(
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
            // Killing one task of a group kills the group. The tasks become
            // the executor's, so that their end is recorded (on disk
            // before it is sent) like any other.
            let removed = executor.queued.remove(position);
            let ids: Vec<TaskId> = removed.tasks().into_iter().map(|t| t.task_id.clone()).collect();
            let idle = executor.idle() && executor.phase == ExecutorPhase::Launching;
            for task in removed.tasks() {
                executor.tasks.insert(task.task_id.clone(), AgentTask::new(task.clone()));
            }
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
    pub(crate) fn acknowledge(
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
    pub(crate) fn framework_message(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId, data: Vec<u8>) {
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
    pub(crate) fn shutdown_framework(&mut self, framework_id: &FrameworkId, now: Duration) {
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
    pub(crate) fn shutdown_executor(&mut self, framework_id: &FrameworkId, executor_id: &ExecutorId, now: Duration) {
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

    /// The framework's info changed: kept, and checkpointed so that a
    /// restart recovers the new one.
    pub(crate) fn update_framework(&mut self, info: FrameworkInfo, framework_id: &FrameworkId) {
        let Some(entry) = self.frameworks.get_mut(framework_id) else { return };
        if entry.info == info {
            return;
        }
        entry.info = info.clone();
        if self.checkpoints(framework_id) {
            self.checkpoint(crate::CheckpointWrite::Framework(info));
        }
    }
}
