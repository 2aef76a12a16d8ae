//! The registry's contents, kept in ordered maps keyed as its records are.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::Message;
use mesos_proto::internal::{self, RegistryAgent, RegistryLostAgent, RegistryMachine};
use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{AgentId, MasterInfo, WeightInfo};

use crate::error::RegistryError;
use crate::records::Key;

/// Everything the registry holds. Fields are public to read; change them
/// only through [`Registry::apply`](crate::Operation) so that stores see
/// every change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    /// The leader that last wrote the registry.
    pub master: Option<MasterInfo>,
    /// Admitted agents by id.
    pub agents: BTreeMap<String, RegistryAgent>,
    /// Agents marked unreachable, by id.
    pub unreachable: BTreeMap<String, RegistryLostAgent>,
    /// Agents marked gone, by id.
    pub gone: BTreeMap<String, RegistryLostAgent>,
    /// Machines under maintenance, by `hostname/ip`.
    pub machines: BTreeMap<String, RegistryMachine>,
    /// The maintenance schedule.
    pub schedule: Option<Schedule>,
    /// Quota by role.
    pub quota: BTreeMap<String, QuotaConfig>,
    /// Weights by role (roles without one weigh 1).
    pub weights: BTreeMap<String, f64>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn is_admitted(&self, agent: &AgentId) -> bool {
        self.agents.contains_key(&agent.value)
    }

    pub fn is_unreachable(&self, agent: &AgentId) -> bool {
        self.unreachable.contains_key(&agent.value)
    }

    pub fn is_gone(&self, agent: &AgentId) -> bool {
        self.gone.contains_key(&agent.value)
    }

    /// When an unreachable or gone agent was marked so.
    pub fn lost_since(record: &RegistryLostAgent) -> Duration {
        let nanos = record.timestamp.nanoseconds.max(0) as u64;
        Duration::from_nanos(nanos)
    }

    /// A registry from the whole message (as [`Registry::to_proto`] gives
    /// it, or as an operator restores it): every entry is checked as a
    /// stored record is, and an entry given twice is an error.
    pub fn from_proto(message: internal::Registry) -> Result<Registry, RegistryError> {
        let mut records: Vec<(String, Vec<u8>)> = Vec::new();
        let mut add = |key: Key, bytes: Vec<u8>| records.push((key.to_string(), bytes));
        if let Some(master) = &message.master {
            add(Key::Master, master.encode_to_vec());
        }
        for agent in &message.agents {
            let id = agent.info.id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
            add(Key::Agent(id), agent.encode_to_vec());
        }
        for lost in &message.unreachable {
            add(Key::Unreachable(lost.id.value.clone()), lost.encode_to_vec());
        }
        for lost in &message.gone {
            add(Key::Gone(lost.id.value.clone()), lost.encode_to_vec());
        }
        for machine in &message.machines {
            add(Key::Machine(crate::records::machine_key(&machine.info.id)), machine.encode_to_vec());
        }
        if let Some(schedule) = &message.schedule {
            add(Key::Schedule, schedule.encode_to_vec());
        }
        for config in &message.quota_configs {
            add(Key::Quota(config.role.clone()), config.encode_to_vec());
        }
        for weight in &message.weights {
            add(Key::Weight(weight.role.clone().unwrap_or_default()), weight.encode_to_vec());
        }
        let mut seen = std::collections::BTreeSet::new();
        for (key, _) in &records {
            if !seen.insert(key.clone()) {
                return Err(RegistryError::BadRecord { key: key.clone(), reason: "it is given twice".into() });
            }
        }
        Registry::from_records(records)
    }

    /// The whole registry in one message.
    pub fn to_proto(&self) -> internal::Registry {
        internal::Registry {
            master: self.master.clone(),
            agents: self.agents.values().cloned().collect(),
            machines: self.machines.values().cloned().collect(),
            schedule: self.schedule.clone(),
            weights: self
                .weights
                .iter()
                .map(|(role, weight)| WeightInfo { weight: *weight, role: Some(role.clone()) })
                .collect(),
            unreachable: self.unreachable.values().cloned().collect(),
            gone: self.gone.values().cloned().collect(),
            quota_configs: self.quota.values().cloned().collect(),
        }
    }
}
