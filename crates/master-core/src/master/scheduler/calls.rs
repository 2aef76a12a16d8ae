//! The small scheduler calls: KILL, SHUTDOWN, ACKNOWLEDGE, MESSAGE, REVIVE,
//! SUPPRESS and UPDATE_FRAMEWORK.

use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::scheduler::call;
use mesos_proto::v1::{FrameworkId, TaskState};

use crate::error::ApiError;
use crate::master::Master;

impl Master {
    /// KILL: forwarded to the task's agent; a task the master does not know
    /// is answered by reconciling it, as Mesos does.
    pub(crate) fn kill(&mut self, framework_id: &FrameworkId, kill: call::Kill, now: Duration) {
        let Some(task) = self.frameworks.get(framework_id).and_then(|f| f.tasks.get(&kill.task_id)) else {
            let reconcile = call::Reconcile {
                tasks: vec![call::reconcile::Task { task_id: kill.task_id, agent_id: kill.agent_id }],
            };
            self.reconcile(framework_id, reconcile, now);
            return;
        };
        if task.is_terminal() {
            return;
        }
        let agent_id = task.record.agent_id.clone();
        let event = AgentEvent {
            r#type: Some(agent_event::Type::KillTask as i32),
            kill_task: Some(agent_event::KillTask {
                framework_id: framework_id.clone(),
                task_id: kill.task_id,
                kill_policy: kill.kill_policy.or(task.record.kill_policy),
            }),
            ..Default::default()
        };
        self.send_to_agent(&agent_id, event);
    }

    pub(crate) fn shutdown_executor(
        &mut self,
        framework_id: &FrameworkId,
        shutdown: call::Shutdown,
    ) -> Result<(), ApiError> {
        if !self.agents.contains_key(&shutdown.agent_id) {
            return Err(ApiError::bad_request(format!("Agent {} is not registered", shutdown.agent_id.value)));
        }
        let event = AgentEvent {
            r#type: Some(agent_event::Type::ShutdownExecutor as i32),
            shutdown_executor: Some(agent_event::ShutdownExecutor {
                framework_id: framework_id.clone(),
                executor_id: shutdown.executor_id,
            }),
            ..Default::default()
        };
        self.send_to_agent(&shutdown.agent_id, event);
        Ok(())
    }

    /// ACKNOWLEDGE: passed on to the agent's status update manager. When it
    /// acknowledges a task's terminal update, the task is complete.
    pub(crate) fn acknowledge(
        &mut self,
        framework_id: &FrameworkId,
        ack: call::Acknowledge,
        now: Duration,
    ) -> Result<(), ApiError> {
        if ack.uuid.len() != 16 {
            self.counters.invalid_status_update_acknowledgements += 1;
            return Err(ApiError::bad_request("'uuid' must be a 16-byte UUID"));
        }
        if !self.agents.get(&ack.agent_id).is_some_and(|a| a.connected()) {
            // The agent resends the update once it is back; the framework
            // acknowledges it again then.
            self.counters.invalid_status_update_acknowledgements += 1;
            return Ok(());
        }
        self.counters.valid_status_update_acknowledgements += 1;
        let finished = self.frameworks.get(framework_id).and_then(|f| f.tasks.get(&ack.task_id)).is_some_and(|task| {
            task.record.status_update_uuid.as_deref() == Some(ack.uuid.as_slice())
                && task
                    .record
                    .status_update_state
                    .and_then(|s| TaskState::try_from(s).ok())
                    .is_some_and(TaskState::is_terminal)
        });
        if finished {
            self.complete_task(framework_id, &ack.task_id, now);
        }
        let event = AgentEvent {
            r#type: Some(agent_event::Type::Acknowledge as i32),
            acknowledge: Some(agent_event::Acknowledge {
                framework_id: framework_id.clone(),
                task_id: ack.task_id,
                uuid: ack.uuid,
            }),
            ..Default::default()
        };
        self.send_to_agent(&ack.agent_id, event);
        Ok(())
    }

    pub(crate) fn framework_message(
        &mut self,
        framework_id: &FrameworkId,
        message: call::Message,
    ) -> Result<(), ApiError> {
        if !self.agents.get(&message.agent_id).is_some_and(|a| a.connected()) {
            self.counters.invalid_framework_to_executor_messages += 1;
            return Err(ApiError::bad_request(format!("Agent {} is not connected", message.agent_id.value)));
        }
        self.counters.valid_framework_to_executor_messages += 1;
        let event = AgentEvent {
            r#type: Some(agent_event::Type::FrameworkToExecutor as i32),
            framework_to_executor: Some(agent_event::FrameworkToExecutor {
                framework_id: framework_id.clone(),
                executor_id: message.executor_id,
                data: message.data,
            }),
            ..Default::default()
        };
        self.send_to_agent(&message.agent_id, event);
        Ok(())
    }

    pub(crate) fn revive(&mut self, framework_id: &FrameworkId, revive: call::Revive) -> Result<(), ApiError> {
        let framework = self.frameworks.get_mut(framework_id).expect("subscription checked");
        check_roles(&framework.roles, &revive.roles)?;
        if revive.roles.is_empty() {
            framework.suppressed_roles.clear();
        } else {
            framework.suppressed_roles.retain(|r| !revive.roles.contains(r));
        }
        self.allocator.revive_offers(framework_id, &revive.roles);
        self.allocation_wanted = true;
        Ok(())
    }

    pub(crate) fn suppress(&mut self, framework_id: &FrameworkId, suppress: call::Suppress) -> Result<(), ApiError> {
        let framework = self.frameworks.get_mut(framework_id).expect("subscription checked");
        check_roles(&framework.roles, &suppress.roles)?;
        let roles = if suppress.roles.is_empty() { framework.roles.clone() } else { suppress.roles.clone() };
        for role in roles {
            if !framework.suppressed_roles.contains(&role) {
                framework.suppressed_roles.push(role);
            }
        }
        self.allocator.suppress_offers(framework_id, &suppress.roles);
        Ok(())
    }

    /// UPDATE_FRAMEWORK: new roles, name, failover timeout, capabilities or
    /// suppressed roles, without re-subscribing.
    pub(crate) fn update_framework(
        &mut self,
        framework_id: &FrameworkId,
        update: call::UpdateFramework,
        now: Duration,
    ) -> Result<(), ApiError> {
        let info = update.framework_info;
        if info.id.as_ref() != Some(framework_id) {
            return Err(ApiError::bad_request("'framework_info.id' must match 'framework_id'"));
        }
        self.validate_framework_info(&info, &update.suppressed_roles).map_err(ApiError::bad_request)?;
        self.check_immutable_fields(framework_id, &info).map_err(ApiError::bad_request)?;
        let framework = self.frameworks.get_mut(framework_id).expect("subscription checked");
        framework.set_info(info);
        framework.suppressed_roles = update.suppressed_roles;
        let roles = framework.roles.clone();
        let spec = framework.allocator_spec();
        // Offers for roles the framework left are withdrawn.
        let stale: Vec<_> = self
            .offers
            .values()
            .filter(|o| o.framework == *framework_id && !roles.contains(&o.role))
            .map(|o| o.id.clone())
            .collect();
        for offer in stale {
            self.rescind_offer(&offer, now);
        }
        self.allocator.update_framework(framework_id, spec);
        self.allocation_wanted = true;
        self.notify_framework_updated(framework_id);
        self.send_framework_update(framework_id);
        Ok(())
    }

    /// Tells every connected agent a framework's current info
    /// (UPDATE_FRAMEWORK), as Mesos's master does whenever a framework's
    /// info may have changed: executors see the new info, and a restarted
    /// agent recovers it.
    pub(crate) fn send_framework_update(&mut self, framework_id: &FrameworkId) {
        let Some(info) = self.frameworks.get(framework_id).map(|f| f.info.clone()) else { return };
        let agents: Vec<mesos_proto::v1::AgentId> =
            self.agents.values().filter(|a| a.connected()).map(|a| a.id.clone()).collect();
        for agent in agents {
            self.send_to_agent(&agent, update_framework_event(info.clone()));
        }
    }
}

/// UPDATE_FRAMEWORK for an agent.
pub(crate) fn update_framework_event(framework_info: mesos_proto::v1::FrameworkInfo) -> AgentEvent {
    AgentEvent {
        r#type: Some(agent_event::Type::UpdateFramework as i32),
        update_framework: Some(agent_event::UpdateFramework { framework_info }),
        ..Default::default()
    }
}

fn check_roles(subscribed: &[String], requested: &[String]) -> Result<(), ApiError> {
    match requested.iter().find(|r| !subscribed.contains(r)) {
        Some(role) => Err(ApiError::bad_request(format!("Role '{role}' is not one of the framework's roles"))),
        None => Ok(()),
    }
}

impl Master {
    /// An operator asks for a task to be killed: its agent is told to kill
    /// it as its framework's KILL would, and the framework learns the
    /// outcome from the task's updates.
    pub(crate) fn kill_task_for_operator(
        &mut self,
        framework_id: &FrameworkId,
        task_id: &mesos_proto::v1::TaskId,
        _now: Duration,
    ) -> Result<(), ApiError> {
        let framework = self
            .frameworks
            .get(framework_id)
            .ok_or_else(|| ApiError::not_found(format!("Framework {} is not active", framework_id.value)))?;
        let task = framework.tasks.get(task_id).ok_or_else(|| {
            ApiError::not_found(format!("Task {} of framework {} is not active", task_id.value, framework_id.value))
        })?;
        if task.is_terminal() {
            return Err(ApiError::conflict(format!("Task {} has already ended", task_id.value)));
        }
        let agent_id = task.record.agent_id.clone();
        if !self.agents.get(&agent_id).is_some_and(|a| a.connected()) {
            return Err(ApiError::service_unavailable(format!("Agent {} is not connected", agent_id.value)));
        }
        let event = AgentEvent {
            r#type: Some(agent_event::Type::KillTask as i32),
            kill_task: Some(agent_event::KillTask {
                framework_id: framework_id.clone(),
                task_id: task_id.clone(),
                kill_policy: task.record.kill_policy,
            }),
            ..Default::default()
        };
        self.send_to_agent(&agent_id, event);
        Ok(())
    }
}
