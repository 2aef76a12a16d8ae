//! `POST /api/v1` (also `/api/v1/operator`): the v1 operator API. Each
//! call is answered with its `Response` message (GET_* calls), an empty 200
//! (changes), an event stream (SUBSCRIBE, in `subscribe.rs`), or the reason
//! it was refused. Files are read on the agent holding them (`files.rs`).
//! Calls this master does not implement are answered 501.

mod files;
mod subscribe;

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::server::{decode_call, message_response};
use mesos_master_core::{ApiError, Master};
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Call, Response as OperatorResponse, call, response};
use mesos_proto::v1::{Flag, Metric, VersionInfo};

use super::{AppState, api_error, unavailable};
use crate::identity::VERSION;

// SET_QUOTA and REMOVE_QUOTA are deprecated in Mesos's API but still served.
#[allow(deprecated)]
pub async fn operator_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let Some(kind) = call.r#type else {
        return api_error(ApiError::bad_request("Expecting 'type' to be present"));
    };
    let encoding = negotiated.response;
    let missing = |field: &str| api_error(ApiError::bad_request(format!("Expecting '{field}' to be present")));
    match call::Type::try_from(kind).unwrap_or(call::Type::Unknown) {
        call::Type::GetHealth => answer(
            encoding,
            response::Type::GetHealth,
            OperatorResponse { get_health: Some(response::GetHealth { healthy: true }), ..Default::default() },
        ),
        call::Type::GetVersion => answer(
            encoding,
            response::Type::GetVersion,
            OperatorResponse {
                get_version: Some(response::GetVersion { version_info: version_info() }),
                ..Default::default()
            },
        ),
        call::Type::GetFlags => {
            let flags =
                app.flags.to_pairs().into_iter().map(|(name, value)| Flag { name, value: Some(value) }).collect();
            answer(
                encoding,
                response::Type::GetFlags,
                OperatorResponse { get_flags: Some(response::GetFlags { flags }), ..Default::default() },
            )
        }
        call::Type::GetMetrics => {
            let Some(metrics) = super::endpoints::snapshot(&app).await else {
                return unavailable();
            };
            let metrics = metrics.into_iter().map(|(name, value)| Metric { name, value: Some(value) }).collect();
            answer(
                encoding,
                response::Type::GetMetrics,
                OperatorResponse { get_metrics: Some(response::GetMetrics { metrics }), ..Default::default() },
            )
        }
        call::Type::GetLoggingLevel => answer(
            encoding,
            response::Type::GetLoggingLevel,
            OperatorResponse {
                get_logging_level: Some(response::GetLoggingLevel { level: mesos_http::daemon::logging_level() }),
                ..Default::default()
            },
        ),
        call::Type::SetLoggingLevel => {
            let Some(set) = call.set_logging_level else {
                return missing("set_logging_level");
            };
            let Ok(nanos) = u64::try_from(set.duration.nanoseconds) else {
                return api_error(ApiError::bad_request("'set_logging_level.duration' must not be negative"));
            };
            mesos_http::daemon::set_logging_level(set.level, Duration::from_nanos(nanos));
            StatusCode::OK.into_response()
        }
        call::Type::ListFiles => match call.list_files {
            Some(list) => files::list_files(&app, encoding, &list.path).await,
            None => missing("list_files"),
        },
        call::Type::ReadFile => match call.read_file {
            Some(read) => files::read_file(&app, encoding, read).await,
            None => missing("read_file"),
        },
        call::Type::GetState => {
            view(&app, encoding, response::Type::GetState, |master| OperatorResponse {
                get_state: Some(master.get_state()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetAgents => {
            view(&app, encoding, response::Type::GetAgents, |master| OperatorResponse {
                get_agents: Some(master.get_agents()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetFrameworks => {
            view(&app, encoding, response::Type::GetFrameworks, |master| OperatorResponse {
                get_frameworks: Some(master.get_frameworks()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetExecutors => {
            view(&app, encoding, response::Type::GetExecutors, |master| OperatorResponse {
                get_executors: Some(master.get_executors()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetTasks => {
            view(&app, encoding, response::Type::GetTasks, |master| OperatorResponse {
                get_tasks: Some(master.get_tasks()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetRoles => {
            view(&app, encoding, response::Type::GetRoles, |master| OperatorResponse {
                get_roles: Some(master.get_roles()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetWeights => {
            view(&app, encoding, response::Type::GetWeights, |master| OperatorResponse {
                get_weights: Some(master.get_weights()),
                ..Default::default()
            })
            .await
        }
        call::Type::GetQuota => {
            view(&app, encoding, response::Type::GetQuota, |master| OperatorResponse {
                get_quota: Some(response::GetQuota { status: master.get_quota() }),
                ..Default::default()
            })
            .await
        }
        // Operations with feedback are not tracked by this master: there
        // is never one to report.
        call::Type::GetOperations => answer(
            encoding,
            response::Type::GetOperations,
            OperatorResponse { get_operations: Some(response::GetOperations::default()), ..Default::default() },
        ),
        call::Type::GetMaster => {
            let master = response::GetMaster {
                master_info: Some((*app.info).clone()),
                start_time: Some(app.start_time.as_secs_f64()),
                elected_time: Some(app.start_time.as_secs_f64()),
            };
            answer(
                encoding,
                response::Type::GetMaster,
                OperatorResponse { get_master: Some(master), ..Default::default() },
            )
        }
        call::Type::Subscribe => subscribe::subscribe(&app, encoding),
        call::Type::GetMaintenanceStatus => {
            view(&app, encoding, response::Type::GetMaintenanceStatus, |master| OperatorResponse {
                get_maintenance_status: Some(response::GetMaintenanceStatus { status: master.maintenance_status() }),
                ..Default::default()
            })
            .await
        }
        call::Type::GetMaintenanceSchedule => {
            view(&app, encoding, response::Type::GetMaintenanceSchedule, |master| OperatorResponse {
                get_maintenance_schedule: Some(response::GetMaintenanceSchedule {
                    schedule: master.maintenance_schedule(),
                }),
                ..Default::default()
            })
            .await
        }
        call::Type::UpdateMaintenanceSchedule => {
            let Some(update) = call.update_maintenance_schedule else {
                return missing("update_maintenance_schedule");
            };
            stored(&app, move |master, _| master.update_maintenance_schedule(update.schedule)).await
        }
        call::Type::StartMaintenance => {
            let Some(start) = call.start_maintenance else {
                return missing("start_maintenance");
            };
            stored(&app, move |master, _| master.start_maintenance(start.machines)).await
        }
        call::Type::StopMaintenance => {
            let Some(stop) = call.stop_maintenance else {
                return missing("stop_maintenance");
            };
            stored(&app, move |master, _| master.stop_maintenance(stop.machines)).await
        }
        call::Type::DrainAgent => {
            let Some(drain) = call.drain_agent else {
                return missing("drain_agent");
            };
            let grace = match drain.max_grace_period {
                None => None,
                Some(d) if d.seconds < 0 || d.nanos < 0 => {
                    return api_error(ApiError::bad_request("'max_grace_period' must not be negative"));
                }
                Some(d) => Some(Duration::new(d.seconds as u64, d.nanos as u32)),
            };
            let mark_gone = drain.mark_gone.unwrap_or(false);
            stored(&app, move |master, _| master.drain_agent(&drain.agent_id, grace, mark_gone)).await
        }
        call::Type::DeactivateAgent => {
            let Some(deactivate) = call.deactivate_agent else {
                return missing("deactivate_agent");
            };
            stored(&app, move |master, _| master.deactivate_agent(&deactivate.agent_id)).await
        }
        call::Type::ReactivateAgent => {
            let Some(reactivate) = call.reactivate_agent else {
                return missing("reactivate_agent");
            };
            stored(&app, move |master, _| master.reactivate_agent(&reactivate.agent_id)).await
        }
        call::Type::MarkAgentGone => {
            let Some(gone) = call.mark_agent_gone else {
                return missing("mark_agent_gone");
            };
            stored(&app, move |master, now| master.mark_agent_gone(&gone.agent_id, now)).await
        }
        call::Type::ReserveResources => {
            let Some(reserve) = call.reserve_resources else {
                return api_error(ApiError::bad_request("Expecting 'reserve_resources' to be present"));
            };
            accepted(&app, move |master, now| {
                master.reserve_resources(&reserve.agent_id, &reserve.source, &reserve.resources, now)
            })
            .await
        }
        call::Type::UnreserveResources => {
            let Some(unreserve) = call.unreserve_resources else {
                return api_error(ApiError::bad_request("Expecting 'unreserve_resources' to be present"));
            };
            accepted(&app, move |master, now| {
                master.unreserve_resources(&unreserve.agent_id, &unreserve.resources, now)
            })
            .await
        }
        call::Type::CreateVolumes => {
            let Some(create) = call.create_volumes else {
                return api_error(ApiError::bad_request("Expecting 'create_volumes' to be present"));
            };
            accepted(&app, move |master, now| master.create_volumes(&create.agent_id, &create.volumes, now)).await
        }
        call::Type::DestroyVolumes => {
            let Some(destroy) = call.destroy_volumes else {
                return api_error(ApiError::bad_request("Expecting 'destroy_volumes' to be present"));
            };
            accepted(&app, move |master, now| master.destroy_volumes(&destroy.agent_id, &destroy.volumes, now)).await
        }
        call::Type::UpdateWeights => {
            let Some(update) = call.update_weights else {
                return missing("update_weights");
            };
            let mut weights = Vec::new();
            for info in update.weight_infos {
                let Some(role) = info.role else {
                    return api_error(ApiError::bad_request("Expecting 'role' in every weight"));
                };
                weights.push((role, info.weight));
            }
            stored(&app, move |master, _| master.update_weights(weights)).await
        }
        call::Type::UpdateQuota => {
            let Some(update) = call.update_quota else {
                return missing("update_quota");
            };
            let force = update.force.unwrap_or(false);
            stored(&app, move |master, _| master.update_quota(update.quota_configs, force)).await
        }
        call::Type::SetQuota => {
            let Some(set) = call.set_quota else {
                return missing("set_quota");
            };
            let config = match crate::quota::config_of_request(&set.quota_request) {
                Ok(config) => config,
                Err(error) => return api_error(error),
            };
            let force = set.quota_request.force.unwrap_or(false);
            stored(&app, move |master, _| master.update_quota(vec![config], force)).await
        }
        call::Type::RemoveQuota => {
            let Some(remove) = call.remove_quota else {
                return missing("remove_quota");
            };
            stored(&app, move |master, _| master.remove_quota(&remove.role)).await
        }
        call::Type::Teardown => {
            let Some(teardown) = call.teardown else {
                return missing("teardown");
            };
            change(&app, move |master, now| master.teardown_framework(&teardown.framework_id, now)).await
        }
        call::Type::Unknown => api_error(ApiError::not_implemented("Received an unexpected 'UNKNOWN' call")),
        other => api_error(ApiError::not_implemented(format!(
            "Operator call {} is not supported by this master",
            other.as_str_name()
        ))),
    }
}

/// A 200 with the call's response message.
fn answer(encoding: ContentType, kind: response::Type, mut message: OperatorResponse) -> Response {
    message.r#type = Some(kind as i32);
    message_response(encoding, &message)
}

/// Builds a response from the core's state, inside the event loop.
async fn view(
    app: &AppState,
    encoding: ContentType,
    kind: response::Type,
    render: impl FnOnce(&Master) -> OperatorResponse + Send + 'static,
) -> Response {
    match app.master.inspect(move |master, _| render(master)).await {
        Some(message) => answer(encoding, kind, message),
        None => unavailable(),
    }
}

/// Runs a change in the event loop: 200 when it succeeds.
pub(crate) async fn change(
    app: &AppState,
    change: impl FnOnce(&mut Master, std::time::Duration) -> Result<(), ApiError> + Send + 'static,
) -> Response {
    match app.master.mutate(change).await {
        Some(Ok(())) => StatusCode::OK.into_response(),
        Some(Err(error)) => api_error(error),
        None => unavailable(),
    }
}

/// Runs a change to an agent's resources: 202 once the master applied it
/// (the agent learns of it right after).
async fn accepted(
    app: &AppState,
    change: impl FnOnce(&mut mesos_master_core::Master, std::time::Duration) -> Result<(), ApiError> + Send + 'static,
) -> Response {
    match app.master.mutate(change).await {
        Some(Ok(())) => StatusCode::ACCEPTED.into_response(),
        Some(Err(error)) => api_error(error),
        None => unavailable(),
    }
}

/// Runs a change that is recorded in the registry: 200 once it is stored.
pub(crate) async fn stored(
    app: &AppState,
    change: impl FnOnce(&mut Master, std::time::Duration) -> Result<Option<u64>, ApiError> + Send + 'static,
) -> Response {
    match app.master.mutate_stored(change).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => api_error(error),
    }
}

pub fn version_info() -> VersionInfo {
    VersionInfo {
        version: VERSION.to_owned(),
        build_date: Some(String::new()),
        build_time: Some(0.0),
        build_user: Some(String::new()),
        ..Default::default()
    }
}
