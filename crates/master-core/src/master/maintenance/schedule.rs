//! UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE and STOP_MAINTENANCE,
//! validated as Mesos validates them, stored in the registry, and what
//! follows once they are stored: agents on newly scheduled machines are
//! drained of offers (their new offers carry the unavailability and their
//! frameworks get inverse offers), agents on machines taken down are
//! removed, and machines brought up are forgotten.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::{MachineId, MachineInfo, machine_info, task_status::Reason};
use mesos_registry::Operation;

use super::{machine_key, to_allocator};
use crate::error::ApiError;
use crate::master::Master;
use crate::master::registrar::Continuation;

fn check_machine(id: &MachineId) -> Result<(), ApiError> {
    let hostname = id.hostname.as_deref().unwrap_or("");
    let ip = id.ip.as_deref().unwrap_or("");
    if hostname.is_empty() && ip.is_empty() {
        return Err(ApiError::bad_request("A machine must have a hostname or an IP"));
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(ApiError::bad_request(format!("'{ip}' is not an IP address")));
    }
    Ok(())
}

fn mode_of(info: &MachineInfo) -> machine_info::Mode {
    info.mode.and_then(|m| machine_info::Mode::try_from(m).ok()).unwrap_or(machine_info::Mode::Up)
}

impl Master {
    fn machine_mode(&self, id: &MachineId) -> machine_info::Mode {
        self.registry.machines.get(&machine_key(id)).map_or(machine_info::Mode::Up, |m| mode_of(&m.info))
    }

    /// UPDATE_MAINTENANCE_SCHEDULE: replaces the schedule. Every machine is
    /// in at most one window; machines that are down must stay scheduled.
    pub(crate) fn update_maintenance_schedule(&mut self, schedule: Schedule) -> Result<Option<u64>, ApiError> {
        let mut seen = BTreeSet::new();
        let mut changes = Vec::new();
        for window in &schedule.windows {
            if window.machine_ids.is_empty() {
                return Err(ApiError::bad_request("A maintenance window must name at least one machine"));
            }
            if window.unavailability.duration.is_some_and(|d| d.nanoseconds < 0) {
                return Err(ApiError::bad_request("A maintenance window's duration must not be negative"));
            }
            for id in &window.machine_ids {
                check_machine(id)?;
                if !seen.insert(machine_key(id)) {
                    return Err(ApiError::bad_request(format!(
                        "Machine '{}' appears in more than one maintenance window",
                        machine_key(id)
                    )));
                }
                // Scheduled machines drain; down ones stay down.
                if self.machine_mode(id) != machine_info::Mode::Down {
                    changes.push(MachineInfo {
                        id: id.clone(),
                        mode: Some(machine_info::Mode::Draining as i32),
                        unavailability: Some(window.unavailability),
                    });
                }
            }
        }
        for (key, machine) in &self.registry.machines {
            if seen.contains(key) {
                continue;
            }
            if mode_of(&machine.info) == machine_info::Mode::Down {
                return Err(ApiError::bad_request(format!(
                    "Machine '{key}' is down and must stay in the schedule until it is brought up"
                )));
            }
            changes.push(MachineInfo {
                id: machine.info.id.clone(),
                mode: Some(machine_info::Mode::Up as i32),
                unavailability: None,
            });
        }
        self.store(Operation::UpdateSchedule(schedule), Continuation::Record);
        Ok(Some(self.store(Operation::UpdateMachines(changes), Continuation::Record)))
    }

    fn check_machine_list(machines: &[MachineId]) -> Result<(), ApiError> {
        if machines.is_empty() {
            return Err(ApiError::bad_request("Expecting at least one machine"));
        }
        let mut seen = BTreeSet::new();
        for id in machines {
            check_machine(id)?;
            if !seen.insert(machine_key(id)) {
                return Err(ApiError::bad_request(format!("Machine '{}' is given twice", machine_key(id))));
            }
        }
        Ok(())
    }

    /// START_MAINTENANCE: scheduled machines go down; their agents are
    /// removed and may not register until the machines are brought up.
    pub(crate) fn start_maintenance(&mut self, machines: Vec<MachineId>) -> Result<Option<u64>, ApiError> {
        Self::check_machine_list(&machines)?;
        let mut changes = Vec::new();
        for id in machines {
            let Some(machine) = self.registry.machines.get(&machine_key(&id)) else {
                return Err(ApiError::bad_request(format!(
                    "Machine '{}' is not scheduled for maintenance",
                    machine_key(&id)
                )));
            };
            if mode_of(&machine.info) != machine_info::Mode::Draining {
                return Err(ApiError::bad_request(format!("Machine '{}' is already down", machine_key(&id))));
            }
            changes.push(MachineInfo { mode: Some(machine_info::Mode::Down as i32), ..machine.info.clone() });
        }
        Ok(Some(self.store(Operation::UpdateMachines(changes), Continuation::Record)))
    }

    /// STOP_MAINTENANCE: machines that are down come back up and leave the
    /// schedule.
    pub(crate) fn stop_maintenance(&mut self, machines: Vec<MachineId>) -> Result<Option<u64>, ApiError> {
        Self::check_machine_list(&machines)?;
        let keys: BTreeSet<String> = machines.iter().map(machine_key).collect();
        for id in &machines {
            if self.machine_mode(id) != machine_info::Mode::Down {
                return Err(ApiError::bad_request(format!("Machine '{}' is not down", machine_key(id))));
            }
        }
        let mut schedule = self.maintenance_schedule();
        for window in &mut schedule.windows {
            window.machine_ids.retain(|id| !keys.contains(&machine_key(id)));
        }
        schedule.windows.retain(|w| !w.machine_ids.is_empty());
        let up = machines
            .into_iter()
            .map(|id| MachineInfo { id, mode: Some(machine_info::Mode::Up as i32), unavailability: None })
            .collect();
        self.store(Operation::UpdateSchedule(schedule), Continuation::Record);
        Ok(Some(self.store(Operation::UpdateMachines(up), Continuation::Record)))
    }

    /// Machines' new modes are stored: their agents follow.
    pub(crate) fn machines_recorded(&mut self, machines: &[MachineInfo], now: Duration) {
        for machine in machines {
            let agents = self.agents_on(&machine.id);
            match mode_of(machine) {
                machine_info::Mode::Draining => {
                    let unavailability = machine.unavailability.as_ref().map(to_allocator);
                    for agent in agents {
                        self.allocator.update_unavailability(&agent, unavailability);
                        // Offers made before carry no unavailability.
                        self.rescind_agent_offers(&agent, now);
                    }
                }
                machine_info::Mode::Up => {
                    self.inverse_offer_statuses.remove(&machine_key(&machine.id));
                    for agent in agents {
                        self.allocator.update_unavailability(&agent, None);
                        self.rescind_inverse_offers_on(&agent);
                    }
                }
                machine_info::Mode::Down => {
                    self.inverse_offer_statuses.remove(&machine_key(&machine.id));
                    for agent in agents {
                        self.take_down(&agent, now);
                    }
                }
            }
        }
        self.allocation_wanted = true;
    }

    /// An agent on a machine that went down: told to shut down, removed.
    fn take_down(&mut self, agent: &mesos_proto::v1::AgentId, now: Duration) {
        self.rescind_inverse_offers_on(agent);
        let shutdown = AgentEvent {
            r#type: Some(agent_event::Type::Shutdown as i32),
            shutdown: Some(agent_event::Shutdown {
                message: Some("The agent's machine is down for maintenance".into()),
            }),
            ..Default::default()
        };
        self.send_to_agent(agent, shutdown);
        self.remove_agent(agent, now, Reason::AgentRemovedByOperator, "The agent's machine is down for maintenance");
        self.forget_removed_agent(agent);
    }
}
