//! The master's side of the registry. Changes to what must survive a
//! failover (admitting an agent, marking it unreachable or gone, quota,
//! weights, pruning) are asked of the daemon as [`Operation`]s with a
//! ticket ([`Action::Registry`]); the master carries on with the change
//! only once the daemon reports it stored ([`Master::registry_applied`]),
//! as Mesos's master waits for its registrar. Until then the agent or the
//! operator waits.
//!
//! After a restart or a failover, [`Master::recover`] takes the stored
//! registry: agents it lists must re-register within
//! `--agent_reregister_timeout` or are marked unreachable.

use std::time::Duration;

use mesos_allocator::{Allocator, Quota};
use mesos_proto::internal::{AgentEvent, agent_call, agent_event};
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{self, AgentId};
use mesos_registry::{Operation, Registry};
use mesos_resources::{Resources, Scalar};

use crate::agent::AgentConnection;
use crate::error::ApiError;
use crate::master::{Action, Master};

/// An operation waiting to be stored, and what follows it.
#[derive(Debug)]
pub(crate) struct PendingOperation {
    pub(crate) operation: Operation,
    pub(crate) then: Continuation,
}

/// What the master does once an operation is stored.
#[derive(Debug)]
pub(crate) enum Continuation {
    /// Nothing but recording it (and telling the allocator of quota and
    /// weights).
    Record,
    /// A new agent was admitted: it joins the cluster.
    Register(Box<Registration>),
    /// A re-registering agent was admitted again: it rejoins.
    Reregister(Box<Reregistration>),
    /// An agent was marked unreachable: its tasks are reported as such.
    Unreachable(AgentId),
    /// The operator marked an agent gone.
    Gone(AgentId),
}

/// An agent's REGISTER, waiting for its admission.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) info: v1::AgentInfo,
    pub(crate) address: v1::Address,
    pub(crate) version: Option<String>,
    pub(crate) capabilities: Vec<v1::agent_info::Capability>,
    pub(crate) total: Resources,
    /// `None` once the agent's stream closed meanwhile.
    pub(crate) connection: Option<AgentConnection>,
}

/// An agent's REREGISTER, waiting for its admission.
#[derive(Debug)]
pub(crate) struct Reregistration {
    pub(crate) reregister: agent_call::Reregister,
    pub(crate) connection: Option<AgentConnection>,
    /// Whether the registry listed it as unreachable when it came back.
    pub(crate) was_unreachable: bool,
}

impl Master {
    /// Asks the daemon to store `operation`; `then` runs once it is stored.
    pub(crate) fn store(&mut self, operation: Operation, then: Continuation) -> u64 {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        self.actions.push(Action::Registry { ticket, operation: Box::new(operation.clone()) });
        self.pending_registry.insert(ticket, PendingOperation { operation, then });
        ticket
    }

    /// The daemon stored the operation of `ticket` (`Ok`) or the registry
    /// refused it (`Err`, with the reason).
    pub(crate) fn registry_applied(&mut self, ticket: u64, result: Result<(), String>, now: Duration) {
        let Some(PendingOperation { operation, then }) = self.pending_registry.remove(&ticket) else {
            return;
        };
        let result = result.and_then(|()| {
            // The daemon applied the same operation to the same registry.
            self.registry.apply(&operation).map(|_| ()).map_err(|error| error.to_string())
        });
        match (then, result) {
            (Continuation::Record, Ok(())) => self.recorded(&operation, now),
            (Continuation::Record, Err(_)) => {}
            (Continuation::Register(registration), Ok(())) => self.admit_agent(*registration, now),
            (Continuation::Register(registration), Err(reason)) => {
                self.refuse_agent(registration.connection, &format!("Agent registration was refused: {reason}"));
            }
            (Continuation::Reregister(reregistration), Ok(())) => self.rejoin_agent(*reregistration, now),
            (Continuation::Reregister(reregistration), Err(reason)) => {
                self.refuse_agent(reregistration.connection, &format!("Agent re-registration was refused: {reason}"));
            }
            (Continuation::Unreachable(agent), result) => {
                self.marking_unreachable.remove(&agent);
                if result.is_ok() {
                    self.unreachable_marked(&agent, now);
                }
            }
            (Continuation::Gone(agent), Ok(())) => self.gone_marked(&agent, now),
            (Continuation::Gone(_), Err(_)) => {}
        }
    }

    /// Tells an agent whose (re-)registration was refused to shut down.
    fn refuse_agent(&mut self, connection: Option<AgentConnection>, message: &str) {
        let Some(connection) = connection else { return };
        self.agent_streams.remove(&connection.stream);
        let shutdown = AgentEvent {
            r#type: Some(agent_event::Type::Shutdown as i32),
            shutdown: Some(agent_event::Shutdown { message: Some(message.to_owned()) }),
            ..Default::default()
        };
        self.actions.push(Action::ToAgent { stream: connection.stream, event: Box::new(shutdown) });
        self.actions.push(Action::CloseAgent { stream: connection.stream });
    }

    /// A stored quota or weights change reaches the allocator.
    fn recorded(&mut self, operation: &Operation, now: Duration) {
        match operation {
            Operation::UpdateQuota(configs) => {
                for config in configs {
                    // Validated when asked for.
                    let _ = self.allocator.update_quota(&config.role, quota_of(config));
                }
                self.allocation_wanted = true;
            }
            Operation::UpdateWeights(weights) => {
                self.allocator.update_weights(weights);
                self.allocation_wanted = true;
            }
            Operation::UpdateMachines(machines) => self.machines_recorded(machines, now),
            Operation::UpdateAgentDrain { id, drain, deactivated } => {
                self.drain_recorded(id, *drain, *deactivated, now);
            }
            _ => {}
        }
    }

    /// Whether a registry operation about `agent` is waiting to be stored
    /// that the agent must not race (being marked unreachable).
    pub(crate) fn agent_in_transition(&self, agent: &AgentId) -> bool {
        self.marking_unreachable.contains(agent)
    }

    /// Takes the registry stored by a previous leader (or a previous run of
    /// this master): its agents must re-register within
    /// `--agent_reregister_timeout`; its quota and weights apply (weights
    /// stored there take precedence over `--weights`).
    pub fn recover(&mut self, registry: Registry, now: Duration) {
        for config in registry.quota.values() {
            let _ = self.allocator.update_quota(&config.role, quota_of(config));
        }
        if !registry.weights.is_empty() {
            let weights: Vec<(String, f64)> = registry.weights.iter().map(|(r, w)| (r.clone(), *w)).collect();
            self.allocator.update_weights(&weights);
        }
        self.recovered_agents =
            registry.agents.values().filter_map(|agent| Some((agent.info.id.clone()?, agent.info.clone()))).collect();
        self.recovery_deadline =
            (!self.recovered_agents.is_empty()).then(|| now + self.config.agent_reregister_timeout);
        self.registry = registry;
        self.store(Operation::SetMaster(self.config.info.clone()), Continuation::Record);
    }

    /// After a failover, agents that did not re-register in time are marked
    /// unreachable (unless that would be too many of them); old unreachable
    /// and gone agents are pruned from the registry.
    pub(crate) fn registry_timers(&mut self, now: Duration) {
        if self.recovery_deadline.is_some_and(|deadline| deadline <= now) {
            self.recovery_deadline = None;
            let missing: Vec<AgentId> = self.recovered_agents.keys().cloned().collect();
            self.recovered_agents.clear();
            let admitted = self.registry.agents.len().max(1);
            let fraction = missing.len() as f64 / admitted as f64;
            if fraction > self.config.recovery_agent_removal_limit {
                self.actions.push(Action::Abort {
                    message: format!(
                        "{} of the registry's {} agents did not re-register within the agent re-registration \
                         timeout, more than --recovery_agent_removal_limit allows",
                        missing.len(),
                        self.registry.agents.len()
                    ),
                });
                return;
            }
            for agent in missing {
                self.marking_unreachable.insert(agent.clone());
                self.store(
                    Operation::MarkAgentUnreachable { id: agent.clone(), time: now },
                    Continuation::Unreachable(agent),
                );
            }
        }
        if self.next_prune <= now {
            self.next_prune = now + self.config.registry_gc_interval;
            let (max_age, max_count) = (self.config.registry_max_agent_age, self.config.registry_max_agent_count);
            let prunable = |lost: &mesos_proto::internal::RegistryLostAgent| {
                now.saturating_sub(Registry::lost_since(lost)) > max_age
            };
            let needed = self.registry.unreachable.len() > max_count
                || self.registry.gone.len() > max_count
                || self.registry.unreachable.values().chain(self.registry.gone.values()).any(prunable);
            if needed {
                self.store(Operation::Prune { now, max_age, max_count }, Continuation::Record);
            }
        }
    }

    // -----------------------------------------------------------------------
    // Operator calls that change the registry. Each returns the ticket to
    // wait for, or `None` when there is nothing to store.

    /// UPDATE_WEIGHTS.
    pub(crate) fn update_weights(&mut self, weights: Vec<(String, f64)>) -> Result<Option<u64>, ApiError> {
        if weights.is_empty() {
            return Err(ApiError::bad_request("Expecting at least one weight"));
        }
        for (role, weight) in &weights {
            mesos_resources::role::validate(role)
                .map_err(|error| ApiError::bad_request(format!("Invalid role '{role}': {error}")))?;
            if !(weight.is_finite() && *weight > 0.0) {
                return Err(ApiError::bad_request(format!(
                    "Invalid weight {weight} for role '{role}': weights must be positive"
                )));
            }
        }
        Ok(Some(self.store(Operation::UpdateWeights(weights), Continuation::Record)))
    }

    /// UPDATE_QUOTA: every config is checked before any is stored. Unless
    /// `force` is set, the guarantees of all roles together must fit in
    /// the cluster's resources.
    pub(crate) fn update_quota(&mut self, configs: Vec<QuotaConfig>, force: bool) -> Result<Option<u64>, ApiError> {
        if configs.is_empty() {
            return Err(ApiError::bad_request("Expecting at least one quota config"));
        }
        for config in &configs {
            Allocator::validate_quota(&config.role, &quota_of(config))
                .map_err(|error| ApiError::bad_request(error.to_string()))?;
        }
        if !force {
            self.check_quota_capacity(&configs)?;
        }
        Ok(Some(self.store(Operation::UpdateQuota(configs), Continuation::Record)))
    }

    /// REMOVE_QUOTA: the role must have quota.
    pub(crate) fn remove_quota(&mut self, role: &str) -> Result<Option<u64>, ApiError> {
        if !self.registry.quota.contains_key(role) {
            return Err(ApiError::bad_request(format!("Cannot remove non-existent quota for role '{role}'")));
        }
        let empty = QuotaConfig { role: role.to_owned(), ..Default::default() };
        Ok(Some(self.store(Operation::UpdateQuota(vec![empty]), Continuation::Record)))
    }

    /// The guarantees of every role, with `configs` applied, against the
    /// resources of the agents in the cluster.
    fn check_quota_capacity(&self, configs: &[QuotaConfig]) -> Result<(), ApiError> {
        let mut guarantees: std::collections::BTreeMap<String, Scalar> = std::collections::BTreeMap::new();
        let updated: std::collections::BTreeSet<&str> = configs.iter().map(|c| c.role.as_str()).collect();
        let kept = self.registry.quota.values().filter(|c| !updated.contains(c.role.as_str()));
        for config in kept.chain(configs.iter()) {
            for (name, amount) in quota_of(config).guarantees {
                *guarantees.entry(name).or_insert(Scalar::ZERO) += amount;
            }
        }
        for (name, wanted) in guarantees {
            let total: Scalar = self.agents.values().map(|agent| agent.total.scalar(&name)).sum();
            if wanted > total {
                return Err(ApiError::bad_request(format!(
                    "Total quota guarantees of '{name}' ({wanted}) exceed the cluster's {total}; \
                     set 'force' to set them anyway"
                )));
            }
        }
        Ok(())
    }

    /// Quota configs in force, by role.
    pub fn quota_configs(&self) -> impl Iterator<Item = &QuotaConfig> {
        self.registry.quota.values()
    }
}

/// A `QuotaConfig` in the allocator's terms.
pub(crate) fn quota_of(config: &QuotaConfig) -> Quota {
    let quantities = |map: &std::collections::BTreeMap<String, v1::value::Scalar>| {
        map.iter().map(|(name, value)| (name.clone(), Scalar::from_f64(value.value))).collect()
    };
    Quota { guarantees: quantities(&config.guarantees), limits: quantities(&config.limits) }
}
