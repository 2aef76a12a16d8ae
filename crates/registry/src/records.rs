//! The registry as records: one key per agent, lost agent, machine, role
//! with quota or weight, plus the master and the schedule. A batch of
//! operations becomes [`Changes`]: the records to write and those to delete.

use std::fmt;

use mesos_proto::Message;
use mesos_proto::internal::{RegistryAgent, RegistryLostAgent, RegistryMachine};
use mesos_proto::v1::maintenance::Schedule;
use mesos_proto::v1::quota::QuotaConfig;
use mesos_proto::v1::{MachineId, MasterInfo, WeightInfo};

use crate::error::RegistryError;
use crate::registry::Registry;

/// Where a record lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Master,
    Agent(String),
    Unreachable(String),
    Gone(String),
    Machine(String),
    Schedule,
    Quota(String),
    Weight(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Master => write!(f, "master"),
            Key::Agent(id) => write!(f, "agents/{id}"),
            Key::Unreachable(id) => write!(f, "unreachable/{id}"),
            Key::Gone(id) => write!(f, "gone/{id}"),
            Key::Machine(machine) => write!(f, "machines/{machine}"),
            Key::Schedule => write!(f, "schedule"),
            Key::Quota(role) => write!(f, "quota/{role}"),
            Key::Weight(role) => write!(f, "weights/{role}"),
        }
    }
}

impl Key {
    /// Reads a key written by [`Key`]'s `Display`.
    pub fn parse(text: &str) -> Result<Key, RegistryError> {
        let key = match text.split_once('/') {
            None if text == "master" => Key::Master,
            None if text == "schedule" => Key::Schedule,
            Some(("agents", id)) if !id.is_empty() => Key::Agent(id.to_owned()),
            Some(("unreachable", id)) if !id.is_empty() => Key::Unreachable(id.to_owned()),
            Some(("gone", id)) if !id.is_empty() => Key::Gone(id.to_owned()),
            Some(("machines", machine)) if !machine.is_empty() => Key::Machine(machine.to_owned()),
            Some(("quota", role)) if !role.is_empty() => Key::Quota(role.to_owned()),
            Some(("weights", role)) if !role.is_empty() => Key::Weight(role.to_owned()),
            _ => return Err(RegistryError::UnknownKey(text.to_owned())),
        };
        Ok(key)
    }
}

/// The key of a machine: `hostname/ip` (either may be empty).
pub(crate) fn machine_key(id: &MachineId) -> String {
    format!("{}/{}", id.hostname.as_deref().unwrap_or(""), id.ip.as_deref().unwrap_or(""))
}

/// What a batch of operations changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Records to write (key, protobuf bytes), in key order.
    pub put: Vec<(String, Vec<u8>)>,
    /// Records to delete.
    pub delete: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.delete.is_empty()
    }

    /// The changes as bytes, for a store that must keep a batch aside
    /// before applying it: each record is a tag (1 put, 2 delete), the
    /// key's length and key, and for a put the value's length and value
    /// (lengths as 4-byte little-endian numbers).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let field = |bytes: &[u8], out: &mut Vec<u8>| {
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        };
        for (key, value) in &self.put {
            out.push(1);
            field(key.as_bytes(), &mut out);
            field(value, &mut out);
        }
        for key in &self.delete {
            out.push(2);
            field(key.as_bytes(), &mut out);
        }
        out
    }

    /// Reads [`Changes::encode`]'s bytes.
    pub fn decode(mut bytes: &[u8]) -> Result<Changes, RegistryError> {
        let bad = |reason: &str| RegistryError::BadRecord { key: "(a stored batch)".into(), reason: reason.into() };
        let field = |bytes: &mut &[u8]| -> Result<Vec<u8>, RegistryError> {
            let (length, rest) = bytes.split_first_chunk::<4>().ok_or_else(|| bad("truncated length"))?;
            let length = u32::from_le_bytes(*length) as usize;
            if rest.len() < length {
                return Err(bad("truncated field"));
            }
            let (value, rest) = rest.split_at(length);
            *bytes = rest;
            Ok(value.to_vec())
        };
        let mut changes = Changes::default();
        while let Some((tag, rest)) = bytes.split_first() {
            bytes = rest;
            let key = String::from_utf8(field(&mut bytes)?).map_err(|_| bad("a key is not text"))?;
            match tag {
                1 => changes.put.push((key, field(&mut bytes)?)),
                2 => changes.delete.push(key),
                _ => return Err(bad("unknown tag")),
            }
        }
        Ok(changes)
    }
}

impl Registry {
    /// The current bytes of a record; `None` when it does not exist.
    pub fn record(&self, key: &Key) -> Option<Vec<u8>> {
        match key {
            Key::Master => self.master.as_ref().map(Message::encode_to_vec),
            Key::Agent(id) => self.agents.get(id).map(Message::encode_to_vec),
            Key::Unreachable(id) => self.unreachable.get(id).map(Message::encode_to_vec),
            Key::Gone(id) => self.gone.get(id).map(Message::encode_to_vec),
            Key::Machine(machine) => self.machines.get(machine).map(Message::encode_to_vec),
            Key::Schedule => self.schedule.as_ref().map(Message::encode_to_vec),
            Key::Quota(role) => self.quota.get(role).map(Message::encode_to_vec),
            Key::Weight(role) => self
                .weights
                .get(role)
                .map(|weight| WeightInfo { weight: *weight, role: Some(role.clone()) }.encode_to_vec()),
        }
    }

    /// Every record, in key order.
    pub fn records(&self) -> Vec<(String, Vec<u8>)> {
        let keys = std::iter::once(Key::Master)
            .chain(self.agents.keys().cloned().map(Key::Agent))
            .chain(self.unreachable.keys().cloned().map(Key::Unreachable))
            .chain(self.gone.keys().cloned().map(Key::Gone))
            .chain(self.machines.keys().cloned().map(Key::Machine))
            .chain(std::iter::once(Key::Schedule))
            .chain(self.quota.keys().cloned().map(Key::Quota))
            .chain(self.weights.keys().cloned().map(Key::Weight));
        let mut records: Vec<(String, Vec<u8>)> =
            keys.filter_map(|key| self.record(&key).map(|bytes| (key.to_string(), bytes))).collect();
        records.sort();
        records
    }

    /// The records to write and delete after `keys` were touched.
    pub fn changes(&self, keys: impl IntoIterator<Item = Key>) -> Changes {
        let mut keys: Vec<Key> = keys.into_iter().collect();
        keys.sort();
        keys.dedup();
        let mut changes = Changes::default();
        for key in keys {
            match self.record(&key) {
                Some(bytes) => changes.put.push((key.to_string(), bytes)),
                None => changes.delete.push(key.to_string()),
            }
        }
        changes
    }

    /// Rebuilds a registry from its records; a record that does not decode
    /// or whose content contradicts its key is an error, never skipped.
    pub fn from_records<K: AsRef<str>, V: AsRef<[u8]>>(
        records: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Registry, RegistryError> {
        let mut registry = Registry::new();
        for (key, bytes) in records {
            let (text, bytes) = (key.as_ref(), bytes.as_ref());
            let bad = |reason: String| RegistryError::BadRecord { key: text.to_owned(), reason };
            let decode_error = |error: mesos_proto::DecodeProtoError| bad(error.to_string());
            match Key::parse(text)? {
                Key::Master => registry.master = Some(MasterInfo::decode(bytes).map_err(decode_error)?),
                Key::Agent(id) => {
                    let agent = RegistryAgent::decode(bytes).map_err(decode_error)?;
                    if agent.info.id.as_ref().map(|i| i.value.as_str()) != Some(id.as_str()) {
                        return Err(bad("the agent's id is not the key's".into()));
                    }
                    registry.agents.insert(id, agent);
                }
                Key::Unreachable(id) => {
                    let lost = RegistryLostAgent::decode(bytes).map_err(decode_error)?;
                    check_lost(&lost, &id).map_err(bad)?;
                    registry.unreachable.insert(id, lost);
                }
                Key::Gone(id) => {
                    let lost = RegistryLostAgent::decode(bytes).map_err(decode_error)?;
                    check_lost(&lost, &id).map_err(bad)?;
                    registry.gone.insert(id, lost);
                }
                Key::Machine(machine) => {
                    let record = RegistryMachine::decode(bytes).map_err(decode_error)?;
                    if machine_key(&record.info.id) != machine {
                        return Err(bad("the machine's id is not the key's".into()));
                    }
                    registry.machines.insert(machine, record);
                }
                Key::Schedule => registry.schedule = Some(Schedule::decode(bytes).map_err(decode_error)?),
                Key::Quota(role) => {
                    let config = QuotaConfig::decode(bytes).map_err(decode_error)?;
                    if config.role != role {
                        return Err(bad("the quota's role is not the key's".into()));
                    }
                    registry.quota.insert(role, config);
                }
                Key::Weight(role) => {
                    let info = WeightInfo::decode(bytes).map_err(decode_error)?;
                    if info.role.as_deref() != Some(role.as_str()) {
                        return Err(bad("the weight's role is not the key's".into()));
                    }
                    registry.weights.insert(role, info.weight);
                }
            }
        }
        Ok(registry)
    }
}

fn check_lost(lost: &RegistryLostAgent, id: &str) -> Result<(), String> {
    if lost.id.value != id {
        return Err("the agent's id is not the key's".into());
    }
    Ok(())
}
