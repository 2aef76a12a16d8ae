//! Resources changed in place on an agent: dynamic reservations made or
//! removed, persistent volumes created or destroyed, by a framework's offer
//! operation or by the operator. The agent's total changes, the allocator
//! is told, and the agent is sent the whole set of dynamic reservations and
//! volumes it must keep (CHECKPOINT_RESOURCES), as Mesos's master does.
//!
//! These live on the agents, not in the registry: a re-registering agent
//! reports them and the master rebuilds its view from that report.

use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::{self, AgentId, FrameworkId};
use mesos_resources::{Resource, ResourceFormat, Resources};

use crate::error::ApiError;
use crate::master::Master;
use crate::master::scheduler::operations::{
    Conversion, check_new_volume, check_reservation, check_unreservation, persistence_id,
};

impl Master {
    /// Carries out a validated RESERVE, UNRESERVE, CREATE or DESTROY of an
    /// ACCEPT: the framework keeps holding the converted resources.
    pub(crate) fn apply_offer_conversion(&mut self, framework: &FrameworkId, agent: &AgentId, conversion: Conversion) {
        if let Err(error) = self.allocator.update_allocation(framework, agent, &conversion.from, &conversion.to) {
            // Validated against the offers, which the allocator holds for
            // the framework; nothing else can have taken them.
            debug_assert!(false, "offer conversion refused by the allocator: {error}");
            return;
        }
        self.convert_agent_total(agent, &conversion);
        self.checkpoint_agent_resources(agent);
    }

    fn convert_agent_total(&mut self, agent: &AgentId, conversion: &Conversion) {
        if let Some(agent) = self.agents.get_mut(agent) {
            agent.total = agent.total.minus(&conversion.from.unallocated()).plus(&conversion.to.unallocated());
        }
    }

    /// Sends the agent every dynamic reservation and persistent volume it
    /// has now.
    pub(crate) fn checkpoint_agent_resources(&mut self, agent: &AgentId) {
        let Some(resources) = self.agents.get(agent).map(|a| a.total.checkpointed()) else { return };
        let event = AgentEvent {
            r#type: Some(agent_event::Type::CheckpointResources as i32),
            checkpoint_resources: Some(agent_event::CheckpointResources {
                resources: resources.to_proto(ResourceFormat::PostRefinement),
            }),
            ..Default::default()
        };
        self.send_to_agent(agent, event);
    }

    // -----------------------------------------------------------------------
    // Operator calls, on resources no framework holds.

    /// RESERVE_RESOURCES: dynamic reservations of unreserved (or, refined,
    /// reserved) resources; `source`, when given, is what they are made of.
    pub(crate) fn reserve_resources(
        &mut self,
        agent: &AgentId,
        source: &[v1::Resource],
        resources: &[v1::Resource],
        now: Duration,
    ) -> Result<(), ApiError> {
        let to = parse(resources, "RESERVE_RESOURCES")?;
        for resource in to.iter() {
            check_reservation(resource, "", true)
                .map_err(|reason| ApiError::bad_request(format!("Invalid RESERVE_RESOURCES: {reason}")))?;
        }
        let from = if source.is_empty() {
            to.iter().map(Resource::popped).collect()
        } else {
            parse(source, "RESERVE_RESOURCES")?
        };
        self.operator_conversion(agent, Conversion { from, to }, "RESERVE_RESOURCES", now)
    }

    /// UNRESERVE_RESOURCES.
    pub(crate) fn unreserve_resources(
        &mut self,
        agent: &AgentId,
        resources: &[v1::Resource],
        now: Duration,
    ) -> Result<(), ApiError> {
        let from = parse(resources, "UNRESERVE_RESOURCES")?;
        for resource in from.iter() {
            check_unreservation(resource)
                .map_err(|reason| ApiError::bad_request(format!("Invalid UNRESERVE_RESOURCES: {reason}")))?;
        }
        let to = from.iter().map(Resource::popped).collect();
        self.operator_conversion(agent, Conversion { from, to }, "UNRESERVE_RESOURCES", now)
    }

    /// CREATE_VOLUMES.
    pub(crate) fn create_volumes(
        &mut self,
        agent: &AgentId,
        volumes: &[v1::Resource],
        now: Duration,
    ) -> Result<(), ApiError> {
        let to = parse(volumes, "CREATE_VOLUMES")?;
        let total = self.agents.get(agent).map(|a| a.total.clone()).unwrap_or_default();
        for volume in to.iter() {
            check_new_volume(volume)
                .map_err(|reason| ApiError::bad_request(format!("Invalid CREATE_VOLUMES: {reason}")))?;
            let id = persistence_id(volume);
            if total.iter().any(|r| persistence_id(r) == id && r.reservation_role() == volume.reservation_role()) {
                return Err(ApiError::bad_request(format!(
                    "Invalid CREATE_VOLUMES: persistence id '{id}' is already in use"
                )));
            }
        }
        let from = to.iter().map(Resource::without_volume).collect();
        self.operator_conversion(agent, Conversion { from, to }, "CREATE_VOLUMES", now)
    }

    /// DESTROY_VOLUMES.
    pub(crate) fn destroy_volumes(
        &mut self,
        agent: &AgentId,
        volumes: &[v1::Resource],
        now: Duration,
    ) -> Result<(), ApiError> {
        let from = parse(volumes, "DESTROY_VOLUMES")?;
        if let Some(volume) = from.iter().find(|v| !v.is_persistent_volume()) {
            return Err(ApiError::bad_request(format!("Invalid DESTROY_VOLUMES: {volume} is not a persistent volume")));
        }
        let to = from.iter().map(Resource::without_volume).collect();
        self.operator_conversion(agent, Conversion { from, to }, "DESTROY_VOLUMES", now)
    }

    /// Frees the agent's offered resources, then converts available ones:
    /// resources in use by tasks, or not there at all, make a 409.
    fn operator_conversion(
        &mut self,
        agent: &AgentId,
        conversion: Conversion,
        what: &str,
        now: Duration,
    ) -> Result<(), ApiError> {
        if !self.agents.contains_key(agent) {
            return Err(ApiError::bad_request(format!("No agent found with id {}", agent.value)));
        }
        self.rescind_agent_offers(agent, now);
        self.allocator
            .update_available(agent, &conversion.from, &conversion.to)
            .map_err(|error| ApiError::conflict(format!("{what} cannot be applied: {error}")))?;
        self.convert_agent_total(agent, &conversion);
        self.checkpoint_agent_resources(agent);
        self.allocation_wanted = true;
        Ok(())
    }
}

/// Resources of an operator call, which must not be allocated to a role.
fn parse(wire: &[v1::Resource], what: &str) -> Result<Resources, ApiError> {
    if wire.is_empty() {
        return Err(ApiError::bad_request(format!("Invalid {what}: no resources given")));
    }
    let resources = Resources::from_proto(wire)
        .map_err(|error| ApiError::bad_request(format!("Invalid {what}: invalid resources: {error}")))?;
    if !resources.allocation_roles().is_empty() {
        return Err(ApiError::bad_request(format!("Invalid {what}: resources must not carry an allocation role")));
    }
    Ok(resources)
}
