//! Maintenance: the operator's schedule of machines and windows when they
//! will be unavailable, machines taken down and brought up, and agents
//! drained, deactivated and reactivated.
//!
//! The schedule and the machines' modes live in the registry, so they
//! survive restarts and failovers; each change is stored first and takes
//! effect once stored (`schedule.rs`, `drain.rs`). Frameworks holding
//! resources on a draining machine get inverse offers and answer them
//! (`inverse_offers.rs`); offers from such agents carry the unavailability.
//!
//! A machine is named by hostname, IP or both; an agent is on it when every
//! part given matches the agent's hostname and advertised IP.

mod drain;
mod inverse_offers;
mod schedule;

use std::time::Duration;

use mesos_allocator::Unavailability;
use mesos_proto::v1::maintenance::{ClusterStatus, Schedule, cluster_status};
use mesos_proto::v1::{self, AgentId, MachineId, machine_info};

use crate::agent::Agent;
use crate::master::Master;

pub(crate) use inverse_offers::InverseOfferRecord;

/// `hostname/ip`, the registry's key of a machine.
pub(crate) fn machine_key(id: &MachineId) -> String {
    format!("{}/{}", id.hostname.as_deref().unwrap_or(""), id.ip.as_deref().unwrap_or(""))
}

/// Whether the agent at `hostname`/`ip` is on machine `id`.
pub(crate) fn on_machine(id: &MachineId, hostname: &str, ip: Option<&str>) -> bool {
    let named = id.hostname.is_some() || id.ip.is_some();
    let host_matches = id.hostname.as_deref().is_none_or(|h| h.eq_ignore_ascii_case(hostname));
    let ip_matches = id.ip.as_deref().is_none_or(|wanted| ip == Some(wanted));
    named && host_matches && ip_matches
}

fn agent_on(id: &MachineId, agent: &Agent) -> bool {
    on_machine(id, &agent.info.hostname, agent.address.ip.as_deref())
}

pub(crate) fn to_allocator(unavailability: &v1::Unavailability) -> Unavailability {
    Unavailability {
        start: Duration::from_nanos(unavailability.start.nanoseconds.max(0) as u64),
        duration: unavailability.duration.map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64)),
    }
}

pub(crate) fn to_proto(unavailability: &Unavailability) -> v1::Unavailability {
    let nanos = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    v1::Unavailability {
        start: v1::TimeInfo { nanoseconds: nanos(unavailability.start) },
        duration: unavailability.duration.map(|d| v1::DurationInfo { nanoseconds: nanos(d) }),
    }
}

impl Master {
    /// The machine (as the registry records it) that `agent` is on, if it
    /// is under maintenance.
    pub(crate) fn machine_of(&self, agent: &Agent) -> Option<&v1::MachineInfo> {
        self.registry.machines.values().map(|m| &m.info).find(|info| agent_on(&info.id, agent))
    }

    /// Ids of the registered agents on machine `id`.
    pub(crate) fn agents_on(&self, id: &MachineId) -> Vec<AgentId> {
        let mut agents: Vec<AgentId> = self.agents.values().filter(|a| agent_on(id, a)).map(|a| a.id.clone()).collect();
        agents.sort_by(|a, b| a.value.cmp(&b.value));
        agents
    }

    /// When `agent` will be unavailable, if its machine is draining.
    pub fn agent_unavailability(&self, agent: &AgentId) -> Option<v1::Unavailability> {
        let agent = self.agents.get(agent)?;
        let machine = self.machine_of(agent)?;
        (machine.mode == Some(machine_info::Mode::Draining as i32)).then_some(machine.unavailability)?
    }

    /// Whether an agent at `hostname`/`ip` is on a machine that is down (it
    /// may not register until the machine is brought up).
    pub(crate) fn machine_down(&self, hostname: &str, ip: Option<&str>) -> bool {
        self.registry
            .machines
            .values()
            .any(|m| m.info.mode == Some(machine_info::Mode::Down as i32) && on_machine(&m.info.id, hostname, ip))
    }

    /// An agent (re)joined: the allocator learns its machine's
    /// unavailability, and the operator's deactivation and draining of it
    /// (kept in the registry) apply again.
    pub(crate) fn apply_maintenance_to_agent(&mut self, id: &AgentId, now: Duration) {
        if let Some(unavailability) = self.agent_unavailability(id) {
            self.allocator.update_unavailability(id, Some(to_allocator(&unavailability)));
        }
        let Some(stored) = self.registry.agents.get(&id.value) else { return };
        let (drain, deactivated) = (stored.drain_info, stored.deactivated.unwrap_or(false));
        if let Some(agent) = self.agents.get_mut(id) {
            agent.drain_info = drain;
            if deactivated {
                agent.active = false;
                self.allocator.deactivate_agent(id);
            }
        }
        if drain.is_some() {
            self.kill_draining_tasks(id, now);
        }
    }

    /// GET_MAINTENANCE_SCHEDULE.
    pub fn maintenance_schedule(&self) -> Schedule {
        self.registry.schedule.clone().unwrap_or_default()
    }

    /// GET_MAINTENANCE_STATUS: draining machines with the frameworks'
    /// answers to their inverse offers, and machines that are down.
    pub fn maintenance_status(&self) -> ClusterStatus {
        let mut status = ClusterStatus::default();
        for (key, machine) in &self.registry.machines {
            match machine.info.mode.and_then(|m| machine_info::Mode::try_from(m).ok()) {
                Some(machine_info::Mode::Draining) => status.draining_machines.push(cluster_status::DrainingMachine {
                    id: machine.info.id.clone(),
                    statuses: self.inverse_offer_statuses.get(key).cloned().unwrap_or_default(),
                }),
                Some(machine_info::Mode::Down) => status.down_machines.push(machine.info.id.clone()),
                _ => {}
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_match_by_every_part_given() {
        let both = MachineId { hostname: Some("Host".into()), ip: Some("10.0.0.1".into()) };
        assert!(on_machine(&both, "host", Some("10.0.0.1")));
        assert!(!on_machine(&both, "host", Some("10.0.0.2")));
        let by_ip = MachineId { hostname: None, ip: Some("10.0.0.1".into()) };
        assert!(on_machine(&by_ip, "anything", Some("10.0.0.1")));
        assert!(!on_machine(&MachineId::default(), "host", None));
        assert_eq!(machine_key(&both), "Host/10.0.0.1");
    }
}
