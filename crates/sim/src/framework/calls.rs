//! The calls a simulated framework makes besides answering offers: a
//! MESSAGE to the executor of a running task, KILL of a live task,
//! SHUTDOWN of a task group's executor, UPDATE_FRAMEWORK with a new label,
//! answers to inverse offers, and TEARDOWN.

use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{AgentId, ExecutorId, Filters, InverseOffer, Label, Labels, OfferId, TaskId, TaskState};
use rand::Rng;
use rand::rngs::StdRng;

use super::SimFramework;

impl SimFramework {
    /// A task picked at random among those `keep` accepts.
    fn pick_task(&self, rng: &mut StdRng, keep: impl Fn(&str) -> bool) -> Option<String> {
        let tasks: Vec<&String> = self.launched.keys().filter(|t| keep(t)).collect();
        (!tasks.is_empty()).then(|| tasks[rng.random_range(0..tasks.len())].clone())
    }

    fn agent_of(&self, task: &str) -> AgentId {
        AgentId { value: self.launched.get(task).cloned().unwrap_or_default() }
    }

    /// MESSAGE to the executor of a running task (it answers).
    pub fn message_call(&mut self, rng: &mut StdRng) -> Option<Call> {
        let task = self.pick_task(rng, |t| self.last_state(t) == Some(TaskState::TaskRunning))?;
        let executor_id = ExecutorId { value: self.executor_of.get(&task)?.clone() };
        let data = format!("ping {}", self.messages_sent).into_bytes();
        self.messages_sent += 1;
        Some(Call {
            r#type: Some(call::Type::Message as i32),
            message: Some(call::Message { agent_id: self.agent_of(&task), executor_id, data }),
            ..Default::default()
        })
    }

    /// KILL of a task not known to have ended.
    pub fn kill_call(&mut self, rng: &mut StdRng) -> Option<Call> {
        let task = self.pick_task(rng, |t| self.last_state(t).is_none_or(|s| !s.is_terminal()))?;
        Some(Call {
            r#type: Some(call::Type::Kill as i32),
            kill: Some(call::Kill {
                task_id: TaskId { value: task.clone() },
                agent_id: Some(self.agent_of(&task)),
                kill_policy: None,
            }),
            ..Default::default()
        })
    }

    /// SHUTDOWN of the executor of a task group with a running task.
    pub fn shutdown_call(&mut self, rng: &mut StdRng) -> Option<Call> {
        let task = self.pick_task(rng, |t| {
            self.last_state(t) == Some(TaskState::TaskRunning) && self.executor_of.get(t).is_some_and(|e| e != t)
        })?;
        let executor_id = ExecutorId { value: self.executor_of.get(&task)?.clone() };
        Some(Call {
            r#type: Some(call::Type::Shutdown as i32),
            shutdown: Some(call::Shutdown { executor_id, agent_id: self.agent_of(&task) }),
            ..Default::default()
        })
    }

    /// UPDATE_FRAMEWORK with the next `version` label; the new info is
    /// also what it re-subscribes with from now on.
    pub fn update_framework_call(&mut self) -> Option<Call> {
        let id = self.id.clone()?;
        self.version += 1;
        self.info.labels =
            Some(Labels { labels: vec![Label { key: "version".into(), value: Some(self.version.to_string()) }] });
        let mut framework_info = self.info.clone();
        framework_info.id = Some(id);
        Some(Call {
            r#type: Some(call::Type::UpdateFramework as i32),
            update_framework: Some(call::UpdateFramework { framework_info, ..Default::default() }),
            ..Default::default()
        })
    }

    /// ACCEPT_INVERSE_OFFERS or DECLINE_INVERSE_OFFERS, at random.
    pub fn answer_inverse_offers(&self, offers: &[InverseOffer], rng: &mut StdRng) -> Call {
        let ids: Vec<OfferId> = offers.iter().map(|o| o.id.clone()).collect();
        let filters = Some(Filters { refuse_seconds: Some(rng.random_range(1.0..10.0)) });
        if rng.random_bool(0.5) {
            Call {
                r#type: Some(call::Type::AcceptInverseOffers as i32),
                accept_inverse_offers: Some(call::AcceptInverseOffers { inverse_offer_ids: ids, filters }),
                ..Default::default()
            }
        } else {
            Call {
                r#type: Some(call::Type::DeclineInverseOffers as i32),
                decline_inverse_offers: Some(call::DeclineInverseOffers { inverse_offer_ids: ids, filters }),
                ..Default::default()
            }
        }
    }

    /// TEARDOWN of itself.
    pub fn teardown_call(&mut self) -> Call {
        self.tearing_down = true;
        Call { r#type: Some(call::Type::Teardown as i32), ..Default::default() }
    }
}
