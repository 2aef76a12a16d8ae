//! Which inputs of the cores a simulated run exercised, and which actions
//! they decided: counted by kind, so that a test can show that every
//! variant of each core's input is simulated.

use std::collections::BTreeMap;

use mesos_agent_core::{AgentAction, AgentInput};

/// Counts by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub agent_inputs: BTreeMap<&'static str, u64>,
    pub agent_actions: BTreeMap<&'static str, u64>,
}

impl Coverage {
    pub fn agent_input(&mut self, input: &AgentInput) {
        *self.agent_inputs.entry(input.kind()).or_default() += 1;
    }

    pub fn agent_action(&mut self, action: &AgentAction) {
        let kind = match action {
            AgentAction::ToMaster(_) => "ToMaster",
            AgentAction::LaunchExecutor(_) => "LaunchExecutor",
            AgentAction::UpdateContainer { .. } => "UpdateContainer",
            AgentAction::DestroyContainer { .. } => "DestroyContainer",
            AgentAction::ToExecutor { .. } => "ToExecutor",
            AgentAction::CloseExecutor { .. } => "CloseExecutor",
            AgentAction::Checkpoint { .. } => "Checkpoint",
            AgentAction::Abort { .. } => "Abort",
            AgentAction::Shutdown { .. } => "Shutdown",
        };
        *self.agent_actions.entry(kind).or_default() += 1;
    }

    /// Adds another run's counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (kind, count) in &other.agent_inputs {
            *self.agent_inputs.entry(kind).or_default() += count;
        }
        for (kind, count) in &other.agent_actions {
            *self.agent_actions.entry(kind).or_default() += count;
        }
    }

    /// Kinds of agent input (master messages included) never exercised.
    pub fn missing_agent_inputs(&self) -> Vec<&'static str> {
        AgentInput::KINDS
            .iter()
            .chain(mesos_agent_core::FromMaster::KINDS)
            .copied()
            .filter(|kind| !self.agent_inputs.contains_key(kind))
            .collect()
    }
}
