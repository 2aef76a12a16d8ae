//! Calls of the master <-> agent protocol parsed once, at the core's edge:
//! the call's type and payload present, the agent's id on every call but
//! the two that open a stream.

use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::AgentId;

use crate::error::ApiError;

/// A parsed request to `/internal/agent/v1`.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentRequest {
    /// REGISTER: opens the agent's stream as a new agent.
    Register(Box<agent_call::Register>),
    /// REREGISTER: opens the stream of an agent the cluster knew.
    Reregister(Box<agent_call::Reregister>),
    /// Any other call, on the agent's current stream.
    Call { agent_id: AgentId, stream_id: Option<String>, call: AgentMessage },
}

/// A call of a registered agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentMessage {
    StatusUpdate(Box<agent_call::StatusUpdate>),
    Pong,
    ExecutorToFramework(agent_call::ExecutorToFramework),
    ExitedExecutor(agent_call::ExitedExecutor),
    Unregister,
}

impl AgentRequest {
    /// Parses a call and its request's `Mesos-Stream-Id` header.
    pub fn parse(call: AgentCall, stream_id: Option<&str>) -> Result<AgentRequest, ApiError> {
        let missing = |field: &str| ApiError::bad_request(format!("Expecting '{field}' to be present"));
        let kind = agent_call::Type::try_from(call.r#type.unwrap_or(0)).unwrap_or(agent_call::Type::Unknown);
        let message = match kind {
            agent_call::Type::Register => {
                return Ok(AgentRequest::Register(Box::new(call.register.ok_or_else(|| missing("register"))?)));
            }
            agent_call::Type::Reregister => {
                return Ok(AgentRequest::Reregister(Box::new(call.reregister.ok_or_else(|| missing("reregister"))?)));
            }
            agent_call::Type::StatusUpdate => {
                AgentMessage::StatusUpdate(Box::new(call.status_update.ok_or_else(|| missing("status_update"))?))
            }
            agent_call::Type::Pong => AgentMessage::Pong,
            agent_call::Type::ExecutorToFramework => AgentMessage::ExecutorToFramework(
                call.executor_to_framework.ok_or_else(|| missing("executor_to_framework"))?,
            ),
            agent_call::Type::ExitedExecutor => {
                AgentMessage::ExitedExecutor(call.exited_executor.ok_or_else(|| missing("exited_executor"))?)
            }
            agent_call::Type::Unregister => AgentMessage::Unregister,
            agent_call::Type::Unknown => return Err(ApiError::bad_request("Unexpected agent call")),
        };
        let agent_id = call.agent_id.ok_or_else(|| missing("agent_id"))?;
        Ok(AgentRequest::Call { agent_id, stream_id: stream_id.map(str::to_owned), call: message })
    }
}
