//! Scheduler calls parsed once, at the core's edge: the call's type and
//! its payload present, SUBSCRIBE's ids consistent, every other call with
//! its framework id and stream id.

use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{Filters, FrameworkId, FrameworkInfo, OfferId};

use crate::error::ApiError;

/// A SUBSCRIBE, before the core validates the FrameworkInfo itself.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulerSubscribe {
    /// With `id` set when the framework re-subscribes.
    pub framework_info: FrameworkInfo,
    pub suppressed_roles: Vec<String>,
}

/// A call of a subscribed scheduler, with its payload.
#[derive(Debug, Clone, PartialEq)]
pub enum SchedulerCall {
    Teardown,
    Accept(call::Accept),
    Decline(call::Decline),
    Revive(call::Revive),
    Suppress(call::Suppress),
    Kill(call::Kill),
    Shutdown(call::Shutdown),
    Acknowledge(call::Acknowledge),
    Reconcile(call::Reconcile),
    Message(call::Message),
    UpdateFramework(Box<call::UpdateFramework>),
    /// ACCEPT_INVERSE_OFFERS (`accept`) or DECLINE_INVERSE_OFFERS.
    AnswerInverseOffers {
        offer_ids: Vec<OfferId>,
        filters: Option<Filters>,
        accept: bool,
    },
    /// REQUEST, ACKNOWLEDGE_OPERATION_STATUS and RECONCILE_OPERATIONS:
    /// accepted, with nothing to act on (as Mesos's built-in allocator
    /// does with REQUEST).
    Ignored(call::Type),
}

impl SchedulerCall {
    /// The wire type, for counting calls as Mesos's metrics do.
    pub fn wire_type(&self) -> call::Type {
        match self {
            SchedulerCall::Teardown => call::Type::Teardown,
            SchedulerCall::Accept(_) => call::Type::Accept,
            SchedulerCall::Decline(_) => call::Type::Decline,
            SchedulerCall::Revive(_) => call::Type::Revive,
            SchedulerCall::Suppress(_) => call::Type::Suppress,
            SchedulerCall::Kill(_) => call::Type::Kill,
            SchedulerCall::Shutdown(_) => call::Type::Shutdown,
            SchedulerCall::Acknowledge(_) => call::Type::Acknowledge,
            SchedulerCall::Reconcile(_) => call::Type::Reconcile,
            SchedulerCall::Message(_) => call::Type::Message,
            SchedulerCall::UpdateFramework(_) => call::Type::UpdateFramework,
            SchedulerCall::AnswerInverseOffers { accept: true, .. } => call::Type::AcceptInverseOffers,
            SchedulerCall::AnswerInverseOffers { accept: false, .. } => call::Type::DeclineInverseOffers,
            SchedulerCall::Ignored(kind) => *kind,
        }
    }
}

/// A parsed request to `/api/v1/scheduler`.
#[derive(Debug, Clone, PartialEq)]
pub enum SchedulerRequest {
    /// Opens a subscription stream.
    Subscribe(SchedulerSubscribe),
    /// Any other call, on the subscription named by `stream_id`.
    Call { framework_id: FrameworkId, stream_id: String, call: SchedulerCall },
}

impl SchedulerRequest {
    /// Parses a call and its request's `Mesos-Stream-Id` header, with the
    /// statuses and reasons Mesos gives malformed calls.
    pub fn parse(call: Call, stream_id: Option<&str>) -> Result<SchedulerRequest, ApiError> {
        let Some(raw) = call.r#type else {
            return Err(ApiError::bad_request("Expecting 'type' to be present"));
        };
        let kind = call::Type::try_from(raw).unwrap_or(call::Type::Unknown);
        let missing = |field: &str| ApiError::bad_request(format!("Expecting '{field}' to be present"));
        if kind == call::Type::Subscribe {
            let subscribe = call.subscribe.ok_or_else(|| missing("subscribe"))?;
            match (&call.framework_id, &subscribe.framework_info.id) {
                (Some(a), Some(b)) if a != b => {
                    return Err(ApiError::bad_request("'framework_id' differs from 'subscribe.framework_info.id'"));
                }
                (Some(_), None) | (None, Some(_)) => {
                    return Err(ApiError::bad_request(
                        "'framework_id' and 'subscribe.framework_info.id' must both be set to resubscribe",
                    ));
                }
                _ => {}
            }
            return Ok(SchedulerRequest::Subscribe(SchedulerSubscribe {
                framework_info: subscribe.framework_info,
                suppressed_roles: subscribe.suppressed_roles,
            }));
        }
        let parsed = match kind {
            call::Type::Unknown | call::Type::Subscribe => {
                return Err(ApiError::not_implemented("Received an unexpected 'UNKNOWN' call"));
            }
            call::Type::Teardown => SchedulerCall::Teardown,
            call::Type::Accept => SchedulerCall::Accept(call.accept.ok_or_else(|| missing("accept"))?),
            call::Type::Decline => SchedulerCall::Decline(call.decline.ok_or_else(|| missing("decline"))?),
            call::Type::Revive => SchedulerCall::Revive(call.revive.unwrap_or_default()),
            call::Type::Suppress => SchedulerCall::Suppress(call.suppress.unwrap_or_default()),
            call::Type::Kill => SchedulerCall::Kill(call.kill.ok_or_else(|| missing("kill"))?),
            call::Type::Shutdown => SchedulerCall::Shutdown(call.shutdown.ok_or_else(|| missing("shutdown"))?),
            call::Type::Acknowledge => {
                SchedulerCall::Acknowledge(call.acknowledge.ok_or_else(|| missing("acknowledge"))?)
            }
            call::Type::Reconcile => SchedulerCall::Reconcile(call.reconcile.ok_or_else(|| missing("reconcile"))?),
            call::Type::Message => SchedulerCall::Message(call.message.ok_or_else(|| missing("message"))?),
            call::Type::UpdateFramework => SchedulerCall::UpdateFramework(Box::new(
                call.update_framework.ok_or_else(|| missing("update_framework"))?,
            )),
            call::Type::AcceptInverseOffers => {
                let accept = call.accept_inverse_offers.ok_or_else(|| missing("accept_inverse_offers"))?;
                SchedulerCall::AnswerInverseOffers {
                    offer_ids: accept.inverse_offer_ids,
                    filters: accept.filters,
                    accept: true,
                }
            }
            call::Type::DeclineInverseOffers => {
                let decline = call.decline_inverse_offers.ok_or_else(|| missing("decline_inverse_offers"))?;
                SchedulerCall::AnswerInverseOffers {
                    offer_ids: decline.inverse_offer_ids,
                    filters: decline.filters,
                    accept: false,
                }
            }
            call::Type::Request => {
                call.request.ok_or_else(|| missing("request"))?;
                SchedulerCall::Ignored(kind)
            }
            call::Type::AcknowledgeOperationStatus => {
                call.acknowledge_operation_status.ok_or_else(|| missing("acknowledge_operation_status"))?;
                SchedulerCall::Ignored(kind)
            }
            call::Type::ReconcileOperations => {
                call.reconcile_operations.ok_or_else(|| missing("reconcile_operations"))?;
                SchedulerCall::Ignored(kind)
            }
        };
        let framework_id = call.framework_id.ok_or_else(|| missing("framework_id"))?;
        let stream_id = stream_id.ok_or_else(|| {
            ApiError::bad_request("All non-subscribe calls should include the 'Mesos-Stream-Id' header")
        })?;
        Ok(SchedulerRequest::Call { framework_id, stream_id: stream_id.to_owned(), call: parsed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiStatus;

    fn call(kind: call::Type) -> Call {
        Call { r#type: Some(kind as i32), framework_id: Some(FrameworkId { value: "f".into() }), ..Default::default() }
    }

    #[test]
    fn calls_without_their_payload_or_ids_are_refused_with_mesos_statuses() {
        let refused = |call: Call, stream: Option<&str>| SchedulerRequest::parse(call, stream).unwrap_err();
        assert_eq!(refused(Call::default(), Some("s")).message, "Expecting 'type' to be present");
        assert_eq!(refused(call(call::Type::Accept), Some("s")).message, "Expecting 'accept' to be present");
        assert_eq!(refused(call(call::Type::Unknown), Some("s")).status, ApiStatus::NotImplemented);
        let mut revive = call(call::Type::Revive);
        assert!(refused(revive.clone(), None).message.contains("Mesos-Stream-Id"));
        revive.framework_id = None;
        assert_eq!(refused(revive, Some("s")).message, "Expecting 'framework_id' to be present");
    }

    #[test]
    fn a_resubscription_names_the_same_framework_twice() {
        let mut subscribe = call(call::Type::Subscribe);
        subscribe.subscribe = Some(call::Subscribe::default());
        assert!(SchedulerRequest::parse(subscribe.clone(), None).unwrap_err().message.contains("must both be set"));
        if let Some(s) = subscribe.subscribe.as_mut() {
            s.framework_info.id = Some(FrameworkId { value: "g".into() });
        }
        assert!(SchedulerRequest::parse(subscribe.clone(), None).unwrap_err().message.contains("differs"));
        subscribe.framework_id = Some(FrameworkId { value: "g".into() });
        assert!(matches!(SchedulerRequest::parse(subscribe, None), Ok(SchedulerRequest::Subscribe(_))));
    }

    #[test]
    fn inverse_offer_answers_keep_their_direction() {
        let mut decline = call(call::Type::DeclineInverseOffers);
        decline.decline_inverse_offers = Some(Default::default());
        let Ok(SchedulerRequest::Call { call, .. }) = SchedulerRequest::parse(decline, Some("s")) else {
            panic!("parsed")
        };
        assert_eq!(call.wire_type(), call::Type::DeclineInverseOffers);
    }
}
