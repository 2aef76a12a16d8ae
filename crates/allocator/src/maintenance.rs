//! Inverse offers for agents under maintenance (the seam for
//! `UPDATE_MAINTENANCE_SCHEDULE`): while an agent is scheduled to be
//! unavailable, every framework holding resources there is asked, once, to
//! give them back; it answers by accepting or declining (optionally not to
//! be asked again for a while).

use std::time::Duration;

use mesos_proto::v1::{AgentId, FrameworkId};

use crate::api::Allocator;
use crate::filters::MAX_REFUSE;

/// When an agent will be unavailable (since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailability {
    pub start: Duration,
    /// Unknown when `None`.
    pub duration: Option<Duration>,
}

/// Ask `framework` to give back what it holds on `agent`.
#[derive(Debug, Clone, PartialEq)]
pub struct InverseOffer {
    pub framework: FrameworkId,
    pub agent: AgentId,
    pub unavailability: Unavailability,
}

/// A framework's answer to an inverse offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InverseOfferAnswer {
    Accept,
    /// Declined; with `refuse`, not asked again before `now + refuse`.
    Decline {
        refuse: Option<Duration>,
    },
}

/// Maintenance state of one agent.
#[derive(Debug, Clone)]
pub(crate) struct Maintenance {
    unavailability: Unavailability,
    /// Frameworks with an inverse offer out.
    outstanding: Vec<u32>,
    /// Frameworks that answered, with whether they accepted.
    answers: Vec<(u32, bool)>,
    /// Frameworks not to ask again before the given time.
    refusals: Vec<(u32, Duration)>,
}

impl Allocator {
    /// Schedules (or, with `None`, cancels) maintenance of `agent`.
    pub fn update_unavailability(&mut self, agent: &AgentId, unavailability: Option<Unavailability>) {
        let Some(a) = self.agents.index(agent) else {
            return;
        };
        let before = self.agents.get(a).maintenance.is_some();
        match (before, unavailability.is_some()) {
            (false, true) => self.under_maintenance += 1,
            (true, false) => self.under_maintenance -= 1,
            _ => {}
        }
        self.agents.get_mut(a).maintenance = unavailability.map(|unavailability| Maintenance {
            unavailability,
            outstanding: Vec::new(),
            answers: Vec::new(),
            refusals: Vec::new(),
        });
    }

    /// Records `framework`'s answer to the inverse offer for `agent`.
    pub fn update_inverse_offer(
        &mut self,
        agent: &AgentId,
        framework: &FrameworkId,
        answer: InverseOfferAnswer,
        now: Duration,
    ) {
        let (Some(a), Some(fw)) = (self.agents.index(agent), self.frameworks.index(framework)) else {
            return;
        };
        let Some(maintenance) = &mut self.agents.get_mut(a).maintenance else {
            return;
        };
        maintenance.outstanding.retain(|&f| f != fw);
        maintenance.answers.retain(|&(f, _)| f != fw);
        maintenance.answers.push((fw, answer == InverseOfferAnswer::Accept));
        if let InverseOfferAnswer::Decline { refuse: Some(refuse) } = answer {
            maintenance.refusals.retain(|&(f, _)| f != fw);
            let until = now.saturating_add(refuse.min(MAX_REFUSE));
            maintenance.refusals.push((fw, until));
        }
    }

    /// Whether `framework` accepted the inverse offer for `agent`, if it
    /// answered.
    pub fn inverse_offer_answer(&self, agent: &AgentId, framework: &FrameworkId) -> Option<bool> {
        let a = self.agents.index(agent)?;
        let fw = self.frameworks.index(framework)?;
        let maintenance = self.agents.get(a).maintenance.as_ref()?;
        maintenance.answers.iter().find(|&&(f, _)| f == fw).map(|&(_, accepted)| accepted)
    }

    /// The inverse offers to send now: one per (agent under maintenance,
    /// framework holding resources there) not already out, not answered by
    /// an accept, and not refused until later.
    pub fn generate_inverse_offers(&mut self, now: Duration) -> Vec<InverseOffer> {
        let mut out = Vec::new();
        let indices = self.agents_under_maintenance();
        for a in indices {
            let agent = self.agents.get_mut(a);
            let mut holders: Vec<u32> = agent.records.iter().map(|r| r.framework).collect();
            holders.sort_unstable();
            holders.dedup();
            let agent_id = agent.id.clone();
            let Some(maintenance) = &mut agent.maintenance else {
                continue;
            };
            maintenance.refusals.retain(|&(_, until)| until > now);
            for fw in holders {
                let asked = maintenance.outstanding.contains(&fw)
                    || maintenance.answers.iter().any(|&(f, accepted)| f == fw && accepted)
                    || maintenance.refusals.iter().any(|&(f, _)| f == fw);
                let framework = self.frameworks.get(fw);
                if asked || !framework.added || !framework.active {
                    continue;
                }
                maintenance.outstanding.push(fw);
                out.push(InverseOffer {
                    framework: framework.id.clone(),
                    agent: agent_id.clone(),
                    unavailability: maintenance.unavailability,
                });
            }
        }
        out
    }

    fn agents_under_maintenance(&self) -> Vec<u32> {
        if self.under_maintenance == 0 {
            return Vec::new();
        }
        self.agents.iter().filter(|(_, agent)| agent.maintenance.is_some()).map(|(index, _)| index).collect()
    }

    /// Drops `fw` from every maintenance record (it is going away).
    pub(crate) fn forget_inverse_offers(&mut self, fw: u32) {
        let indices = self.agents_under_maintenance();
        for a in indices {
            if let Some(maintenance) = &mut self.agents.get_mut(a).maintenance {
                maintenance.outstanding.retain(|&f| f != fw);
                maintenance.answers.retain(|&(f, _)| f != fw);
                maintenance.refusals.retain(|&(f, _)| f != fw);
            }
        }
    }

    /// Drops `fw`'s inverse offer refusals (it revived or went away).
    pub(crate) fn clear_inverse_offer_filters(&mut self, fw: u32) {
        let indices = self.agents_under_maintenance();
        for a in indices {
            if let Some(maintenance) = &mut self.agents.get_mut(a).maintenance {
                maintenance.refusals.retain(|&(f, _)| f != fw);
            }
        }
    }
}
