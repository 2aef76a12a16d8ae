//! What a re-registering agent's report changes in the master: its tasks
//! reconciled with the master's books (the agent's word for tasks it runs,
//! ended tasks freed once), tasks of an agent that was unreachable
//! announced again, and executors of frameworks removed meanwhile shut
//! down.

use std::time::Duration;

use mesos_proto::collections::Map;
use mesos_proto::internal::{AgentEvent, agent_call, agent_event};
use mesos_proto::v1::{self, AgentId, FrameworkId, TaskState, task_status::Reason};
use mesos_resources::Resources;

use crate::agent::Agent;
use crate::framework::Framework;
use crate::master::Master;
use crate::task::{Task, master_status};

impl Master {
    /// Makes the master's view of an agent's tasks and executors match what
    /// the agent reports: reported tasks the master lacks are added (their
    /// frameworks recovered if unknown); tasks the master has that the agent
    /// does not are lost.
    pub(super) fn reconcile_agent_tasks(&mut self, agent: &mut Agent, rr: &agent_call::Reregister, now: Duration) {
        for info in &rr.frameworks {
            let Some(id) = info.id.clone() else { continue };
            if !self.frameworks.contains_key(&id) && !self.removed_frameworks.contains(&id) {
                let mut framework = Framework::new(id.clone(), info.clone(), now, self.hasher());
                framework.recovered = true;
                framework.registered_time = None;
                self.allocator.add_framework(&id, framework.allocator_spec(), &[], false);
                self.frameworks.insert(id.clone(), framework);
                self.notify_framework_added(&id);
            }
        }
        let reported: mesos_proto::collections::Set<(FrameworkId, v1::TaskId)> =
            rr.tasks.iter().map(|t| (t.framework_id.clone(), t.task_id.clone())).collect();
        // Tasks the agent no longer has.
        let missing: Vec<(FrameworkId, v1::TaskId)> =
            agent.tasks.iter().filter(|k| !reported.contains(k)).cloned().collect();
        for (framework_id, task_id) in missing {
            agent.tasks.remove(&(framework_id.clone(), task_id.clone()));
            let Some(framework) = self.frameworks.get_mut(&framework_id) else {
                continue;
            };
            let Some(task) = framework.tasks.remove(&task_id) else {
                continue;
            };
            let partition_aware = framework.capabilities.partition_aware;
            if task.is_terminal() {
                framework.complete_task(task, self.config.max_completed_tasks_per_framework);
                continue;
            }
            agent.remove_used(&framework_id, &task.resources);
            let state = if partition_aware { TaskState::TaskGone } else { TaskState::TaskLost };
            let status = master_status(
                &task_id,
                Some(&agent.id),
                state,
                Reason::Reconciliation,
                "Task is unknown to the agent",
                now,
            );
            let mut task = task;
            task.apply_status(&status, state);
            self.counters.count_terminal(&status);
            framework.complete_task(task, self.config.max_completed_tasks_per_framework);
            self.notify_task_updated(&framework_id, &status, state);
            self.send_update_event(&framework_id, status);
        }
        // Executors are taken from the agent's report, but for those of
        // frameworks that were removed: they are being shut down, and
        // their resources were given back with their framework.
        let hasher = self.hasher();
        let mut executors: Map<FrameworkId, Map<v1::ExecutorId, v1::ExecutorInfo>> = hasher.map();
        for executor in &rr.executor_infos {
            if let Some(framework_id) = executor.framework_id.as_ref().filter(|id| self.frameworks.contains_key(*id)) {
                executors
                    .entry(framework_id.clone())
                    .or_insert_with(|| hasher.map())
                    .insert(executor.executor_id.clone(), executor.clone());
            }
        }
        agent.executors = executors;
        // Resources in use are recomputed from tasks and executors.
        agent.used.clear();
        let executor_resources: Vec<(FrameworkId, Resources)> = agent
            .executors
            .values()
            .flat_map(|e| e.values())
            .filter_map(|e| Some((e.framework_id.clone()?, Resources::from_proto(&e.resources).ok()?)))
            .collect();
        for (framework_id, resources) in executor_resources {
            agent.add_used(&framework_id, &resources);
        }
        let mut added = Vec::new();
        for reported_task in &rr.tasks {
            let key = (reported_task.framework_id.clone(), reported_task.task_id.clone());
            let Some(framework) = self.frameworks.get_mut(&reported_task.framework_id) else {
                continue;
            };
            if !framework.tasks.contains_key(&reported_task.task_id) {
                added.push(key.clone());
            }
            let state = TaskState::try_from(reported_task.state).unwrap_or(TaskState::TaskStaging);
            let task = framework.tasks.entry(reported_task.task_id.clone()).or_insert_with(|| {
                let resources = Resources::from_proto(&reported_task.resources).unwrap_or_default();
                let role =
                    resources.allocation_roles().first().map(|r| r.to_string()).unwrap_or_else(|| "*".to_owned());
                Task { record: Box::new(reported_task.clone()), resources, role }
            });
            // The agent knows the latest state; the updates that tell the
            // framework follow, and must not give the resources back twice.
            // Until they do, reconciliation answers with the update the
            // agent has awaiting acknowledgement, not the later state.
            if !task.is_terminal() {
                task.record.state = reported_task.state;
            }
            if reported_task.status_update_state.is_some() {
                task.record.status_update_state = reported_task.status_update_state;
                task.record.status_update_uuid = reported_task.status_update_uuid.clone();
            }
            // A task that was unreachable is back.
            framework.unreachable_tasks.retain(|t| t.record.task_id != reported_task.task_id);
            if !state.is_terminal() {
                agent.add_used(&reported_task.framework_id, &task.resources);
            }
            agent.tasks.insert(key);
        }
        for (framework_id, task_id) in added {
            self.notify_task_added(&framework_id, &task_id);
        }
    }

    /// An agent the master had lost (unreachable, or unknown after a master
    /// restart) is back: its frameworks learn the current state of each of
    /// its tasks (those of removed frameworks are shut down instead).
    pub(super) fn announce_returned_tasks(
        &mut self,
        agent_id: &AgentId,
        rr: &agent_call::Reregister,
        was_unreachable: bool,
        now: Duration,
    ) {
        let message = if was_unreachable { "Unreachable agent re-reregistered" } else { "Unknown agent reregistered" };
        for task in &rr.tasks {
            if self.removed_frameworks.contains(&task.framework_id) {
                continue;
            }
            let state = TaskState::try_from(task.state).unwrap_or(TaskState::TaskStaging);
            let mut status =
                master_status(&task.task_id, Some(agent_id), state, Reason::AgentReregistered, message, now);
            status.executor_id = task.executor_id.clone();
            if let Some(framework) = self.frameworks.get_mut(&task.framework_id) {
                framework.completed_tasks.retain(|t| t.record.task_id != task.task_id);
            }
            self.send_update_event(&task.framework_id, status);
        }
    }

    /// A re-registering agent that still runs work of removed frameworks
    /// (it missed their SHUTDOWN_FRAMEWORK while away, known to this
    /// master or not) is told again to shut them down, as Mesos's master
    /// does.
    pub(super) fn shut_down_removed_frameworks(&mut self, agent_id: &AgentId, rr: &agent_call::Reregister) {
        let mut removed: Vec<FrameworkId> = rr
            .frameworks
            .iter()
            .filter_map(|f| f.id.clone())
            .chain(rr.tasks.iter().map(|t| t.framework_id.clone()))
            .chain(rr.executor_infos.iter().filter_map(|e| e.framework_id.clone()))
            .filter(|id| self.removed_frameworks.contains(id))
            .collect();
        removed.sort_by(|a, b| a.value.cmp(&b.value));
        removed.dedup();
        for framework_id in removed {
            let event = AgentEvent {
                r#type: Some(agent_event::Type::ShutdownFramework as i32),
                shutdown_framework: Some(agent_event::ShutdownFramework { framework_id }),
                ..Default::default()
            };
            self.send_to_agent(agent_id, event);
        }
    }
}
