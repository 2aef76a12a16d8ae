//! Losing agents: disconnection, pings that go unanswered, marking agents
//! unreachable (rate-limited by `--agent_removal_rate_limit`), agents the
//! operator marks gone, and what their tasks become.
//!
//! - A disconnected agent keeps its tasks while it has a chance to come
//!   back, except those of frameworks that do not checkpoint: their
//!   executors died with the agent, so they are lost at once.
//! - An agent that misses `--max_agent_ping_timeouts` pings, or stays
//!   disconnected as long, is marked unreachable: partition-aware frameworks
//!   see its tasks as TASK_UNREACHABLE, the others as TASK_LOST. It may come
//!   back; its tasks are then re-added (see `agents.rs`).
//! - An agent marked gone by the operator never comes back: its tasks are
//!   TASK_GONE_BY_OPERATOR (TASK_LOST for frameworks that are not
//!   partition-aware) and it is told to shut down if it tries.

use std::collections::VecDeque;
use std::time::Duration;

use mesos_proto::collections::Set;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::scheduler::{Event, event};
use mesos_proto::v1::{self, AgentId, FrameworkId, TaskState, task_status::Reason};

use crate::error::ApiError;
use crate::master::registrar::Continuation;
use crate::master::{Action, Master};
use crate::task::master_status;
use mesos_registry::Operation;

impl Master {
    /// The agent's stream closed: its offers are withdrawn and it gets no new
    /// ones; tasks of frameworks that do not checkpoint are lost.
    pub(crate) fn agent_disconnected(&mut self, now: Duration, stream: crate::StreamId) {
        let Some(agent_id) = self.agent_streams.remove(&stream) else { return };
        if self.forget_pending_stream(stream) {
            return;
        }
        let Some(agent) = self.agents.get(&agent_id) else { return };
        if agent.connection.as_ref().map(|c| c.stream) != Some(stream) {
            return;
        }
        self.agent_lost_connection(&agent_id, now);
    }

    /// The stream of an agent whose admission is being stored closed; the
    /// agent will join disconnected.
    fn forget_pending_stream(&mut self, stream: crate::StreamId) -> bool {
        self.pending_registry.values_mut().any(|pending| {
            let connection = match &mut pending.then {
                Continuation::Register(registration) => &mut registration.connection,
                Continuation::Reregister(reregistration) => &mut reregistration.connection,
                _ => return false,
            };
            if connection.as_ref().is_some_and(|c| c.stream == stream) {
                *connection = None;
                return true;
            }
            false
        })
    }

    /// An agent is known but has no stream: its offers are withdrawn and it
    /// gets no new ones until it is back; tasks of frameworks that do not
    /// checkpoint are lost.
    pub(crate) fn agent_lost_connection(&mut self, agent_id: &AgentId, now: Duration) {
        let Some(agent) = self.agents.get_mut(agent_id) else { return };
        agent.connection = None;
        agent.disconnected_deadline = Some(now + self.config.agent_ping_timeout * self.config.max_agent_ping_timeouts);
        let hostname = agent.info.hostname.clone();
        self.allocator.deactivate_agent(agent_id);
        self.rescind_agent_offers(agent_id, now);
        self.lose_non_checkpointing_tasks(agent_id, &hostname, now);
    }

    fn lose_non_checkpointing_tasks(&mut self, agent_id: &AgentId, hostname: &str, now: Duration) {
        let Some(agent) = self.agents.get(agent_id) else { return };
        let doomed: Vec<(FrameworkId, v1::TaskId)> = agent
            .tasks
            .iter()
            .filter(|(framework, _)| self.frameworks.get(framework).is_some_and(|f| !f.info.checkpoint()))
            .cloned()
            .collect();
        let frameworks: Vec<FrameworkId> = agent
            .executors
            .keys()
            .filter(|framework| self.frameworks.get(*framework).is_some_and(|f| !f.info.checkpoint()))
            .cloned()
            .collect();
        for (framework_id, task_id) in doomed {
            if self.frameworks.get(&framework_id).and_then(|f| f.tasks.get(&task_id)).is_none_or(|t| t.is_terminal()) {
                continue;
            }
            let message = format!("Agent {hostname} disconnected");
            let status =
                master_status(&task_id, Some(agent_id), TaskState::TaskLost, Reason::AgentDisconnected, message, now);
            self.terminate_task(&framework_id, status, now, true);
        }
        if let Some(agent) = self.agents.get_mut(agent_id) {
            for framework in frameworks {
                agent.executors.remove(&framework);
                if let Some(used) = agent.used.remove(&framework) {
                    self.allocator.recover_resources(&framework, agent_id, &used, None, now);
                }
            }
        }
    }

    /// Pings connected agents and marks unreachable the ones that stopped
    /// answering or stayed disconnected too long.
    pub(crate) fn check_agents(&mut self, now: Duration) {
        let mut silent = Vec::new();
        let mut pings = Vec::new();
        let max = self.config.max_agent_ping_timeouts;
        for agent in self.agents.values_mut() {
            if self.pending_unreachable.contains(&agent.id) || self.marking_unreachable.contains(&agent.id) {
                continue;
            }
            if agent.connected() {
                if agent.next_ping <= now {
                    if agent.missed_pings >= max {
                        silent.push(agent.id.clone());
                        continue;
                    }
                    agent.missed_pings += 1;
                    agent.next_ping = now + self.config.agent_ping_timeout;
                    pings.push(agent.id.clone());
                }
            } else if agent.disconnected_deadline.is_some_and(|d| d <= now) {
                silent.push(agent.id.clone());
            }
        }
        for agent in pings {
            let event = AgentEvent {
                r#type: Some(agent_event::Type::Ping as i32),
                ping: Some(agent_event::Ping { sequence: None }),
                ..Default::default()
            };
            self.send_to_agent(&agent, event);
        }
        self.pending_unreachable.extend(silent);
        self.process_pending_removals(now);
    }

    /// Marks queued agents unreachable as fast as the removal rate limit
    /// allows. An agent that answered meanwhile is spared.
    fn process_pending_removals(&mut self, now: Duration) {
        while let Some(agent_id) = self.pending_unreachable.front().cloned() {
            let answered = self.agents.get(&agent_id).is_none_or(|a| a.connected() && a.missed_pings == 0);
            if answered {
                self.pending_unreachable.pop_front();
                continue;
            }
            if let Some((permits, window)) = self.config.agent_removal_rate_limit {
                while self.recent_removals.front().is_some_and(|t| *t + window <= now) {
                    self.recent_removals.pop_front();
                }
                if self.recent_removals.len() >= permits as usize {
                    return;
                }
            }
            self.pending_unreachable.pop_front();
            self.recent_removals.push_back(now);
            self.mark_unreachable(&agent_id, now);
        }
    }

    /// When the next queued removal may happen, if any is waiting.
    pub(crate) fn next_removal_permit(&self) -> Option<Duration> {
        let (permits, window) = self.config.agent_removal_rate_limit?;
        if self.pending_unreachable.is_empty() || self.recent_removals.len() < permits as usize {
            return None;
        }
        self.recent_removals.front().map(|t| *t + window)
    }

    /// The agent is unreachable: once the registry has it so, partition-aware
    /// frameworks see its tasks as TASK_UNREACHABLE, the others as
    /// TASK_LOST; it may come back.
    pub(crate) fn mark_unreachable(&mut self, agent_id: &AgentId, now: Duration) {
        if !self.marking_unreachable.insert(agent_id.clone()) {
            return;
        }
        let operation = Operation::MarkAgentUnreachable { id: agent_id.clone(), time: now };
        self.store(operation, Continuation::Unreachable(agent_id.clone()));
    }

    /// The registry has the agent unreachable.
    pub(crate) fn unreachable_marked(&mut self, agent_id: &AgentId, now: Duration) {
        if self.agents.contains_key(agent_id) {
            self.counters.agents_unreachable_completed += 1;
            self.remove_agent(agent_id, now, Reason::AgentRemoved, "Agent is unreachable");
        }
    }

    /// The operator's MARK_AGENT_GONE: the agent will never come back.
    /// Returns the registry ticket to wait for (`None`: already gone).
    pub(crate) fn mark_agent_gone(&mut self, agent_id: &AgentId, now: Duration) -> Result<Option<u64>, ApiError> {
        if self.registry.is_gone(agent_id) {
            return Ok(None);
        }
        let known = self.registry.is_admitted(agent_id) || self.registry.is_unreachable(agent_id);
        if !known {
            return Err(ApiError::not_found(format!("Agent {} is not known", agent_id.value)));
        }
        let operation = Operation::MarkAgentGone { id: agent_id.clone(), time: now };
        Ok(Some(self.store(operation, Continuation::Gone(agent_id.clone()))))
    }

    /// The registry has the agent gone: it is told to shut down and its
    /// tasks are gone.
    pub(crate) fn gone_marked(&mut self, agent_id: &AgentId, now: Duration) {
        self.recovered_agents.remove(agent_id);
        let shutdown = AgentEvent {
            r#type: Some(agent_event::Type::Shutdown as i32),
            shutdown: Some(agent_event::Shutdown {
                message: Some("Agent has been marked gone by the operator".into()),
            }),
            ..Default::default()
        };
        self.send_to_agent(agent_id, shutdown);
        self.remove_agent(agent_id, now, Reason::AgentRemovedByOperator, "Agent has been marked gone");
        // Tasks already reported unreachable are gone now.
        let frameworks: Vec<FrameworkId> = self.frameworks.keys().cloned().collect();
        for framework_id in frameworks {
            let Some(framework) = self.frameworks.get_mut(&framework_id) else { continue };
            let partition_aware = framework.capabilities.partition_aware;
            let (gone, kept): (Vec<_>, Vec<_>) =
                framework.unreachable_tasks.drain(..).partition(|t| t.record.agent_id == *agent_id);
            framework.unreachable_tasks = kept.into();
            let mut updates = Vec::new();
            for mut task in gone {
                let state = if partition_aware { TaskState::TaskGoneByOperator } else { TaskState::TaskLost };
                let status = master_status(
                    &task.record.task_id,
                    Some(agent_id),
                    state,
                    Reason::AgentRemovedByOperator,
                    "Agent has been marked gone",
                    now,
                );
                task.apply_status(&status, state);
                framework.complete_task(task, self.config.max_completed_tasks_per_framework);
                updates.push(status);
            }
            for status in updates {
                self.counters.count_terminal(&status);
                let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
                self.notify_task_updated(&framework_id, &status, state);
                self.send_update_event(&framework_id, status);
            }
        }
    }

    /// Takes an agent out of the cluster: its offers are withdrawn, its tasks
    /// reported as the reason says (those that ended, in the state they
    /// ended in, since the agent will not deliver their updates now), and
    /// frameworks are told with a FAILURE event.
    pub(crate) fn remove_agent(&mut self, agent_id: &AgentId, now: Duration, reason: Reason, message: &str) {
        self.rescind_agent_offers(agent_id, now);
        let Some(agent) = self.agents.remove(agent_id) else { return };
        if let Some(connection) = &agent.connection {
            self.agent_streams.remove(&connection.stream);
            self.actions.push(Action::CloseAgent { stream: connection.stream });
        }
        self.allocator.remove_agent(agent_id);
        self.counters.agent_removals += 1;
        self.notify_agent_removed(agent_id);
        self.inverse_offers.retain(|_, o| o.agent != *agent_id);
        let unreachable = self.registry.is_unreachable(agent_id);
        let gone = self.registry.is_gone(agent_id);
        let mut frameworks: Vec<FrameworkId> = Vec::new();
        for (framework_id, task_id) in &agent.tasks {
            let Some(framework) = self.frameworks.get_mut(framework_id) else { continue };
            let Some(mut task) = framework.tasks.remove(task_id) else { continue };
            if !frameworks.contains(framework_id) {
                frameworks.push(framework_id.clone());
            }
            let state = match (framework.capabilities.partition_aware, unreachable, gone) {
                (false, _, _) => TaskState::TaskLost,
                (true, _, true) => TaskState::TaskGoneByOperator,
                (true, true, _) => TaskState::TaskUnreachable,
                (true, false, false) => TaskState::TaskGone,
            };
            if task.is_terminal() {
                // The master knows it ended, but if it never forwarded that
                // end (it has it only as the agent's latest state), the end
                // is still waiting in the agent, which will not deliver it
                // now: the framework is told what becomes of the task, as
                // for a live one (the task keeps its terminal state).
                let told_end = task
                    .record
                    .status_update_state
                    .and_then(|s| TaskState::try_from(s).ok())
                    .is_some_and(TaskState::is_terminal);
                if !told_end {
                    let mut status = master_status(task_id, Some(agent_id), state, reason, message, now);
                    status.executor_id = task.record.executor_id.clone();
                    if state == TaskState::TaskUnreachable {
                        status.unreachable_time = Some(v1::TimeInfo { nanoseconds: now.as_nanos() as i64 });
                    }
                    task.apply_status(&status, state);
                    self.send_update_event(framework_id, status);
                }
                if let Some(framework) = self.frameworks.get_mut(framework_id) {
                    framework.complete_task(task, self.config.max_completed_tasks_per_framework);
                }
                continue;
            }
            let mut status = master_status(task_id, Some(agent_id), state, reason, message, now);
            if state == TaskState::TaskUnreachable {
                status.unreachable_time = Some(v1::TimeInfo { nanoseconds: now.as_nanos() as i64 });
            }
            task.apply_status(&status, state);
            self.counters.count_terminal(&status);
            if state == TaskState::TaskUnreachable {
                framework.unreachable_tasks.push_back(task);
                while framework.unreachable_tasks.len() > self.config.max_unreachable_tasks_per_framework {
                    framework.unreachable_tasks.pop_front();
                }
            } else {
                framework.complete_task(task, self.config.max_completed_tasks_per_framework);
            }
            self.notify_task_updated(framework_id, &status, state);
            self.send_update_event(framework_id, status);
        }
        for framework_id in agent.executors.keys() {
            if !frameworks.contains(framework_id) {
                frameworks.push(framework_id.clone());
            }
        }
        for framework_id in frameworks {
            let event = Event {
                r#type: Some(event::Type::Failure as i32),
                failure: Some(event::Failure { agent_id: Some(agent_id.clone()), executor_id: None, status: None }),
                ..Default::default()
            };
            self.send_to_framework(&framework_id, event);
        }
        self.allocation_wanted = true;
    }
}

/// How many removed agents a master remembers, as Mesos's does.
const MAX_REMOVED_AGENTS: usize = 100_000;

/// Agents this master took out of the registry (their machine went down,
/// or a new registration from their address replaced them). Like Mesos's
/// master, it refuses them if they try to re-register with their old id
/// (they missed the SHUTDOWN), since their frameworks were told their
/// tasks are gone. Only the latest ones are remembered, and not across a
/// failover.
#[derive(Debug, Default)]
pub(crate) struct RemovedAgents {
    ids: Set<AgentId>,
    order: VecDeque<AgentId>,
}

impl RemovedAgents {
    pub(crate) fn contains(&self, id: &AgentId) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: AgentId) {
        if self.ids.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > MAX_REMOVED_AGENTS {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
    }
}

impl Master {
    /// A removed agent leaves the registry (if it is there) and is not
    /// taken back.
    pub(crate) fn forget_removed_agent(&mut self, agent: &AgentId) {
        if self.registry.is_admitted(agent) {
            self.store(Operation::RemoveAgent(agent.clone()), Continuation::Record);
        }
        self.removed_agents.insert(agent.clone());
    }
}
