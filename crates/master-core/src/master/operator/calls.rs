//! The operator's changes, each handed to the part of the core that owns
//! it. Changes the registry records answer once stored
//! ([`Reply::Stored`]); changes to an agent's resources are answered
//! `Accepted`, as Mesos does, the agent learning of them right after.

use std::time::Duration;

use crate::error::ApiError;
use crate::input::{OperatorCall, Reply};
use crate::master::Master;

/// A change that may wait for the registry: its ticket, if it does.
fn stored(result: Result<Option<u64>, ApiError>) -> Result<Reply, ApiError> {
    result.map(|ticket| match ticket {
        Some(ticket) => Reply::Stored { ticket },
        None => Reply::Done,
    })
}

impl Master {
    pub(crate) fn operator_call(&mut self, now: Duration, call: OperatorCall) -> Result<Reply, ApiError> {
        match call {
            OperatorCall::UpdateMaintenanceSchedule(schedule) => stored(self.update_maintenance_schedule(schedule)),
            OperatorCall::StartMaintenance(machines) => stored(self.start_maintenance(machines)),
            OperatorCall::StopMaintenance(machines) => stored(self.stop_maintenance(machines)),
            OperatorCall::DrainAgent { agent_id, max_grace_period, mark_gone } => {
                stored(self.drain_agent(&agent_id, max_grace_period, mark_gone))
            }
            OperatorCall::DeactivateAgent(agent_id) => stored(self.deactivate_agent(&agent_id)),
            OperatorCall::ReactivateAgent(agent_id) => stored(self.reactivate_agent(&agent_id)),
            OperatorCall::MarkAgentGone(agent_id) => stored(self.mark_agent_gone(&agent_id, now)),
            OperatorCall::ReserveResources { agent_id, source, resources } => {
                self.reserve_resources(&agent_id, &source, &resources, now).map(|()| Reply::Accepted)
            }
            OperatorCall::UnreserveResources { agent_id, resources } => {
                self.unreserve_resources(&agent_id, &resources, now).map(|()| Reply::Accepted)
            }
            OperatorCall::CreateVolumes { agent_id, volumes } => {
                self.create_volumes(&agent_id, &volumes, now).map(|()| Reply::Accepted)
            }
            OperatorCall::DestroyVolumes { agent_id, volumes } => {
                self.destroy_volumes(&agent_id, &volumes, now).map(|()| Reply::Accepted)
            }
            OperatorCall::UpdateWeights(weights) => stored(self.update_weights(weights)),
            OperatorCall::UpdateQuota { configs, force } => stored(self.update_quota(configs, force)),
            OperatorCall::RemoveQuota { role } => stored(self.remove_quota(&role)),
            OperatorCall::Teardown(framework_id) => self.teardown_framework(&framework_id, now).map(|()| Reply::Done),
            OperatorCall::KillTask { framework_id, task_id } => {
                self.kill_task_for_operator(&framework_id, &task_id, now).map(|()| Reply::Done)
            }
        }
    }
}
