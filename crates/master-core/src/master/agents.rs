//! The master's side of the agent protocol: registration and
//! re-registration, the calls agents make (status updates, executor exits,
//! messages, pongs), pings, disconnection and loss.

use std::time::Duration;

use mesos_allocator::AgentSpec;
use mesos_proto::internal::{AgentEvent, agent_call, agent_event};
use mesos_proto::v1::scheduler::{Event, event};
use mesos_proto::v1::{self, AgentId, FrameworkId, TaskState, task_status::Reason};
use mesos_resources::Resources;

use crate::StreamId;
use crate::agent::{Agent, AgentConnection};
use crate::error::ApiError;
use crate::input::AgentMessage;
use crate::master::registrar::{Continuation, Registration, Reregistration};
use crate::master::{Action, Master};
use mesos_registry::Operation;

impl Master {
    /// An agent opened its stream with REGISTER. Returns the agent's id;
    /// REGISTERED follows on the stream once the admission is stored.
    pub(crate) fn agent_register(
        &mut self,
        now: Duration,
        stream: StreamId,
        stream_id: String,
        register: agent_call::Register,
    ) -> Result<AgentId, ApiError> {
        self.refuse_machine_down(&register.agent_info, register.address.as_ref())?;
        self.register_agent(now, AgentConnection { stream, stream_id }, register)
    }

    /// An agent opened its stream with REREGISTER. Returns the agent's id;
    /// REREGISTERED is queued on the stream.
    pub(crate) fn agent_reregister(
        &mut self,
        now: Duration,
        stream: StreamId,
        stream_id: String,
        reregister: agent_call::Reregister,
    ) -> Result<AgentId, ApiError> {
        self.refuse_machine_down(&reregister.agent_info, reregister.address.as_ref())?;
        self.reregister_agent(now, AgentConnection { stream, stream_id }, reregister)
    }

    /// Agents on a machine that is down for maintenance may not register.
    fn refuse_machine_down(&self, info: &v1::AgentInfo, address: Option<&v1::Address>) -> Result<(), ApiError> {
        if self.machine_down(&info.hostname, address.and_then(|a| a.ip.as_deref())) {
            return Err(ApiError::forbidden("The agent's machine is down for maintenance"));
        }
        Ok(())
    }

    /// A call on an established agent stream.
    pub(crate) fn agent_call(
        &mut self,
        now: Duration,
        agent_id: AgentId,
        stream_id: Option<&str>,
        call: AgentMessage,
    ) -> Result<(), ApiError> {
        let agent = self.agents.get(&agent_id).ok_or_else(|| ApiError::forbidden("Agent is not registered"))?;
        let current = agent.connection.as_ref().map(|c| c.stream_id.as_str());
        if current.is_none() || current != stream_id {
            return Err(ApiError::forbidden("Agent is not subscribed on this stream"));
        }
        match call {
            AgentMessage::StatusUpdate(update) => self.agent_status_update(now, &agent_id, *update),
            AgentMessage::Pong => {
                if let Some(agent) = self.agents.get_mut(&agent_id) {
                    agent.missed_pings = 0;
                }
            }
            AgentMessage::ExecutorToFramework(message) => self.executor_message(&agent_id, message),
            AgentMessage::ExitedExecutor(exited) => self.executor_exited(now, &agent_id, exited),
            AgentMessage::Unregister => self.remove_agent(&agent_id, now, Reason::AgentRemoved, "Agent unregistered"),
        }
        Ok(())
    }

    fn register_agent(
        &mut self,
        now: Duration,
        connection: AgentConnection,
        register: agent_call::Register,
    ) -> Result<AgentId, ApiError> {
        let total = validate_agent_info(&register.agent_info)?;
        let address = register.address.clone().unwrap_or_else(|| default_address(&register.agent_info));
        // The agent retried while its admission is being stored: it keeps
        // its place and gets the answer on its new stream.
        if let Some(id) = self.retry_pending_registration(&address, &connection) {
            return Ok(id);
        }
        // An agent that restarted without its state registers anew; the
        // agent it replaces on the same address is gone.
        let replaced: Vec<AgentId> =
            self.agents.values().filter(|a| a.address == address).map(|a| a.id.clone()).collect();
        for old in replaced {
            self.remove_agent(&old, now, Reason::AgentRestarted, "Agent restarted and registered with a new id");
            self.forget_removed_agent(&old);
        }
        let id = self.ids.next_agent();
        let mut info = register.agent_info;
        info.id = Some(id.clone());
        self.agent_streams.insert(connection.stream, id.clone());
        let registration = Registration {
            info: info.clone(),
            address,
            version: register.version,
            capabilities: register.capabilities,
            total,
            connection: Some(connection),
        };
        self.store(Operation::AdmitAgent(info), Continuation::Register(Box::new(registration)));
        Ok(id)
    }

    /// A REGISTER from an address whose registration is being stored: the
    /// new stream replaces the old one.
    fn retry_pending_registration(&mut self, address: &v1::Address, connection: &AgentConnection) -> Option<AgentId> {
        let (id, old) = self.pending_registry.values_mut().find_map(|pending| match &mut pending.then {
            Continuation::Register(registration) if registration.address == *address => {
                let old = registration.connection.replace(connection.clone());
                Some((registration.info.id.clone()?, old))
            }
            _ => None,
        })?;
        self.close_replaced_stream(old);
        self.agent_streams.insert(connection.stream, id.clone());
        Some(id)
    }

    /// A REREGISTER from an agent whose admission is being stored: the new
    /// stream and report replace the old ones.
    fn retry_pending_reregistration(
        &mut self,
        id: &AgentId,
        connection: &AgentConnection,
        rr: &agent_call::Reregister,
    ) -> bool {
        let old = self.pending_registry.values_mut().find_map(|pending| match &mut pending.then {
            Continuation::Reregister(waiting) if waiting.reregister.agent_info.id.as_ref() == Some(id) => {
                waiting.reregister = rr.clone();
                Some(waiting.connection.replace(connection.clone()))
            }
            _ => None,
        });
        let Some(old) = old else { return false };
        self.close_replaced_stream(old);
        self.agent_streams.insert(connection.stream, id.clone());
        true
    }

    fn close_replaced_stream(&mut self, old: Option<AgentConnection>) {
        if let Some(old) = old {
            self.agent_streams.remove(&old.stream);
            self.actions.push(Action::CloseAgent { stream: old.stream });
        }
    }

    /// The registry admitted a new agent: it joins the cluster.
    pub(crate) fn admit_agent(&mut self, registration: Registration, now: Duration) {
        let Registration { info, address, version, capabilities, total, connection } = registration;
        let Some(id) = info.id.clone() else { return };
        let connected = connection.is_some();
        let agent = self.new_agent(id.clone(), info, address, version, capabilities, total, connection, now);
        self.allocator.add_agent(
            &id,
            AgentSpec { hostname: agent.info.hostname.clone(), total: agent.total.clone() },
            &[],
        );
        self.agents.insert(id.clone(), agent);
        self.counters.agent_registrations += 1;
        self.notify_agent_added(&id);
        self.apply_maintenance_to_agent(&id, now);
        if connected {
            self.send_registered(&id, agent_event::Type::Registered);
        } else {
            self.agent_lost_connection(&id, now);
        }
        self.allocation_wanted = true;
    }

    fn reregister_agent(
        &mut self,
        now: Duration,
        connection: AgentConnection,
        rr: agent_call::Reregister,
    ) -> Result<AgentId, ApiError> {
        reregistered_total(&rr)?;
        let id = rr
            .agent_info
            .id
            .clone()
            .ok_or_else(|| ApiError::bad_request("Re-registering agents must carry their id"))?;
        if self.registry.is_gone(&id) {
            // A gone agent never comes back: it is told to shut down.
            self.refuse_agent_stream(&connection, "Agent has been marked gone");
            return Ok(id);
        }
        if self.removed_agents.contains(&id) {
            // Its frameworks were told its tasks are gone: it may not bring
            // them back (it missed the SHUTDOWN).
            self.refuse_agent_stream(&connection, "Agent attempted to re-register after removal");
            return Ok(id);
        }
        if self.agent_in_transition(&id) {
            // It is being marked unreachable; it will try again.
            self.actions.push(Action::CloseAgent { stream: connection.stream });
            return Ok(id);
        }
        if self.retry_pending_reregistration(&id, &connection, &rr) {
            return Ok(id);
        }
        let admitted = self.registry.is_admitted(&id);
        let was_unreachable = self.registry.is_unreachable(&id);
        let operation = if admitted {
            let stored = self.registry.agents.get(&id.value).map(|a| &a.info);
            (stored != Some(&rr.agent_info)).then(|| Operation::UpdateAgent(rr.agent_info.clone()))
        } else if was_unreachable || !self.config.registry_strict {
            Some(Operation::MarkAgentReachable(rr.agent_info.clone()))
        } else {
            self.refuse_agent_stream(&connection, "Agent is not in the registry and --registry_strict is set");
            return Ok(id);
        };
        self.agent_streams.insert(connection.stream, id.clone());
        let reregistration = Reregistration { reregister: rr, connection: Some(connection), was_unreachable };
        match operation {
            Some(operation) => {
                self.store(operation, Continuation::Reregister(Box::new(reregistration)));
            }
            None => self.rejoin_agent(reregistration, now),
        }
        Ok(id)
    }

    /// Tells the agent on a new stream to shut down.
    fn refuse_agent_stream(&mut self, connection: &AgentConnection, message: &str) {
        let shutdown = AgentEvent {
            r#type: Some(agent_event::Type::Shutdown as i32),
            shutdown: Some(agent_event::Shutdown { message: Some(message.to_owned()) }),
            ..Default::default()
        };
        self.actions.push(Action::ToAgent { stream: connection.stream, event: Box::new(shutdown) });
        self.actions.push(Action::CloseAgent { stream: connection.stream });
    }

    /// A re-registering agent (admitted, or admitted again) rejoins: the
    /// master's view of it is rebuilt from what it reports.
    pub(crate) fn rejoin_agent(&mut self, reregistration: Reregistration, now: Duration) {
        let Reregistration { reregister: rr, connection, was_unreachable } = reregistration;
        let Some(id) = rr.agent_info.id.clone() else { return };
        let Ok(total) = reregistered_total(&rr) else { return };
        let address = rr.address.clone().unwrap_or_else(|| default_address(&rr.agent_info));
        self.pending_unreachable.retain(|a| *a != id);
        self.recovered_agents.remove(&id);
        let known = self.agents.contains_key(&id);
        if known {
            self.rescind_agent_offers(&id, now);
            self.allocator.remove_agent(&id);
            if let Some(old) = self.agents.get(&id).and_then(|a| a.connection.clone())
                && connection.as_ref().is_none_or(|c| c.stream != old.stream)
            {
                self.agent_streams.remove(&old.stream);
                self.actions.push(Action::CloseAgent { stream: old.stream });
            }
        }
        let connected = connection.is_some();
        let mut agent = match self.agents.remove(&id) {
            Some(mut agent) => {
                agent.connection = connection;
                agent.total = total;
                agent.info = rr.agent_info.clone();
                agent.address = address;
                agent.reregistered_time = Some(now);
                agent.disconnected_deadline = None;
                agent.missed_pings = 0;
                agent.next_ping = now + self.config.agent_ping_timeout;
                agent
            }
            None => self.new_agent(
                id.clone(),
                rr.agent_info.clone(),
                address,
                rr.version.clone(),
                rr.capabilities.clone(),
                total,
                connection,
                now,
            ),
        };
        agent.version = rr.version.clone().unwrap_or_default();
        agent.capabilities = rr.capabilities.clone();
        self.reconcile_agent_tasks(&mut agent, &rr, now);
        let used: Vec<(FrameworkId, Resources)> = agent.used.iter().map(|(f, r)| (f.clone(), r.clone())).collect();
        let spec = AgentSpec { hostname: agent.info.hostname.clone(), total: agent.total.clone() };
        self.agents.insert(id.clone(), agent);
        self.allocator.add_agent(&id, spec, &used);
        self.counters.agent_reregistrations += 1;
        if !known {
            self.notify_agent_added(&id);
        }
        self.apply_maintenance_to_agent(&id, now);
        if connected {
            self.send_registered(&id, agent_event::Type::Reregistered);
            self.send_newer_framework_infos(&id, &rr);
            self.shut_down_removed_frameworks(&id, &rr);
        }
        if !known {
            self.announce_returned_tasks(&id, &rr, was_unreachable, now);
        }
        if !connected {
            self.agent_lost_connection(&id, now);
        }
        self.allocation_wanted = true;
    }

    /// A re-registering agent that reports an older info of a framework
    /// than the one the framework last gave the master gets the current
    /// one (it missed an UPDATE_FRAMEWORK while away).
    fn send_newer_framework_infos(&mut self, agent: &AgentId, rr: &agent_call::Reregister) {
        for reported in &rr.frameworks {
            let Some(framework) = reported.id.as_ref().and_then(|id| self.frameworks.get(id)) else { continue };
            if !framework.recovered && framework.info != *reported {
                let event = crate::master::scheduler::update_framework_event(framework.info.clone());
                self.send_to_agent(agent, event);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn new_agent(
        &self,
        id: AgentId,
        mut info: v1::AgentInfo,
        address: v1::Address,
        version: Option<String>,
        capabilities: Vec<v1::agent_info::Capability>,
        total: Resources,
        connection: Option<AgentConnection>,
        now: Duration,
    ) -> Agent {
        info.id = Some(id.clone());
        Agent {
            id,
            info,
            address,
            version: version.unwrap_or_default(),
            capabilities,
            total,
            used: self.hasher().map(),
            offered: Resources::new(),
            connection,
            active: true,
            drain_info: None,
            registered_time: now,
            reregistered_time: None,
            tasks: self.hasher().set(),
            executors: self.hasher().map(),
            missed_pings: 0,
            next_ping: now + self.config.agent_ping_timeout,
            disconnected_deadline: None,
        }
    }

    fn send_registered(&mut self, id: &AgentId, kind: agent_event::Type) {
        let event = AgentEvent {
            r#type: Some(kind as i32),
            registered: Some(agent_event::Registered {
                agent_id: id.clone(),
                master_info: self.config.info.clone(),
                ping_timeout_seconds: Some(
                    (self.config.agent_ping_timeout * self.config.max_agent_ping_timeouts).as_secs_f64(),
                ),
            }),
            ..Default::default()
        };
        self.send_to_agent(id, event);
    }

    pub(crate) fn rescind_agent_offers(&mut self, agent: &AgentId, now: Duration) {
        let offers: Vec<_> = self.offers.values().filter(|o| o.agent == *agent).map(|o| o.id.clone()).collect();
        for offer in offers {
            self.rescind_offer(&offer, now);
        }
    }

    fn agent_status_update(&mut self, now: Duration, agent_id: &AgentId, update: agent_call::StatusUpdate) {
        let framework_id = update.framework_id;
        let mut status = update.status;
        if status.uuid.as_ref().is_none_or(|u| u.len() != 16) {
            self.counters.invalid_status_updates += 1;
            return;
        }
        status.agent_id = Some(agent_id.clone());
        if !self.frameworks.contains_key(&framework_id) {
            self.counters.invalid_status_updates += 1;
            if self.removed_frameworks.contains(&framework_id) {
                // Nobody will acknowledge it: settle it on the framework's
                // behalf so the agent stops retrying, and make sure the
                // framework's executors are gone.
                let ack = AgentEvent {
                    r#type: Some(agent_event::Type::Acknowledge as i32),
                    acknowledge: Some(agent_event::Acknowledge {
                        framework_id: framework_id.clone(),
                        task_id: status.task_id.clone(),
                        uuid: status.uuid.clone().unwrap_or_default(),
                    }),
                    ..Default::default()
                };
                self.send_to_agent(agent_id, ack);
                let shutdown = AgentEvent {
                    r#type: Some(agent_event::Type::ShutdownFramework as i32),
                    shutdown_framework: Some(agent_event::ShutdownFramework { framework_id }),
                    ..Default::default()
                };
                self.send_to_agent(agent_id, shutdown);
            }
            return;
        }
        self.counters.valid_status_updates += 1;
        let latest = update
            .latest_state
            .and_then(|s| TaskState::try_from(s).ok())
            .or_else(|| TaskState::try_from(status.state).ok())
            .unwrap_or(TaskState::TaskLost);
        self.update_task(&framework_id, &status, latest, now);
        self.send_update_event(&framework_id, status);
    }

    fn executor_message(&mut self, agent_id: &AgentId, message: agent_call::ExecutorToFramework) {
        if !self.frameworks.get(&message.framework_id).is_some_and(|f| f.connected()) {
            self.counters.invalid_executor_to_framework_messages += 1;
            return;
        }
        self.counters.valid_executor_to_framework_messages += 1;
        let event = Event {
            r#type: Some(event::Type::Message as i32),
            message: Some(event::Message {
                agent_id: agent_id.clone(),
                executor_id: message.executor_id,
                data: message.data,
            }),
            ..Default::default()
        };
        self.send_to_framework(&message.framework_id, event);
    }

    fn executor_exited(&mut self, now: Duration, agent_id: &AgentId, exited: agent_call::ExitedExecutor) {
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        let removed = agent.executors.get_mut(&exited.framework_id).and_then(|e| e.remove(&exited.executor_id));
        if let Some(executor) = removed
            && let Ok(resources) = Resources::from_proto(&executor.resources)
        {
            agent.remove_used(&exited.framework_id, &resources);
            self.allocator.recover_resources(&exited.framework_id, agent_id, &resources, None, now);
            self.allocation_wanted = true;
        }
        let event = Event {
            r#type: Some(event::Type::Failure as i32),
            failure: Some(event::Failure {
                agent_id: Some(agent_id.clone()),
                executor_id: Some(exited.executor_id),
                status: exited.status,
            }),
            ..Default::default()
        };
        self.send_to_framework(&exited.framework_id, event);
    }
}

/// A re-registering agent's total: its configured resources with the
/// dynamic reservations and persistent volumes it reports carved out.
fn reregistered_total(rr: &agent_call::Reregister) -> Result<Resources, ApiError> {
    let configured = validate_agent_info(&rr.agent_info)?;
    let checkpointed = Resources::from_proto(&rr.checkpointed_resources)
        .map_err(|error| ApiError::bad_request(format!("Invalid checkpointed resources: {error}")))?;
    configured
        .with_checkpointed(&checkpointed)
        .map_err(|error| ApiError::bad_request(format!("Invalid checkpointed resources: {error}")))
}

/// Checks an agent's info and parses its configured resources.
fn validate_agent_info(info: &v1::AgentInfo) -> Result<Resources, ApiError> {
    if info.hostname.is_empty() {
        return Err(ApiError::bad_request("'AgentInfo.hostname' must not be empty"));
    }
    Resources::from_proto(&info.resources).map_err(|e| ApiError::bad_request(format!("Invalid agent resources: {e}")))
}

fn default_address(info: &v1::AgentInfo) -> v1::Address {
    v1::Address { hostname: Some(info.hostname.clone()), ip: None, port: info.port() }
}
