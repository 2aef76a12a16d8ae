//! `POST /api/v1` on the agent: the agent's v1 operator API. Synchronous
//! calls are answered with their `Response` message; calls this agent does
//! not implement are answered 501.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use mesos_agent_core::Agent;
use mesos_http::operator::{CommonCall, DaemonSelf};
use mesos_http::server::{HttpError, decode_call, message_response};
use mesos_proto::ContentType;
use mesos_proto::v1::agent::{Call, Response as AgentResponse, call, response};

use super::AppState;
use crate::api_views;

pub async fn operator_api(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (call, negotiated) = match decode_call::<Call>(&headers, &body) {
        Ok(decoded) => decoded,
        Err(error) => return error.into_response(),
    };
    let Some(kind) = call.r#type else {
        return HttpError::bad_request("Expecting 'type' to be present").into_response();
    };
    let encoding = negotiated.response;
    let kind = call::Type::try_from(kind).unwrap_or(call::Type::Unknown);
    let logging = call.set_logging_level.as_ref().map(|s| (s.level, s.duration.nanoseconds));
    if let Some(common) = CommonCall::parse(kind.as_str_name(), logging) {
        return match common {
            Ok(common) => common_answer(&app, encoding, common).await,
            Err(error) => error.into_response(),
        };
    }
    match kind {
        call::Type::GetState => {
            view(&app, encoding, response::Type::GetState, |agent| AgentResponse {
                get_state: Some(api_views::get_state(agent)),
                ..Default::default()
            })
            .await
        }
        call::Type::GetTasks => {
            view(&app, encoding, response::Type::GetTasks, |agent| AgentResponse {
                get_tasks: Some(api_views::get_tasks(agent)),
                ..Default::default()
            })
            .await
        }
        call::Type::GetExecutors => {
            view(&app, encoding, response::Type::GetExecutors, |agent| AgentResponse {
                get_executors: Some(api_views::get_executors(agent)),
                ..Default::default()
            })
            .await
        }
        call::Type::GetFrameworks => {
            view(&app, encoding, response::Type::GetFrameworks, |agent| AgentResponse {
                get_frameworks: Some(api_views::get_frameworks(agent)),
                ..Default::default()
            })
            .await
        }
        call::Type::GetAgent => {
            view(&app, encoding, response::Type::GetAgent, |agent| AgentResponse {
                get_agent: Some(api_views::get_agent(agent)),
                ..Default::default()
            })
            .await
        }
        call::Type::GetContainers => super::operator_sandbox::get_containers(&app, encoding).await,
        call::Type::ListFiles => super::operator_sandbox::list_files(&app, encoding, call.list_files).await,
        call::Type::ReadFile => super::operator_sandbox::read_file(&app, encoding, call.read_file).await,
        call::Type::Unknown => {
            HttpError::new(StatusCode::NOT_IMPLEMENTED, "Received an unexpected 'UNKNOWN' call").into_response()
        }
        other => HttpError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("Agent call {} is not supported by this agent", other.as_str_name()),
        )
        .into_response(),
    }
}

/// GET_HEALTH and the other calls every daemon answers alike.
async fn common_answer(app: &AppState, encoding: ContentType, call: CommonCall) -> Response {
    let me = DaemonSelf { version: env!("CARGO_PKG_VERSION"), flags: app.flags.to_pairs() };
    match mesos_http::operator::answer(call, me, super::endpoints::snapshot(app)).await {
        Ok(answered) => match mesos_http::common_response!(answered, mesos_proto::v1::agent) {
            Some(message) => message_response(encoding, &message),
            None => StatusCode::OK.into_response(),
        },
        Err(error) => error.into_response(),
    }
}

pub(super) fn answer(encoding: ContentType, kind: response::Type, mut message: AgentResponse) -> Response {
    message.r#type = Some(kind as i32);
    message_response(encoding, &message)
}

async fn view(
    app: &AppState,
    encoding: ContentType,
    kind: response::Type,
    render: impl FnOnce(&Agent) -> AgentResponse + Send + 'static,
) -> Response {
    match app.agent.inspect(move |agent, _| render(agent)).await {
        Some(message) => answer(encoding, kind, message),
        None => unavailable(),
    }
}

fn unavailable() -> Response {
    HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "Agent is shutting down").into_response()
}
