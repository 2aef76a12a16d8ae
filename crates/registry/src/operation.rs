//! The operations that change the registry, and the pure function that
//! applies them. Each reports the keys it touched, so that a store writes
//! only those records.

use std::time::Duration;

use mesos_proto::internal::{RegistryAgent, RegistryLostAgent, RegistryMachine};
use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{AgentId, AgentInfo, DrainInfo, MachineInfo, MasterInfo, TimeInfo};

use crate::error::RegistryError;
use crate::records::{Key, machine_key};
use crate::registry::Registry;

/// A change to the registry, as the master asks for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// The leader records itself.
    SetMaster(MasterInfo),
    /// A new agent joins: its id must be new.
    AdmitAgent(AgentInfo),
    /// An admitted agent came back with different information.
    UpdateAgent(AgentInfo),
    /// An agent re-registers: admitted again if it was unreachable (or is
    /// no longer known at all, its record having been pruned).
    MarkAgentReachable(AgentInfo),
    /// An admitted agent stopped answering.
    MarkAgentUnreachable { id: AgentId, time: Duration },
    /// The operator says an agent will never come back.
    MarkAgentGone { id: AgentId, time: Duration },
    /// An agent left the cluster (it unregistered, or a new agent took its
    /// place on the same address).
    RemoveAgent(AgentId),
    /// Forgets unreachable and gone agents older than `max_age`, and the
    /// oldest beyond `max_count` of each kind.
    Prune { now: Duration, max_age: Duration, max_count: usize },
    /// An agent's draining state and whether it is deactivated.
    UpdateAgentDrain { id: AgentId, drain: Option<DrainInfo>, deactivated: bool },
    /// Sets quota; a config with no guarantees and no limits removes it.
    UpdateQuota(Vec<QuotaConfig>),
    /// Sets weights; a weight of 1 removes the role's entry.
    UpdateWeights(Vec<(String, f64)>),
    /// Replaces the maintenance schedule.
    UpdateSchedule(Schedule),
    /// Sets the maintenance mode of machines; UP machines are forgotten.
    UpdateMachines(Vec<MachineInfo>),
}

impl Registry {
    /// Applies `operation`; on error the registry is unchanged. Returns the
    /// keys of the records it changed (possibly none).
    pub fn apply(&mut self, operation: &Operation) -> Result<Vec<Key>, RegistryError> {
        match operation {
            Operation::SetMaster(info) => {
                self.master = Some(info.clone());
                Ok(vec![Key::Master])
            }
            Operation::AdmitAgent(info) => {
                let id = agent_id(info)?;
                if self.agents.contains_key(&id) {
                    return Err(RegistryError::AlreadyAdmitted(id));
                }
                if self.gone.contains_key(&id) {
                    return Err(RegistryError::Gone(id));
                }
                self.agents
                    .insert(id.clone(), RegistryAgent { info: info.clone(), drain_info: None, deactivated: None });
                Ok(vec![Key::Agent(id)])
            }
            Operation::UpdateAgent(info) => {
                let id = agent_id(info)?;
                let agent = self.agents.get_mut(&id).ok_or_else(|| RegistryError::NotAdmitted(id.clone()))?;
                agent.info = info.clone();
                Ok(vec![Key::Agent(id)])
            }
            Operation::MarkAgentReachable(info) => {
                let id = agent_id(info)?;
                if self.gone.contains_key(&id) {
                    return Err(RegistryError::Gone(id));
                }
                let mut keys = vec![Key::Agent(id.clone())];
                let lost = self.unreachable.remove(&id);
                if lost.is_some() {
                    keys.push(Key::Unreachable(id.clone()));
                }
                let (drain_info, deactivated) = lost.map(|l| (l.drain_info, l.deactivated)).unwrap_or_default();
                self.agents.insert(id, RegistryAgent { info: info.clone(), drain_info, deactivated });
                Ok(keys)
            }
            Operation::MarkAgentUnreachable { id, time } => {
                let agent =
                    self.agents.remove(&id.value).ok_or_else(|| RegistryError::NotAdmitted(id.value.clone()))?;
                self.unreachable.insert(id.value.clone(), lost(id, *time, agent.drain_info, agent.deactivated));
                Ok(vec![Key::Agent(id.value.clone()), Key::Unreachable(id.value.clone())])
            }
            Operation::MarkAgentGone { id, time } => {
                if self.gone.contains_key(&id.value) {
                    return Ok(Vec::new());
                }
                let (key, drain, deactivated) = if let Some(agent) = self.agents.remove(&id.value) {
                    (Key::Agent(id.value.clone()), agent.drain_info, agent.deactivated)
                } else if let Some(lost) = self.unreachable.remove(&id.value) {
                    (Key::Unreachable(id.value.clone()), lost.drain_info, lost.deactivated)
                } else {
                    return Err(RegistryError::UnknownAgent(id.value.clone()));
                };
                self.gone.insert(id.value.clone(), lost(id, *time, drain, deactivated));
                Ok(vec![key, Key::Gone(id.value.clone())])
            }
            Operation::RemoveAgent(id) => {
                if self.agents.remove(&id.value).is_none() {
                    return Err(RegistryError::NotAdmitted(id.value.clone()));
                }
                Ok(vec![Key::Agent(id.value.clone())])
            }
            Operation::Prune { now, max_age, max_count } => {
                let mut keys: Vec<Key> = prune(&mut self.unreachable, *now, *max_age, *max_count)
                    .into_iter()
                    .map(Key::Unreachable)
                    .collect();
                keys.extend(prune(&mut self.gone, *now, *max_age, *max_count).into_iter().map(Key::Gone));
                Ok(keys)
            }
            Operation::UpdateAgentDrain { id, drain, deactivated } => {
                let deactivated = Some(*deactivated);
                if let Some(agent) = self.agents.get_mut(&id.value) {
                    agent.drain_info = *drain;
                    agent.deactivated = deactivated;
                    Ok(vec![Key::Agent(id.value.clone())])
                } else if let Some(lost) = self.unreachable.get_mut(&id.value) {
                    lost.drain_info = *drain;
                    lost.deactivated = deactivated;
                    Ok(vec![Key::Unreachable(id.value.clone())])
                } else {
                    Err(RegistryError::UnknownAgent(id.value.clone()))
                }
            }
            Operation::UpdateQuota(configs) => {
                let mut keys = Vec::new();
                for config in configs {
                    if config.guarantees.is_empty() && config.limits.is_empty() {
                        self.quota.remove(&config.role);
                    } else {
                        self.quota.insert(config.role.clone(), config.clone());
                    }
                    keys.push(Key::Quota(config.role.clone()));
                }
                Ok(keys)
            }
            Operation::UpdateWeights(weights) => {
                if let Some((role, weight)) = weights.iter().find(|(_, w)| !(w.is_finite() && *w > 0.0)) {
                    return Err(RegistryError::InvalidWeight { role: role.clone(), weight: *weight });
                }
                let mut keys = Vec::new();
                for (role, weight) in weights {
                    if *weight == 1.0 {
                        self.weights.remove(role);
                    } else {
                        self.weights.insert(role.clone(), *weight);
                    }
                    keys.push(Key::Weight(role.clone()));
                }
                Ok(keys)
            }
            Operation::UpdateSchedule(schedule) => {
                self.schedule = (!schedule.windows.is_empty()).then(|| schedule.clone());
                Ok(vec![Key::Schedule])
            }
            Operation::UpdateMachines(machines) => {
                let mut keys = Vec::new();
                for info in machines {
                    let key = machine_key(&info.id);
                    let up = info.mode == Some(mesos_proto::v1::machine_info::Mode::Up as i32) || info.mode.is_none();
                    if up {
                        self.machines.remove(&key);
                    } else {
                        self.machines.insert(key.clone(), RegistryMachine { info: info.clone() });
                    }
                    keys.push(Key::Machine(key));
                }
                Ok(keys)
            }
        }
    }
}

fn agent_id(info: &AgentInfo) -> Result<String, RegistryError> {
    info.id.as_ref().map(|id| id.value.clone()).ok_or_else(|| RegistryError::UnknownAgent(String::new()))
}

fn lost(id: &AgentId, time: Duration, drain_info: Option<DrainInfo>, deactivated: Option<bool>) -> RegistryLostAgent {
    RegistryLostAgent {
        id: id.clone(),
        timestamp: TimeInfo { nanoseconds: time.as_nanos().min(i64::MAX as u128) as i64 },
        drain_info,
        deactivated,
    }
}

/// Removes entries older than `max_age`, then the oldest beyond `max_count`;
/// returns the ids removed.
fn prune(
    entries: &mut std::collections::BTreeMap<String, RegistryLostAgent>,
    now: Duration,
    max_age: Duration,
    max_count: usize,
) -> Vec<String> {
    let mut by_age: Vec<(Duration, String)> =
        entries.iter().map(|(id, lost)| (Registry::lost_since(lost), id.clone())).collect();
    by_age.sort();
    let excess = by_age.len().saturating_sub(max_count);
    let removed: Vec<String> = by_age
        .into_iter()
        .enumerate()
        .filter(|(index, (since, _))| *index < excess || now.saturating_sub(*since) > max_age)
        .map(|(_, (_, id))| id)
        .collect();
    for id in &removed {
        entries.remove(id);
    }
    removed
}
