//! DRAIN_AGENT, DEACTIVATE_AGENT and REACTIVATE_AGENT. A deactivated agent
//! gets no new offers; a draining one also has its tasks killed (each with
//! at most `max_grace_period`) and is DRAINED once none is left, then
//! marked gone if asked. Both states are kept in the registry and apply
//! again when the agent re-registers.

use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::{AgentId, DrainConfig, DrainInfo, DrainState, DurationInfo, KillPolicy};
use mesos_registry::Operation;

use crate::error::ApiError;
use crate::master::Master;
use crate::master::registrar::Continuation;

impl Master {
    fn registered(&self, agent: &AgentId) -> Result<(), ApiError> {
        if self.agents.contains_key(agent) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("Agent {} is not registered", agent.value)))
        }
    }

    fn store_drain(&mut self, agent: &AgentId, drain: Option<DrainInfo>, deactivated: bool) -> u64 {
        self.store(Operation::UpdateAgentDrain { id: agent.clone(), drain, deactivated }, Continuation::Record)
    }

    /// DRAIN_AGENT.
    pub(crate) fn drain_agent(
        &mut self,
        agent: &AgentId,
        max_grace_period: Option<Duration>,
        mark_gone: bool,
    ) -> Result<Option<u64>, ApiError> {
        self.registered(agent)?;
        if self.agents.get(agent).and_then(|a| a.drain_info).is_some() {
            return Err(ApiError::conflict(format!("Agent {} is already draining", agent.value)));
        }
        let config = DrainConfig {
            max_grace_period: max_grace_period
                .map(|d| DurationInfo { nanoseconds: i64::try_from(d.as_nanos()).unwrap_or(i64::MAX) }),
            mark_gone: Some(mark_gone),
        };
        let drain = DrainInfo { state: DrainState::Draining as i32, config };
        Ok(Some(self.store_drain(agent, Some(drain), true)))
    }

    /// DEACTIVATE_AGENT.
    pub(crate) fn deactivate_agent(&mut self, agent: &AgentId) -> Result<Option<u64>, ApiError> {
        self.registered(agent)?;
        let drain = self.agents.get(agent).and_then(|a| a.drain_info);
        Ok(Some(self.store_drain(agent, drain, true)))
    }

    /// REACTIVATE_AGENT: it gets offers again, and is no longer draining.
    pub(crate) fn reactivate_agent(&mut self, agent: &AgentId) -> Result<Option<u64>, ApiError> {
        self.registered(agent)?;
        if self.agents.get(agent).is_some_and(|a| a.active && a.drain_info.is_none()) {
            return Err(ApiError::bad_request(format!("Agent {} is not deactivated", agent.value)));
        }
        Ok(Some(self.store_drain(agent, None, false)))
    }

    /// An agent's drain state is stored: it takes effect.
    pub(crate) fn drain_recorded(&mut self, id: &AgentId, drain: Option<DrainInfo>, deactivated: bool, now: Duration) {
        let Some(agent) = self.agents.get_mut(id) else { return };
        let was_draining = agent.drain_info.is_some_and(|d| d.state == DrainState::Draining as i32);
        agent.drain_info = drain;
        agent.active = !deactivated;
        if deactivated {
            self.allocator.deactivate_agent(id);
            self.rescind_agent_offers(id, now);
        } else if self.agents.get(id).is_some_and(|a| a.connected()) {
            self.allocator.activate_agent(id);
            self.allocation_wanted = true;
        }
        match drain.and_then(|d| DrainState::try_from(d.state).ok()) {
            Some(DrainState::Draining) if !was_draining => self.kill_draining_tasks(id, now),
            Some(DrainState::Drained) if drain.is_some_and(|d| d.config.mark_gone()) => {
                let _ = self.mark_agent_gone(id, now);
            }
            _ => {}
        }
    }

    /// Kills every task of a draining agent, with at most its grace period,
    /// and checks whether the agent is drained already.
    pub(crate) fn kill_draining_tasks(&mut self, id: &AgentId, _now: Duration) {
        let Some(agent) = self.agents.get(id) else { return };
        let Some(drain) = agent.drain_info.filter(|d| d.state == DrainState::Draining as i32) else { return };
        let tasks: Vec<_> = agent.tasks.iter().cloned().collect();
        let limit = drain.config.max_grace_period;
        for (framework_id, task_id) in tasks {
            let Some(task) = self.frameworks.get(&framework_id).and_then(|f| f.tasks.get(&task_id)) else { continue };
            if task.is_terminal() {
                continue;
            }
            let own = task.record.kill_policy.and_then(|p| p.grace_period);
            let grace = match (own, limit) {
                (Some(own), Some(limit)) => Some(if own.nanoseconds < limit.nanoseconds { own } else { limit }),
                (own, limit) => limit.or(own),
            };
            let event = AgentEvent {
                r#type: Some(agent_event::Type::KillTask as i32),
                kill_task: Some(agent_event::KillTask {
                    framework_id,
                    task_id,
                    kill_policy: grace.map(|g| KillPolicy { grace_period: Some(g) }),
                }),
                ..Default::default()
            };
            self.send_to_agent(id, event);
        }
        self.check_drained(id);
    }

    /// A draining agent with no task left that has not ended is drained.
    pub(crate) fn check_drained(&mut self, id: &AgentId) {
        let Some(agent) = self.agents.get(id) else { return };
        let Some(drain) = agent.drain_info.filter(|d| d.state == DrainState::Draining as i32) else { return };
        let busy = agent.tasks.iter().any(|(framework, task)| {
            self.frameworks.get(framework).and_then(|f| f.tasks.get(task)).is_some_and(|t| !t.is_terminal())
        });
        if busy {
            return;
        }
        let drained = DrainInfo { state: DrainState::Drained as i32, config: drain.config };
        if let Some(agent) = self.agents.get_mut(id) {
            // Not asked again while it is being stored.
            agent.drain_info = Some(drained);
        }
        self.store_drain(id, Some(drained), true);
    }
}
