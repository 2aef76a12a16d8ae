//! The v1 scheduler API as the master core sees it: SUBSCRIBE opens a
//! subscription, every other call (parsed at the edge, in
//! `input/scheduler.rs`) is checked against it and dispatched to its
//! handler. Refusals carry the status Mesos returns.

mod accept;
pub(crate) use accept::refuse_duration;
mod calls;
pub(crate) use calls::update_framework_event;
mod launch;
pub(crate) mod operations;
mod reconcile;
mod subscribe;

use std::time::Duration;

use mesos_proto::v1::FrameworkId;

use crate::error::ApiError;
use crate::input::SchedulerCall;
use crate::master::Master;

impl Master {
    /// A call on a scheduler's subscription (anything but SUBSCRIBE).
    pub(crate) fn scheduler_call(
        &mut self,
        now: Duration,
        framework_id: &FrameworkId,
        stream_id: &str,
        call: SchedulerCall,
    ) -> Result<(), ApiError> {
        self.check_subscription(framework_id, stream_id)?;
        self.counters.count_scheduler_call(call.wire_type());
        match call {
            SchedulerCall::Teardown => {
                self.remove_framework(framework_id, now);
                Ok(())
            }
            SchedulerCall::Accept(accept) => self.accept(framework_id, accept, now),
            SchedulerCall::Decline(decline) => {
                self.decline(framework_id, decline, now);
                Ok(())
            }
            SchedulerCall::Revive(revive) => self.revive(framework_id, revive),
            SchedulerCall::Suppress(suppress) => self.suppress(framework_id, suppress),
            SchedulerCall::Kill(kill) => {
                self.kill(framework_id, kill, now);
                Ok(())
            }
            SchedulerCall::Shutdown(shutdown) => self.shutdown_executor(framework_id, shutdown),
            SchedulerCall::Acknowledge(ack) => self.acknowledge(framework_id, ack, now),
            SchedulerCall::Reconcile(reconcile) => {
                self.reconcile(framework_id, reconcile, now);
                Ok(())
            }
            SchedulerCall::Message(message) => self.framework_message(framework_id, message),
            SchedulerCall::UpdateFramework(update) => self.update_framework(framework_id, *update, now),
            SchedulerCall::AnswerInverseOffers { offer_ids, filters, accept } => {
                self.answer_inverse_offers(framework_id, &offer_ids, filters.as_ref(), accept, now)
            }
            // Accepted and ignored, as the built-in Mesos allocator does with
            // REQUEST; operation feedback has nothing to act on yet.
            SchedulerCall::Ignored(_) => Ok(()),
        }
    }

    /// The framework must exist, be connected, and own `stream_id`.
    fn check_subscription(&self, framework_id: &FrameworkId, stream_id: &str) -> Result<(), ApiError> {
        let framework = self.frameworks.get(framework_id).ok_or_else(|| {
            if self.removed_frameworks.contains(framework_id) {
                ApiError::forbidden(format!("Framework {} has been removed", framework_id.value))
            } else {
                ApiError::bad_request("Framework cannot be found")
            }
        })?;
        let connection =
            framework.connection.as_ref().ok_or_else(|| ApiError::forbidden("Framework is not subscribed"))?;
        if connection.stream_id != stream_id {
            return Err(ApiError::bad_request(format!(
                "The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {}",
                framework_id.value
            )));
        }
        Ok(())
    }
}
