//! The v1 scheduler API as the master core sees it: SUBSCRIBE opens a
//! subscription, every other call is validated against it and dispatched to
//! its handler. Validation failures carry the status Mesos returns.

mod accept;
pub(crate) use accept::refuse_duration;
mod calls;
mod launch;
pub(crate) mod operations;
mod reconcile;
mod subscribe;

use std::time::Duration;

use mesos_proto::v1::FrameworkId;
use mesos_proto::v1::scheduler::{Call, call};

use crate::error::ApiError;
use crate::master::Master;

impl Master {
    /// Handles any call but SUBSCRIBE. `stream_id` is the request's
    /// `Mesos-Stream-Id` header.
    pub fn scheduler_call(&mut self, now: Duration, stream_id: Option<&str>, call: Call) -> Result<(), ApiError> {
        let kind = validate_shape(&call)?;
        if kind == call::Type::Subscribe {
            return Err(ApiError::bad_request("SUBSCRIBE calls must open their own streaming connection"));
        }
        let framework_id =
            call.framework_id.clone().ok_or_else(|| ApiError::bad_request("Expecting 'framework_id' to be present"))?;
        let stream_id = stream_id.ok_or_else(|| {
            ApiError::bad_request("All non-subscribe calls should include the 'Mesos-Stream-Id' header")
        })?;
        self.check_subscription(&framework_id, stream_id)?;
        self.counters.count_scheduler_call(kind);
        match kind {
            call::Type::Teardown => {
                self.remove_framework(&framework_id, now);
                Ok(())
            }
            call::Type::Accept => self.accept(&framework_id, call.accept.unwrap_or_default(), now),
            call::Type::Decline => {
                self.decline(&framework_id, call.decline.unwrap_or_default(), now);
                Ok(())
            }
            call::Type::Revive => self.revive(&framework_id, call.revive.unwrap_or_default()),
            call::Type::Suppress => self.suppress(&framework_id, call.suppress.unwrap_or_default()),
            call::Type::Kill => {
                self.kill(&framework_id, call.kill.unwrap_or_default(), now);
                Ok(())
            }
            call::Type::Shutdown => self.shutdown_executor(&framework_id, call.shutdown.unwrap_or_default()),
            call::Type::Acknowledge => self.acknowledge(&framework_id, call.acknowledge.unwrap_or_default(), now),
            call::Type::Reconcile => {
                self.reconcile(&framework_id, call.reconcile.unwrap_or_default(), now);
                Ok(())
            }
            call::Type::Message => self.framework_message(&framework_id, call.message.unwrap_or_default()),
            call::Type::UpdateFramework => {
                self.update_framework(&framework_id, call.update_framework.unwrap_or_default(), now)
            }
            call::Type::AcceptInverseOffers | call::Type::DeclineInverseOffers => {
                let (ids, filters, accept) =
                    crate::maintenance::answer_of(call.accept_inverse_offers, call.decline_inverse_offers);
                self.answer_inverse_offers(&framework_id, &ids, filters.as_ref(), accept, now)
            }
            // Accepted and ignored, as the built-in Mesos allocator does with
            // REQUEST; operation feedback has nothing to act on yet.
            call::Type::Request | call::Type::AcknowledgeOperationStatus | call::Type::ReconcileOperations => Ok(()),
            call::Type::Subscribe | call::Type::Unknown => {
                unreachable!("filtered by validate_shape")
            }
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

/// Checks that the call names its type and carries the matching payload.
pub(crate) fn validate_shape(call: &Call) -> Result<call::Type, ApiError> {
    let Some(raw) = call.r#type else {
        return Err(ApiError::bad_request("Expecting 'type' to be present"));
    };
    let kind = call::Type::try_from(raw).unwrap_or(call::Type::Unknown);
    let missing = |field: &str| Err(ApiError::bad_request(format!("Expecting '{field}' to be present")));
    match kind {
        call::Type::Unknown => Err(ApiError::not_implemented("Received an unexpected 'UNKNOWN' call")),
        call::Type::Subscribe if call.subscribe.is_none() => missing("subscribe"),
        call::Type::Accept if call.accept.is_none() => missing("accept"),
        call::Type::Decline if call.decline.is_none() => missing("decline"),
        call::Type::Kill if call.kill.is_none() => missing("kill"),
        call::Type::Shutdown if call.shutdown.is_none() => missing("shutdown"),
        call::Type::Acknowledge if call.acknowledge.is_none() => missing("acknowledge"),
        call::Type::Reconcile if call.reconcile.is_none() => missing("reconcile"),
        call::Type::Message if call.message.is_none() => missing("message"),
        call::Type::Request if call.request.is_none() => missing("request"),
        call::Type::UpdateFramework if call.update_framework.is_none() => missing("update_framework"),
        call::Type::AcceptInverseOffers if call.accept_inverse_offers.is_none() => missing("accept_inverse_offers"),
        call::Type::DeclineInverseOffers if call.decline_inverse_offers.is_none() => missing("decline_inverse_offers"),
        call::Type::AcknowledgeOperationStatus if call.acknowledge_operation_status.is_none() => {
            missing("acknowledge_operation_status")
        }
        call::Type::ReconcileOperations if call.reconcile_operations.is_none() => missing("reconcile_operations"),
        kind => Ok(kind),
    }
}
