//! Calls of the v1 operator API (and the legacy endpoints that do the same)
//! parsed once, at the core's edge, into the changes and queries the core
//! answers. Calls the daemon answers by itself (health, version, flags,
//! logging, files, the master's identity) are passed back untouched.

use std::time::Duration;

use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::master::{Call, call, response};
use mesos_proto::v1::quota::{QuotaConfig, QuotaRequest};
use mesos_proto::v1::{AgentId, FrameworkId, MachineId, Resource, TaskId, value};
use mesos_resources::Resources;

use super::query::Query;
use crate::error::ApiError;

/// A change an operator asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorCall {
    UpdateMaintenanceSchedule(Schedule),
    StartMaintenance(Vec<MachineId>),
    StopMaintenance(Vec<MachineId>),
    DrainAgent {
        agent_id: AgentId,
        max_grace_period: Option<Duration>,
        mark_gone: bool,
    },
    DeactivateAgent(AgentId),
    ReactivateAgent(AgentId),
    MarkAgentGone(AgentId),
    ReserveResources {
        agent_id: AgentId,
        source: Vec<Resource>,
        resources: Vec<Resource>,
    },
    UnreserveResources {
        agent_id: AgentId,
        resources: Vec<Resource>,
    },
    CreateVolumes {
        agent_id: AgentId,
        volumes: Vec<Resource>,
    },
    DestroyVolumes {
        agent_id: AgentId,
        volumes: Vec<Resource>,
    },
    UpdateWeights(Vec<(String, f64)>),
    UpdateQuota {
        configs: Vec<QuotaConfig>,
        force: bool,
    },
    RemoveQuota {
        role: String,
    },
    Teardown(FrameworkId),
    /// This project's `/master/tasks/kill`: a task killed as its
    /// framework's KILL would.
    KillTask {
        framework_id: FrameworkId,
        task_id: TaskId,
    },
}

impl OperatorCall {
    /// The kind, for traces and for counting what a simulation exercised.
    pub fn kind(&self) -> &'static str {
        match self {
            OperatorCall::UpdateMaintenanceSchedule(_) => "UpdateMaintenanceSchedule",
            OperatorCall::StartMaintenance(_) => "StartMaintenance",
            OperatorCall::StopMaintenance(_) => "StopMaintenance",
            OperatorCall::DrainAgent { .. } => "DrainAgent",
            OperatorCall::DeactivateAgent(_) => "DeactivateAgent",
            OperatorCall::ReactivateAgent(_) => "ReactivateAgent",
            OperatorCall::MarkAgentGone(_) => "MarkAgentGone",
            OperatorCall::ReserveResources { .. } => "ReserveResources",
            OperatorCall::UnreserveResources { .. } => "UnreserveResources",
            OperatorCall::CreateVolumes { .. } => "CreateVolumes",
            OperatorCall::DestroyVolumes { .. } => "DestroyVolumes",
            OperatorCall::UpdateWeights(_) => "UpdateWeights",
            OperatorCall::UpdateQuota { .. } => "UpdateQuota",
            OperatorCall::RemoveQuota { .. } => "RemoveQuota",
            OperatorCall::Teardown(_) => "Teardown",
            OperatorCall::KillTask { .. } => "KillTask",
        }
    }

    /// Every kind, as [`OperatorCall::kind`] names them.
    pub const KINDS: &[&str] = &[
        "UpdateMaintenanceSchedule",
        "StartMaintenance",
        "StopMaintenance",
        "DrainAgent",
        "DeactivateAgent",
        "ReactivateAgent",
        "MarkAgentGone",
        "ReserveResources",
        "UnreserveResources",
        "CreateVolumes",
        "DestroyVolumes",
        "UpdateWeights",
        "UpdateQuota",
        "RemoveQuota",
        "Teardown",
        "KillTask",
    ];
}

/// A parsed call to `/api/v1` (operator).
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorRequest {
    Change(OperatorCall),
    Query(Query),
    /// Opens the operator event stream.
    Subscribe,
    /// A call the daemon answers without the core (GET_HEALTH, GET_FLAGS,
    /// GET_VERSION, GET_METRICS, the logging level, LIST_FILES, READ_FILE,
    /// GET_MASTER, GET_OPERATIONS) or refuses (calls not implemented).
    Daemon(Box<Call>),
}

// SET_QUOTA and REMOVE_QUOTA are deprecated in Mesos's API but still served.
#[allow(deprecated)]
impl TryFrom<Call> for OperatorRequest {
    type Error = ApiError;

    fn try_from(call: Call) -> Result<OperatorRequest, ApiError> {
        let Some(raw) = call.r#type else {
            return Err(ApiError::bad_request("Expecting 'type' to be present"));
        };
        let missing = |field: &str| ApiError::bad_request(format!("Expecting '{field}' to be present"));
        let change = match call::Type::try_from(raw).unwrap_or(call::Type::Unknown) {
            call::Type::Subscribe => return Ok(OperatorRequest::Subscribe),
            call::Type::GetState => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetState))),
            call::Type::GetAgents => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetAgents))),
            call::Type::GetFrameworks => {
                return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetFrameworks)));
            }
            call::Type::GetExecutors => {
                return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetExecutors)));
            }
            call::Type::GetTasks => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetTasks))),
            call::Type::GetRoles => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetRoles))),
            call::Type::GetWeights => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetWeights))),
            call::Type::GetQuota => return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetQuota))),
            call::Type::GetMaintenanceStatus => {
                return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetMaintenanceStatus)));
            }
            call::Type::GetMaintenanceSchedule => {
                return Ok(OperatorRequest::Query(Query::Operator(response::Type::GetMaintenanceSchedule)));
            }
            call::Type::UpdateMaintenanceSchedule => OperatorCall::UpdateMaintenanceSchedule(
                call.update_maintenance_schedule.ok_or_else(|| missing("update_maintenance_schedule"))?.schedule,
            ),
            call::Type::StartMaintenance => OperatorCall::StartMaintenance(
                call.start_maintenance.ok_or_else(|| missing("start_maintenance"))?.machines,
            ),
            call::Type::StopMaintenance => OperatorCall::StopMaintenance(
                call.stop_maintenance.ok_or_else(|| missing("stop_maintenance"))?.machines,
            ),
            call::Type::DrainAgent => {
                let drain = call.drain_agent.ok_or_else(|| missing("drain_agent"))?;
                let max_grace_period = match drain.max_grace_period {
                    None => None,
                    Some(d) if d.seconds < 0 || d.nanos < 0 => {
                        return Err(ApiError::bad_request("'max_grace_period' must not be negative"));
                    }
                    Some(d) => Some(Duration::new(d.seconds.unsigned_abs(), d.nanos.unsigned_abs())),
                };
                OperatorCall::DrainAgent {
                    agent_id: drain.agent_id,
                    max_grace_period,
                    mark_gone: drain.mark_gone.unwrap_or(false),
                }
            }
            call::Type::DeactivateAgent => OperatorCall::DeactivateAgent(
                call.deactivate_agent.ok_or_else(|| missing("deactivate_agent"))?.agent_id,
            ),
            call::Type::ReactivateAgent => OperatorCall::ReactivateAgent(
                call.reactivate_agent.ok_or_else(|| missing("reactivate_agent"))?.agent_id,
            ),
            call::Type::MarkAgentGone => {
                OperatorCall::MarkAgentGone(call.mark_agent_gone.ok_or_else(|| missing("mark_agent_gone"))?.agent_id)
            }
            call::Type::ReserveResources => {
                let reserve = call.reserve_resources.ok_or_else(|| missing("reserve_resources"))?;
                OperatorCall::ReserveResources {
                    agent_id: reserve.agent_id,
                    source: reserve.source,
                    resources: reserve.resources,
                }
            }
            call::Type::UnreserveResources => {
                let unreserve = call.unreserve_resources.ok_or_else(|| missing("unreserve_resources"))?;
                OperatorCall::UnreserveResources { agent_id: unreserve.agent_id, resources: unreserve.resources }
            }
            call::Type::CreateVolumes => {
                let create = call.create_volumes.ok_or_else(|| missing("create_volumes"))?;
                OperatorCall::CreateVolumes { agent_id: create.agent_id, volumes: create.volumes }
            }
            call::Type::DestroyVolumes => {
                let destroy = call.destroy_volumes.ok_or_else(|| missing("destroy_volumes"))?;
                OperatorCall::DestroyVolumes { agent_id: destroy.agent_id, volumes: destroy.volumes }
            }
            call::Type::UpdateWeights => {
                let update = call.update_weights.ok_or_else(|| missing("update_weights"))?;
                let weights = update
                    .weight_infos
                    .into_iter()
                    .map(|info| {
                        let role =
                            info.role.ok_or_else(|| ApiError::bad_request("Expecting 'role' in every weight"))?;
                        Ok((role, info.weight))
                    })
                    .collect::<Result<_, ApiError>>()?;
                OperatorCall::UpdateWeights(weights)
            }
            call::Type::UpdateQuota => {
                let update = call.update_quota.ok_or_else(|| missing("update_quota"))?;
                OperatorCall::UpdateQuota { configs: update.quota_configs, force: update.force.unwrap_or(false) }
            }
            call::Type::SetQuota => {
                let set = call.set_quota.ok_or_else(|| missing("set_quota"))?;
                let config = quota_config_of_request(&set.quota_request)?;
                OperatorCall::UpdateQuota { configs: vec![config], force: set.quota_request.force.unwrap_or(false) }
            }
            call::Type::RemoveQuota => {
                OperatorCall::RemoveQuota { role: call.remove_quota.ok_or_else(|| missing("remove_quota"))?.role }
            }
            call::Type::Teardown => {
                OperatorCall::Teardown(call.teardown.ok_or_else(|| missing("teardown"))?.framework_id)
            }
            call::Type::Unknown => return Err(ApiError::not_implemented("Received an unexpected 'UNKNOWN' call")),
            _ => return Ok(OperatorRequest::Daemon(Box::new(call))),
        };
        Ok(OperatorRequest::Change(change))
    }
}

/// The config a `QuotaRequest` (SET_QUOTA, `POST /quota`) stands for: its
/// guarantees, with limits equal to them, as Mesos treats them.
pub fn quota_config_of_request(request: &QuotaRequest) -> Result<QuotaConfig, ApiError> {
    let role = request.role.clone().ok_or_else(|| ApiError::bad_request("Expecting 'role' in the quota request"))?;
    let resources = Resources::from_proto(&request.guarantee)
        .map_err(|error| ApiError::bad_request(format!("Invalid quota guarantee: {error}")))?;
    let mut config = QuotaConfig { role, ..Default::default() };
    for (name, amount) in resources.scalar_quantities() {
        let scalar = value::Scalar { value: amount.as_f64() };
        config.guarantees.insert(name.clone(), scalar);
        config.limits.insert(name, scalar);
    }
    if config.guarantees.is_empty() {
        return Err(ApiError::bad_request("Expecting scalar resources in the quota guarantee"));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use mesos_proto::v1::master::call::DrainAgent;
    use prost_types::Duration as DurationInfo;

    use super::*;

    fn drain(grace: Option<DurationInfo>) -> Call {
        Call {
            r#type: Some(call::Type::DrainAgent as i32),
            drain_agent: Some(DrainAgent {
                agent_id: AgentId { value: "a".into() },
                max_grace_period: grace,
                mark_gone: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn changes_are_parsed_with_their_values_checked() {
        let grace = Some(DurationInfo { seconds: 3, nanos: 0 });
        let Ok(OperatorRequest::Change(OperatorCall::DrainAgent { max_grace_period, mark_gone, .. })) =
            OperatorRequest::try_from(drain(grace))
        else {
            panic!("a drain")
        };
        assert_eq!((max_grace_period, mark_gone), (Some(Duration::from_secs(3)), false));
        let negative = OperatorRequest::try_from(drain(Some(DurationInfo { seconds: -1, nanos: 0 })));
        assert!(negative.unwrap_err().message.contains("must not be negative"));
        let missing = Call { r#type: Some(call::Type::MarkAgentGone as i32), ..Default::default() };
        assert_eq!(
            OperatorRequest::try_from(missing).unwrap_err().message,
            "Expecting 'mark_agent_gone' to be present"
        );
    }

    #[test]
    fn reads_are_queries_and_daemon_calls_pass_through() {
        let get = Call { r#type: Some(call::Type::GetTasks as i32), ..Default::default() };
        assert_eq!(
            OperatorRequest::try_from(get),
            Ok(OperatorRequest::Query(Query::Operator(response::Type::GetTasks)))
        );
        let health = Call { r#type: Some(call::Type::GetHealth as i32), ..Default::default() };
        assert!(matches!(OperatorRequest::try_from(health), Ok(OperatorRequest::Daemon(_))));
    }
}
