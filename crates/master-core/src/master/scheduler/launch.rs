//! Validating the LAUNCH and LAUNCH_GROUP operations of an ACCEPT and
//! planning what they consume, without changing any state.

use mesos_proto::collections::{Map, Set};

use mesos_proto::v1::{self, ExecutorId, ExecutorInfo, FrameworkId, TaskId, TaskInfo, executor_info};
use mesos_resources::{Resources, Scalar};

use crate::agent::Agent;
use crate::framework::Framework;
use crate::ids;

/// One task ready to launch, with what it takes from the offers.
#[derive(Debug, Clone)]
pub(crate) struct PlannedTask {
    /// The TaskInfo as sent to the agent: resources normalized, the
    /// executor's `framework_id` filled in.
    pub info: TaskInfo,
    pub resources: Resources,
}

/// A LAUNCH (one task) or LAUNCH_GROUP (several tasks, one executor).
#[derive(Debug, Clone)]
pub(crate) struct PlannedLaunch {
    pub tasks: Vec<PlannedTask>,
    /// The executor of a LAUNCH_GROUP (always) or of a LAUNCH task with a
    /// custom executor.
    pub executor: Option<ExecutorInfo>,
    /// Resources of an executor that is not running yet, charged once.
    pub new_executor_resources: Option<Resources>,
    pub group: bool,
}

/// Why an operation cannot be carried out; names the task when there is one.
#[derive(Debug, Clone)]
pub(crate) struct LaunchError {
    pub task: Option<TaskId>,
    pub message: String,
    /// The task id is already used by an active task: no update may be sent
    /// for it, since it would describe the other task.
    pub duplicate: bool,
}

impl LaunchError {
    fn task(task: &TaskId, message: impl Into<String>) -> LaunchError {
        LaunchError { task: Some(task.clone()), message: message.into(), duplicate: false }
    }
}

/// The context a launch is validated in.
pub(crate) struct LaunchContext<'a> {
    pub framework: &'a Framework,
    pub agent: &'a Agent,
    pub role: &'a str,
    /// Offered resources not yet consumed by earlier operations of the call.
    pub remaining: Resources,
    /// Task ids used by earlier operations of the call.
    pub seen_tasks: Set<TaskId>,
    /// Executors launched by earlier operations of the call.
    pub new_executors: Map<ExecutorId, ExecutorInfo>,
}

impl LaunchContext<'_> {
    /// Validates a LAUNCH of one task and takes its resources.
    pub fn launch(&mut self, task: &TaskInfo) -> Result<PlannedLaunch, LaunchError> {
        let mut info = task.clone();
        self.check_task_identity(&info)?;
        if info.executor.is_some() == info.command.is_some() {
            return Err(LaunchError::task(
                &info.task_id,
                "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present",
            ));
        }
        if let Some(command) = &info.command {
            check_command(&info.task_id, command)?;
        }
        let resources = self.task_resources(&mut info)?;
        let mut needed = resources.clone();
        let (executor, new_executor_resources) = match info.executor.take() {
            None => (None, None),
            Some(executor) => {
                let (executor, new_resources) = self.executor(&info.task_id, executor, false)?;
                if let Some(r) = &new_resources {
                    needed.add(r);
                }
                info.executor = Some(executor.clone());
                (Some(executor), new_resources)
            }
        };
        self.consume(&info.task_id, &needed)?;
        if let Some(executor) = &executor {
            self.new_executors.insert(executor.executor_id.clone(), executor.clone());
        }
        self.seen_tasks.insert(info.task_id.clone());
        Ok(PlannedLaunch {
            tasks: vec![PlannedTask { info, resources }],
            executor,
            new_executor_resources,
            group: false,
        })
    }

    /// Validates a LAUNCH_GROUP and takes its resources, all or nothing.
    pub fn launch_group(&mut self, group: &v1::offer::operation::LaunchGroup) -> Result<PlannedLaunch, LaunchError> {
        let first = group.task_group.tasks.first().map(|t| t.task_id.clone());
        let group_error = |message: String| LaunchError { task: first.clone(), message, duplicate: false };
        let tasks = group.task_group.tasks.as_slice();
        if tasks.is_empty() {
            return Err(group_error("Task group must not be empty".into()));
        }
        let executor = group.executor.clone();
        if executor.r#type != Some(executor_info::Type::Default as i32) {
            return Err(group_error("'ExecutorInfo.type' must be 'DEFAULT'".into()));
        }
        let (executor, new_executor_resources) = self.executor(&tasks[0].task_id, executor, true)?;
        let mut needed = new_executor_resources.clone().unwrap_or_default();
        let mut planned = Vec::with_capacity(tasks.len());
        let mut group_ids = Set::default();
        for task in tasks {
            let mut info = task.clone();
            self.check_task_identity(&info)?;
            if !group_ids.insert(info.task_id.clone()) {
                return Err(LaunchError::task(&info.task_id, "Task group has duplicate task ids"));
            }
            if info.executor.is_some() {
                return Err(LaunchError::task(
                    &info.task_id,
                    "'TaskInfo.executor' must not be set for tasks of a task group",
                ));
            }
            let command = info.command.as_ref().ok_or_else(|| {
                LaunchError::task(&info.task_id, "'TaskInfo.command' must be set for tasks of a task group")
            })?;
            check_command(&info.task_id, command)?;
            let resources = self.task_resources(&mut info)?;
            needed.add(&resources);
            planned.push(PlannedTask { info, resources });
        }
        self.consume(&tasks[0].task_id, &needed)?;
        for task in &planned {
            self.seen_tasks.insert(task.info.task_id.clone());
        }
        self.new_executors.insert(executor.executor_id.clone(), executor.clone());
        Ok(PlannedLaunch { tasks: planned, executor: Some(executor), new_executor_resources, group: true })
    }

    fn check_task_identity(&self, info: &TaskInfo) -> Result<(), LaunchError> {
        ids::validate("task id", &info.task_id.value).map_err(|m| LaunchError::task(&info.task_id, m))?;
        if self.framework.tasks.contains_key(&info.task_id) {
            return Err(LaunchError {
                task: Some(info.task_id.clone()),
                message: format!("Task has duplicate ID: {}", info.task_id.value),
                duplicate: true,
            });
        }
        if self.seen_tasks.contains(&info.task_id) {
            return Err(LaunchError::task(&info.task_id, format!("Task has duplicate ID: {}", info.task_id.value)));
        }
        if info.agent_id != self.agent.id {
            return Err(LaunchError::task(
                &info.task_id,
                format!("Task uses agent {} but the offers are for agent {}", info.agent_id.value, self.agent.id.value),
            ));
        }
        Ok(())
    }

    /// Parses a task's resources, injecting the offer's allocation role where
    /// the framework left it out, and writes them back normalized.
    fn task_resources(&self, info: &mut TaskInfo) -> Result<Resources, LaunchError> {
        let resources = self.allocated(&info.task_id, &info.resources)?;
        info.resources = resources.to_proto(mesos_resources::ResourceFormat::PostRefinement);
        Ok(resources)
    }

    fn allocated(&self, task: &TaskId, wire: &[v1::Resource]) -> Result<Resources, LaunchError> {
        let parsed =
            Resources::from_proto(wire).map_err(|e| LaunchError::task(task, format!("Invalid resources: {e}")))?;
        if let Some(other) = parsed.allocation_roles().into_iter().find(|r| *r != self.role) {
            return Err(LaunchError::task(
                task,
                format!("Resources are allocated to role '{other}' but the offers are for role '{}'", self.role),
            ));
        }
        Ok(parsed.unallocated().allocated_to(self.role))
    }

    /// Validates an executor; returns it normalized, and its resources when
    /// it is not running yet (to be charged to the offers).
    fn executor(
        &self,
        task: &TaskId,
        mut executor: ExecutorInfo,
        default_executor: bool,
    ) -> Result<(ExecutorInfo, Option<Resources>), LaunchError> {
        ids::validate("executor id", &executor.executor_id.value).map_err(|m| LaunchError::task(task, m))?;
        match &executor.framework_id {
            Some(id) if *id != self.framework.id => {
                return Err(LaunchError::task(task, "ExecutorInfo has an invalid FrameworkID"));
            }
            _ => executor.framework_id = Some(self.framework.id.clone()),
        }
        if !default_executor && executor.command.is_none() && executor.container.is_none() {
            return Err(LaunchError::task(task, "Executor must have a command"));
        }
        let resources = self.allocated(task, &executor.resources)?;
        executor.resources = resources.to_proto(mesos_resources::ResourceFormat::PostRefinement);
        if default_executor && (resources.cpus() < Scalar::from_millis(10) || resources.mem() < Scalar::from_units(32))
        {
            return Err(LaunchError::task(task, "Executor must use at least 0.01 cpus and 32 MB of memory"));
        }
        let existing = running_executor(self.agent, &self.framework.id, &executor.executor_id)
            .or_else(|| self.new_executors.get(&executor.executor_id));
        match existing {
            Some(running) if same_executor(running, &executor) => Ok((running.clone(), None)),
            Some(_) => Err(LaunchError::task(
                task,
                format!("ExecutorInfo is not compatible with the running executor '{}'", executor.executor_id.value),
            )),
            None => Ok((executor, Some(resources))),
        }
    }

    fn consume(&mut self, task: &TaskId, needed: &Resources) -> Result<(), LaunchError> {
        match self.remaining.checked_minus(needed) {
            Some(rest) => {
                self.remaining = rest;
                Ok(())
            }
            None => Err(LaunchError::task(
                task,
                format!(
                    "Task uses more resources {} than available {}",
                    needed.unallocated(),
                    self.remaining.unallocated()
                ),
            )),
        }
    }
}

fn running_executor<'a>(agent: &'a Agent, framework: &FrameworkId, executor: &ExecutorId) -> Option<&'a ExecutorInfo> {
    agent.executor(framework, executor)
}

/// Executors match when everything but their resources' allocation details
/// is equal.
fn same_executor(a: &ExecutorInfo, b: &ExecutorInfo) -> bool {
    let strip = |e: &ExecutorInfo| ExecutorInfo { resources: Vec::new(), ..e.clone() };
    strip(a) == strip(b)
}

fn check_command(task: &TaskId, command: &v1::CommandInfo) -> Result<(), LaunchError> {
    if command.shell() && command.value.is_none() {
        return Err(LaunchError::task(task, "'CommandInfo.value' must be set when 'shell' is true"));
    }
    for uri in &command.uris {
        if uri.value.trim().is_empty() {
            return Err(LaunchError::task(task, "'CommandInfo.uris' contains an empty URI"));
        }
    }
    for variable in command.environment.iter().flat_map(|e| &e.variables) {
        if variable.name.is_empty() {
            return Err(LaunchError::task(task, "Environment variable names must not be empty"));
        }
    }
    Ok(())
}
