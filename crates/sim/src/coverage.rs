//! Which inputs of the cores a simulated run exercised, and which actions
//! they decided: counted by kind, so that a test can show that every
//! variant of each core's input is simulated, but for the few that cannot
//! occur ([`EXCLUDED`], each with its reason).

use std::collections::BTreeMap;

use mesos_agent_core::{AgentAction, AgentInput, FromMaster};
use mesos_master_core::input::OperatorCall;
use mesos_master_core::{Action, Input};

/// Input kinds no simulated run can exercise, and why.
pub const EXCLUDED: &[(&str, &str)] = &[(
    "Error",
    "FromMaster::Error: the master core never sends ERROR to an agent (it refuses a bad agent call \
     with an HTTP status, which the agent daemon logs), so no run can deliver one",
)];

/// Counts by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub agent_inputs: BTreeMap<&'static str, u64>,
    pub agent_actions: BTreeMap<&'static str, u64>,
    pub master_inputs: BTreeMap<&'static str, u64>,
    pub master_actions: BTreeMap<&'static str, u64>,
    /// Scheduler calls by wire type (SUBSCRIBE is its own input).
    pub scheduler_calls: BTreeMap<&'static str, u64>,
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

    pub fn master_input(&mut self, input: &Input) {
        *self.master_inputs.entry(input.kind()).or_default() += 1;
        if let Input::SchedulerCall { call, .. } = input {
            *self.scheduler_calls.entry(call.wire_type().as_str_name()).or_default() += 1;
        }
    }

    pub fn master_action(&mut self, action: &Action) {
        let kind = match action {
            Action::ToFramework { .. } => "ToFramework",
            Action::CloseFramework { .. } => "CloseFramework",
            Action::ToAgent { .. } => "ToAgent",
            Action::CloseAgent { .. } => "CloseAgent",
            Action::Registry { .. } => "Registry",
            Action::Abort { .. } => "Abort",
            Action::ToOperator { .. } => "ToOperator",
            Action::ToOperators { .. } => "ToOperators",
            Action::CloseOperator { .. } => "CloseOperator",
        };
        *self.master_actions.entry(kind).or_default() += 1;
    }

    /// Adds another run's counts.
    pub fn merge(&mut self, other: &Coverage) {
        let maps = [
            (&mut self.agent_inputs, &other.agent_inputs),
            (&mut self.agent_actions, &other.agent_actions),
            (&mut self.master_inputs, &other.master_inputs),
            (&mut self.master_actions, &other.master_actions),
            (&mut self.scheduler_calls, &other.scheduler_calls),
        ];
        for (mine, theirs) in maps {
            for (kind, count) in theirs {
                *mine.entry(kind).or_default() += count;
            }
        }
    }

    /// Kinds of master input (operator calls included) never exercised.
    pub fn missing_master_inputs(&self) -> Vec<&'static str> {
        Input::KINDS
            .iter()
            .chain(OperatorCall::KINDS)
            .copied()
            .filter(|kind| !self.master_inputs.contains_key(kind))
            .collect()
    }

    /// Kinds of agent input (master messages included) never exercised.
    pub fn missing_agent_inputs(&self) -> Vec<&'static str> {
        AgentInput::KINDS
            .iter()
            .chain(FromMaster::KINDS)
            .copied()
            .filter(|kind| !self.agent_inputs.contains_key(kind))
            .collect()
    }

    /// Kinds of either core's input never exercised, but for the
    /// [`EXCLUDED`] ones.
    pub fn missing(&self) -> Vec<&'static str> {
        self.missing_agent_inputs()
            .into_iter()
            .chain(self.missing_master_inputs())
            .filter(|kind| !EXCLUDED.iter().any(|(excluded, _)| excluded == kind))
            .collect()
    }
}
