//! Identifier helpers: the formats the master generates and the validation
//! Mesos applies to identifiers chosen by frameworks.

use mesos_proto::v1::{AgentId, ExecutorId, FrameworkId, OfferId, TaskId};

/// Mesos's rules for framework-chosen identifiers (task and executor ids):
/// non-empty, at most 255 bytes, not `.` or `..`, and no control characters,
/// slashes or backslashes.
pub fn validate(kind: &str, id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("{kind} must not be empty"));
    }
    if id.len() > 255 {
        return Err(format!("{kind} '{id}' is longer than 255 bytes"));
    }
    if id == "." || id == ".." {
        return Err(format!("{kind} must not be '.' or '..'"));
    }
    if id.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        return Err(format!("{kind} '{}' contains a control character, '/' or '\\'", id.escape_debug()));
    }
    Ok(())
}

pub fn framework(value: impl Into<String>) -> FrameworkId {
    FrameworkId { value: value.into() }
}

pub fn agent(value: impl Into<String>) -> AgentId {
    AgentId { value: value.into() }
}

pub fn offer(value: impl Into<String>) -> OfferId {
    OfferId { value: value.into() }
}

pub fn task(value: impl Into<String>) -> TaskId {
    TaskId { value: value.into() }
}

pub fn executor(value: impl Into<String>) -> ExecutorId {
    ExecutorId { value: value.into() }
}

/// Generates ids as Mesos formats them: `<master>-0000` for frameworks,
/// `<master>-S0` for agents, `<master>-O0` for offers.
#[derive(Debug, Default)]
pub struct IdGenerator {
    master_id: String,
    frameworks: u64,
    agents: u64,
    offers: u64,
}

impl IdGenerator {
    pub fn new(master_id: &str) -> IdGenerator {
        IdGenerator { master_id: master_id.to_owned(), ..IdGenerator::default() }
    }

    pub fn next_framework(&mut self) -> FrameworkId {
        let id = framework(format!("{}-{:04}", self.master_id, self.frameworks));
        self.frameworks += 1;
        id
    }

    pub fn next_agent(&mut self) -> AgentId {
        let id = agent(format!("{}-S{}", self.master_id, self.agents));
        self.agents += 1;
        id
    }

    pub fn next_offer(&mut self) -> OfferId {
        let id = offer(format!("{}-O{}", self.master_id, self.offers));
        self.offers += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_validation() {
        let mut ids = IdGenerator::new("m");
        assert_eq!(ids.next_framework().value, "m-0000");
        assert_eq!(ids.next_framework().value, "m-0001");
        assert_eq!(ids.next_agent().value, "m-S0");
        assert_eq!(ids.next_offer().value, "m-O0");
        assert!(validate("task id", "ok-1.2_3").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(validate("task id", bad).is_err(), "{bad:?}");
        }
    }
}
