//! The one door into the master core: [`Master::handle`] takes every
//! [`Input`] with the current time, answers with a [`Reply`] or the reason
//! it refused, and leaves the actions it decided in the outbox. The daemon,
//! the simulation and the tests all drive the core through it.

use std::time::Duration;

use crate::error::ApiError;
use crate::input::{Input, Reply};
use crate::master::Master;

impl Master {
    pub fn handle(&mut self, now: Duration, input: Input) -> Result<Reply, ApiError> {
        let done = |()| Reply::Done;
        match input {
            Input::SchedulerSubscribe { stream, stream_id, subscribe } => {
                self.subscribe(now, stream, stream_id, *subscribe).map(done)
            }
            Input::SchedulerCall { framework_id, stream_id, call } => {
                self.scheduler_call(now, &framework_id, &stream_id, call).map(done)
            }
            Input::SchedulerClosed { stream } => {
                self.scheduler_disconnected(now, stream);
                Ok(Reply::Done)
            }
            Input::AgentRegister { stream, stream_id, register } => {
                self.agent_register(now, stream, stream_id, *register).map(Reply::AgentSubscribed)
            }
            Input::AgentReregister { stream, stream_id, reregister } => {
                self.agent_reregister(now, stream, stream_id, *reregister).map(Reply::AgentSubscribed)
            }
            Input::AgentCall { agent_id, stream_id, call } => {
                self.agent_call(now, agent_id, stream_id.as_deref(), call).map(done)
            }
            Input::AgentClosed { stream } => {
                self.agent_disconnected(now, stream);
                Ok(Reply::Done)
            }
            Input::OperatorSubscribe { stream } => {
                self.operator_subscribe(stream, now);
                Ok(Reply::Done)
            }
            Input::OperatorClosed { stream } => {
                self.operator_disconnected(stream);
                Ok(Reply::Done)
            }
            Input::Operator(call) => self.operator_call(now, call),
            Input::Query(query) => self.query(now, query).map(Reply::View),
            Input::RegistryApplied { ticket, result } => {
                self.registry_applied(ticket, result, now);
                Ok(Reply::Done)
            }
            Input::Tick => {
                self.tick(now);
                Ok(Reply::Done)
            }
            Input::Allocate => {
                self.allocate(now);
                Ok(Reply::Done)
            }
        }
    }
}
