//! What a framework receives, and the promises it checks as it receives
//! it. Mesos promises a framework that:
//! - the updates of a task that carry a uuid arrive in the order their
//!   executor or agent sent them (a resent one may arrive again, never
//!   after a later one);
//! - a task's end is reported once: no two terminal updates with
//!   different uuids (master-made updates carry none);
//! - an end is never undone: after a task is reported finished, failed,
//!   killed, errored, dropped, gone or gone by the operator (or lost, for
//!   a partition-aware framework, which the master never tells TASK_LOST)
//!   no live state follows. The exceptions are what Mesos does:
//!   - TASK_LOST for a framework that is not partition-aware may be
//!     followed by the task's return when its agent comes back;
//!   - a reconciliation answer for a task the master does not know (after
//!     a failover, or on an agent it removed) is TASK_UNKNOWN or
//!     TASK_UNREACHABLE whatever the framework heard before;
//!   - when an agent the master had lost comes back, the master tells the
//!     frameworks each task's latest state at once (REASON_AGENT_REREGISTERED,
//!     no uuid), ahead of the updates the agent still has to deliver in
//!     order: that early word is not an end, the agent's own updates (and
//!     reconciliation, which reports the update awaiting acknowledgement)
//!     may still tell the states before it;
//! - an executor's MESSAGE is one the executor was sent (the simulated
//!   executors answer `ping N` with `re: ping N`).

use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{TaskState, TaskStatus, task_status::Reason};

use super::{SimFramework, generation};

/// An update as the framework received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The generation number encoded in the update's uuid, if a simulated
    /// executor made it.
    pub generation: Option<u64>,
    pub state: TaskState,
    pub reason: Option<i32>,
    pub uuid: Option<Vec<u8>>,
}

/// Whether `state` ends a task for good for this kind of framework.
pub fn is_final(state: TaskState, partition_aware: bool) -> bool {
    use TaskState::*;
    match state {
        TaskFinished | TaskFailed | TaskKilled | TaskError | TaskDropped | TaskGone | TaskGoneByOperator => true,
        TaskLost => partition_aware,
        _ => false,
    }
}

impl SimFramework {
    /// Records an update; returns the ACKNOWLEDGE to send, if it needs one.
    pub fn record(&mut self, status: &TaskStatus) -> Option<Call> {
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        let received =
            Received { generation: generation(status), state, reason: status.reason, uuid: status.uuid.clone() };
        let task = status.task_id.value.clone();
        if let Some(broken) = self.broken_promise(&task, &received) {
            self.violation.get_or_insert(broken);
        }
        self.received.entry(task).or_default().push(received);
        let uuid = status.uuid.clone()?;
        Some(Call {
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: status.agent_id.clone()?,
                task_id: status.task_id.clone(),
                uuid,
            }),
            ..Default::default()
        })
    }

    /// What is wrong with receiving `new` after what it heard of `task`.
    fn broken_promise(&self, task: &str, new: &Received) -> Option<String> {
        let before = self.received.get(task).map(Vec::as_slice).unwrap_or_default();
        let name = self.name();
        let states = || {
            before
                .iter()
                .map(|r| {
                    let reason = r.reason.and_then(|r| Reason::try_from(r).ok()).map(|r| r.as_str_name());
                    let source = if r.generation.is_some() {
                        "executor"
                    } else if r.uuid.is_some() {
                        "agent"
                    } else {
                        "master"
                    };
                    format!("{:?} ({source}, {reason:?})", r.state)
                })
                .collect::<Vec<_>>()
        };
        if let Some(generation) = new.generation
            && let Some(later) = before.iter().filter_map(|r| r.generation).find(|g| *g > generation)
        {
            return Some(format!(
                "{name} received update {generation} of {task} after update {later}: out of order ({:?})",
                states()
            ));
        }
        if new.state.is_terminal()
            && let Some(uuid) = &new.uuid
            && let Some(other) =
                before.iter().find(|r| r.state.is_terminal() && r.uuid.as_ref().is_some_and(|u| u != uuid))
        {
            return Some(format!(
                "{name} heard {task} end twice: {:?} and then {:?}, with different uuids ({:?})",
                other.state,
                new.state,
                states()
            ));
        }
        let partition_aware = self.partition_aware();
        let early_word = |r: &Received| r.uuid.is_none() && r.reason == Some(Reason::AgentReregistered as i32);
        let ended = before.iter().find(|r| is_final(r.state, partition_aware) && !early_word(r));
        let reconciled_unknown = new.reason == Some(Reason::Reconciliation as i32)
            && matches!(new.state, TaskState::TaskUnknown | TaskState::TaskUnreachable);
        if let Some(ended) = ended
            && !new.state.is_terminal()
            && !reconciled_unknown
        {
            return Some(format!(
                "{name} heard {task} {:?} (reason {:?}) after it ended {:?}: {:?}",
                new.state,
                new.reason.and_then(|r| Reason::try_from(r).ok()),
                ended.state,
                states()
            ));
        }
        None
    }

    /// Records an executor's MESSAGE.
    pub fn record_message(&mut self, data: Vec<u8>) {
        let text = String::from_utf8_lossy(&data).into_owned();
        let known =
            text.strip_prefix("re: ping ").and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n < self.messages_sent);
        if !known {
            let broken = format!("{} received a message it never sent an executor: {text:?}", self.name());
            self.violation.get_or_insert(broken);
        }
        self.messages.push(data);
    }
}
