//! Inverse offers: after each allocation cycle, every framework holding
//! resources on an agent whose machine is draining is asked once (by an
//! INVERSE_OFFERS event) to give them back before the window; it answers
//! with ACCEPT_INVERSE_OFFERS or DECLINE_INVERSE_OFFERS (optionally not to
//! be asked again for a while). Answers show in GET_MAINTENANCE_STATUS.
//! Inverse offers are withdrawn (RESCIND_INVERSE_OFFER) when the machine
//! leaves the schedule.

use std::time::Duration;

use mesos_allocator::InverseOfferAnswer;
use mesos_proto::v1::allocator::{InverseOfferStatus, inverse_offer_status};
use mesos_proto::v1::scheduler::{Event, event};
use mesos_proto::v1::{self, AgentId, FrameworkId, OfferId};

use super::{machine_key, to_proto};
use crate::error::ApiError;
use crate::master::Master;
use crate::master::operator::time_info;
use crate::master::scheduler::refuse_duration;

/// An inverse offer waiting for its framework's answer.
#[derive(Debug, Clone)]
pub(crate) struct InverseOfferRecord {
    pub(crate) framework: FrameworkId,
    pub(crate) agent: AgentId,
    pub(crate) wire: v1::InverseOffer,
}

impl Master {
    /// Sends the inverse offers the allocator asks for, one event per
    /// framework.
    pub(crate) fn send_inverse_offers(&mut self, now: Duration) {
        let wanted = self.allocator.generate_inverse_offers(now);
        let mut by_framework: Vec<(FrameworkId, Vec<v1::InverseOffer>)> = Vec::new();
        for offer in wanted {
            let Some(agent) = self.agents.get(&offer.agent) else { continue };
            let id = self.ids.next_offer();
            let wire = v1::InverseOffer {
                id: id.clone(),
                url: Some(agent.url()),
                framework_id: offer.framework.clone(),
                agent_id: Some(offer.agent.clone()),
                unavailability: to_proto(&offer.unavailability),
                resources: Vec::new(),
            };
            self.inverse_offers.insert(
                id,
                InverseOfferRecord {
                    framework: offer.framework.clone(),
                    agent: offer.agent.clone(),
                    wire: wire.clone(),
                },
            );
            match by_framework.iter_mut().find(|(f, _)| *f == offer.framework) {
                Some((_, list)) => list.push(wire),
                None => by_framework.push((offer.framework, vec![wire])),
            }
        }
        for (framework, inverse_offers) in by_framework {
            let event = Event {
                r#type: Some(event::Type::InverseOffers as i32),
                inverse_offers: Some(event::InverseOffers { inverse_offers }),
                ..Default::default()
            };
            self.send_to_framework(&framework, event);
        }
    }

    /// The outstanding inverse offers of a framework (GET_FRAMEWORKS).
    pub fn inverse_offers_of(&self, framework: &FrameworkId) -> Vec<v1::InverseOffer> {
        let mut list: Vec<v1::InverseOffer> =
            self.inverse_offers.values().filter(|o| o.framework == *framework).map(|o| o.wire.clone()).collect();
        list.sort_by(|a, b| a.id.value.cmp(&b.id.value));
        list
    }

    /// ACCEPT_INVERSE_OFFERS and DECLINE_INVERSE_OFFERS.
    pub(crate) fn answer_inverse_offers(
        &mut self,
        framework: &FrameworkId,
        ids: &[OfferId],
        filters: Option<&v1::Filters>,
        accept: bool,
        now: Duration,
    ) -> Result<(), ApiError> {
        if let Some(id) = ids.iter().find(|id| self.inverse_offers.get(*id).is_some_and(|o| o.framework != *framework))
        {
            return Err(ApiError::bad_request(format!("Inverse offer {} is not for this framework", id.value)));
        }
        for id in ids {
            let Some(record) = self.inverse_offers.remove(id) else { continue };
            let answer = if accept {
                InverseOfferAnswer::Accept
            } else {
                InverseOfferAnswer::Decline { refuse: refuse_duration(filters) }
            };
            self.allocator.update_inverse_offer(&record.agent, framework, answer, now);
            let Some(machine) = self.agents.get(&record.agent).and_then(|a| self.machine_of(a)) else { continue };
            let key = machine_key(&machine.id);
            let status =
                if accept { inverse_offer_status::Status::Accept } else { inverse_offer_status::Status::Decline };
            let statuses = self.inverse_offer_statuses.entry(key).or_default();
            statuses.retain(|s| s.framework_id != *framework);
            statuses.push(InverseOfferStatus {
                status: status as i32,
                framework_id: framework.clone(),
                timestamp: time_info(now),
            });
        }
        Ok(())
    }

    /// Withdraws the inverse offers for an agent (its machine left the
    /// schedule, or it is gone).
    pub(crate) fn rescind_inverse_offers_on(&mut self, agent: &AgentId) {
        let ids: Vec<OfferId> =
            self.inverse_offers.iter().filter(|(_, o)| o.agent == *agent).map(|(id, _)| id.clone()).collect();
        for id in ids {
            let Some(record) = self.inverse_offers.remove(&id) else { continue };
            let event = Event {
                r#type: Some(event::Type::RescindInverseOffer as i32),
                rescind_inverse_offer: Some(event::RescindInverseOffer { inverse_offer_id: id }),
                ..Default::default()
            };
            self.send_to_framework(&record.framework, event);
        }
    }

    /// Forgets a removed framework's inverse offers.
    pub(crate) fn forget_inverse_offers_of(&mut self, framework: &FrameworkId) {
        self.inverse_offers.retain(|_, o| o.framework != *framework);
    }
}
