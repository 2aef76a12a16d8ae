//! `POST /api/v1` (also `/api/v1/operator`): the v1 operator API. Each
//! call is answered with its `Response` message (GET_* calls), an empty 200
//! (changes), an event stream (SUBSCRIBE, in `subscribe.rs`), or the reason
//! it was refused. Files are read on the agent holding them (`files.rs`).
//! Calls this master does not implement are answered 501.

mod files;
mod subscribe;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_http::operator::{CommonCall, DaemonSelf};
use mesos_http::server::{decode_call, message_response};
use mesos_master_core::input::{OperatorRequest, View};
use mesos_master_core::{ApiError, Input};
use mesos_proto::ContentType;
use mesos_proto::v1::master::{Call, Response as OperatorResponse, call, response};

use super::{AppState, api_error, changed};
use crate::identity::VERSION;

pub async fn operator_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let encoding = negotiated.response;
    let call = match OperatorRequest::try_from(call) {
        Ok(OperatorRequest::Change(change)) => return changed(app.master.call(Input::Operator(change)).await),
        Ok(OperatorRequest::Query(query)) => {
            return match app.master.query(query).await {
                Ok(View::Response(response)) => message_response(encoding, &*response),
                Ok(other) => api_error(ApiError::unavailable(format!("Unexpected view {other:?}"))),
                Err(error) => api_error(error),
            };
        }
        Ok(OperatorRequest::Subscribe) => return subscribe::subscribe(&app, encoding).await,
        Ok(OperatorRequest::Daemon(call)) => *call,
        Err(error) => return api_error(error),
    };
    let kind = call.r#type.and_then(|t| call::Type::try_from(t).ok()).unwrap_or(call::Type::Unknown);
    let logging = call.set_logging_level.as_ref().map(|s| (s.level, s.duration.nanoseconds));
    if let Some(common) = CommonCall::parse(kind.as_str_name(), logging) {
        return match common {
            Ok(common) => common_answer(&app, encoding, common).await,
            Err(error) => error.into_response(),
        };
    }
    match kind {
        call::Type::ListFiles => match call.list_files {
            Some(list) => files::list_files(&app, encoding, &list.path).await,
            None => api_error(ApiError::bad_request("Expecting 'list_files' to be present")),
        },
        call::Type::ReadFile => match call.read_file {
            Some(read) => files::read_file(&app, encoding, read).await,
            None => api_error(ApiError::bad_request("Expecting 'read_file' to be present")),
        },
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
        other => api_error(ApiError::not_implemented(format!(
            "Operator call {} is not supported by this master",
            other.as_str_name()
        ))),
    }
}

/// GET_HEALTH and the other calls every daemon answers alike.
async fn common_answer(app: &AppState, encoding: ContentType, call: CommonCall) -> Response {
    let me = DaemonSelf { version: VERSION, flags: app.flags.to_pairs() };
    match mesos_http::operator::answer(call, me, super::endpoints::snapshot(app)).await {
        Ok(answered) => match mesos_http::common_response!(answered, mesos_proto::v1::master) {
            Some(message) => message_response(encoding, &message),
            None => StatusCode::OK.into_response(),
        },
        Err(error) => error.into_response(),
    }
}

/// A 200 with the call's response message.
fn answer(encoding: ContentType, kind: response::Type, mut message: OperatorResponse) -> Response {
    message.r#type = Some(kind as i32);
    message_response(encoding, &message)
}
