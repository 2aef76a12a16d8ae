//! The legacy maintenance endpoints: `/master/maintenance/schedule` (GET
//! the schedule, POST a new one), `/master/maintenance/status`, and
//! `/master/machine/down` and `/master/machine/up` (POST a JSON array of
//! machine ids), with Mesos's JSON.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use mesos_master_core::input::{OperatorCall, Query as CoreQuery};
use mesos_master_core::{ApiError, Input};
use mesos_proto::v1::MachineId;
use mesos_proto::v1::maintenance::Schedule;
use serde_json::Value;

use super::{AppState, api_error, changed, legacy_view};

type Params = Query<HashMap<String, String>>;

pub async fn schedule(State(app): State<AppState>, Query(query): Params) -> Response {
    legacy_view(&app, CoreQuery::MaintenanceSchedule, &query).await
}

pub async fn update_schedule(State(app): State<AppState>, body: Bytes) -> Response {
    let schedule: Schedule = match mesos_proto::json::from_slice(&body) {
        Ok(schedule) => schedule,
        Err(error) => return api_error(ApiError::bad_request(format!("Failed to parse the schedule: {error}"))),
    };
    changed(app.master.call(Input::Operator(OperatorCall::UpdateMaintenanceSchedule(schedule))).await)
}

pub async fn status(State(app): State<AppState>, Query(query): Params) -> Response {
    legacy_view(&app, CoreQuery::MaintenanceStatus, &query).await
}

/// A JSON array of `MachineID`s.
fn machines(body: &[u8]) -> Result<Vec<MachineId>, ApiError> {
    let parsed: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Failed to parse the machines: {e}")))?;
    let Value::Array(items) = parsed else {
        return Err(ApiError::bad_request("Expecting a JSON array of machine ids"));
    };
    items
        .iter()
        .map(|item| {
            mesos_proto::json::from_value::<MachineId>(item)
                .map_err(|e| ApiError::bad_request(format!("Invalid machine id: {e}")))
        })
        .collect()
}

pub async fn down(State(app): State<AppState>, body: Bytes) -> Response {
    match machines(&body) {
        Ok(list) => changed(app.master.call(Input::Operator(OperatorCall::StartMaintenance(list))).await),
        Err(error) => api_error(error),
    }
}

pub async fn up(State(app): State<AppState>, body: Bytes) -> Response {
    match machines(&body) {
        Ok(list) => changed(app.master.call(Input::Operator(OperatorCall::StopMaintenance(list))).await),
        Err(error) => api_error(error),
    }
}
