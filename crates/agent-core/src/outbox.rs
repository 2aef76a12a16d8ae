//! The agent core's outbox, which holds back every action that follows a
//! checkpoint until the daemon reports that checkpoint durable.
//!
//! A checkpoint write is the agent's promise that a restart will know what
//! it wrote; an action that follows it (an acknowledgement to an executor, a
//! status update to the master, a launch) may only be seen by the world
//! once the promise holds. So an [`AgentAction::Checkpoint`] is released
//! with a ticket, every later action waits behind it, and
//! [`crate::AgentInput::CheckpointStored`] with that ticket releases them.
//! Consecutive checkpoints are released together (the daemon writes them in
//! order) and the last one's ticket releases what follows. A write that
//! failed releases nothing more: the core asks the daemon to stop
//! ([`AgentAction::Abort`]), so that recovery starts from what is on disk.

use std::collections::VecDeque;

use crate::agent::AgentAction;

/// Identifies one checkpoint write, in the order they were asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckpointTicket(pub u64);

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Actions the daemon may carry out now.
    released: Vec<AgentAction>,
    /// Actions waiting for a checkpoint to be durable.
    held: VecDeque<AgentAction>,
    /// The last checkpoint released and not yet reported durable.
    awaiting: Option<CheckpointTicket>,
    next_ticket: u64,
    /// A write failed: nothing is released any more.
    failed: bool,
}

impl Outbox {
    /// Queues `action` behind any checkpoint not yet durable.
    pub(crate) fn push(&mut self, action: AgentAction) {
        if self.failed {
            return;
        }
        if self.may_release(&action) {
            self.release(action);
        } else {
            self.held.push_back(action);
        }
    }

    /// A checkpoint write: numbered, then queued like any action.
    pub(crate) fn push_checkpoint(&mut self, write: crate::CheckpointWrite) {
        self.next_ticket += 1;
        let ticket = CheckpointTicket(self.next_ticket);
        self.push(AgentAction::Checkpoint { ticket, write: Box::new(write) });
    }

    /// Nothing waits, or `action` is a checkpoint right behind the awaited
    /// one (the daemon writes in order, so it may be written at once).
    fn may_release(&self, action: &AgentAction) -> bool {
        self.awaiting.is_none() || (self.held.is_empty() && matches!(action, AgentAction::Checkpoint { .. }))
    }

    fn release(&mut self, action: AgentAction) {
        if let AgentAction::Checkpoint { ticket, .. } = &action {
            self.awaiting = Some(*ticket);
        }
        self.released.push(action);
    }

    /// The daemon stored the write with `ticket` (and every one before it).
    pub(crate) fn stored(&mut self, ticket: CheckpointTicket) {
        if self.failed || self.awaiting != Some(ticket) {
            return;
        }
        self.awaiting = None;
        while let Some(action) = self.held.pop_front() {
            if !self.may_release_held(&action) {
                self.held.push_front(action);
                break;
            }
            self.release(action);
        }
    }

    fn may_release_held(&self, action: &AgentAction) -> bool {
        self.awaiting.is_none() || matches!(action, AgentAction::Checkpoint { .. })
    }

    /// A write failed: everything held is dropped and the daemon is told
    /// to stop.
    pub(crate) fn failed(&mut self, message: String) {
        if self.failed {
            return;
        }
        self.held.clear();
        self.awaiting = None;
        self.released.push(AgentAction::Abort { message });
        self.failed = true;
    }

    /// Whether actions wait for a checkpoint.
    pub(crate) fn is_holding(&self) -> bool {
        self.awaiting.is_some()
    }

    pub(crate) fn take(&mut self) -> Vec<AgentAction> {
        std::mem::take(&mut self.released)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckpointWrite;

    fn ping(n: u64) -> AgentAction {
        AgentAction::CloseExecutor { stream: crate::ExecutorStream(n) }
    }

    fn kinds(actions: &[AgentAction]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                AgentAction::Checkpoint { ticket, .. } => format!("C{}", ticket.0),
                AgentAction::CloseExecutor { stream } => format!("a{}", stream.0),
                AgentAction::Abort { .. } => "abort".into(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn actions_after_a_checkpoint_wait_until_it_is_stored() {
        let mut outbox = Outbox::default();
        outbox.push(ping(1));
        outbox.push_checkpoint(CheckpointWrite::Resources(vec![]));
        outbox.push_checkpoint(CheckpointWrite::Resources(vec![]));
        outbox.push(ping(2));
        outbox.push_checkpoint(CheckpointWrite::Resources(vec![]));
        outbox.push(ping(3));
        assert_eq!(kinds(&outbox.take()), ["a1", "C1", "C2"]);
        outbox.stored(CheckpointTicket(1));
        assert!(outbox.take().is_empty(), "an earlier ticket releases nothing");
        outbox.stored(CheckpointTicket(2));
        assert_eq!(kinds(&outbox.take()), ["a2", "C3"]);
        outbox.stored(CheckpointTicket(3));
        assert_eq!(kinds(&outbox.take()), ["a3"]);
        assert!(!outbox.is_holding());
    }

    #[test]
    fn a_failed_write_drops_what_waits_and_aborts() {
        let mut outbox = Outbox::default();
        outbox.push_checkpoint(CheckpointWrite::Resources(vec![]));
        outbox.push(ping(1));
        assert_eq!(kinds(&outbox.take()), ["C1"]);
        outbox.failed("disk full".into());
        outbox.push(ping(2));
        outbox.stored(CheckpointTicket(1));
        assert_eq!(kinds(&outbox.take()), ["abort"]);
    }
}
