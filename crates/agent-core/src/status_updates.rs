//! The status update manager: reliable, ordered delivery of each task's
//! status updates to the framework.
//!
//! Every task has a FIFO stream of updates. Only its head is in flight: it is
//! sent to the master and resent with exponential backoff (10 s doubling up
//! to 10 min) until the framework acknowledges its uuid; then the next one
//! goes. Acknowledgements that do not match the head (duplicates, stale
//! ones) change nothing. A stream ends when its terminal update is
//! acknowledged.

use std::collections::VecDeque;

use mesos_proto::collections::{Map, SeededState};
use std::time::Duration;

use mesos_proto::internal::agent_call::StatusUpdate;
use mesos_proto::v1::{FrameworkId, TaskId, TaskState};

/// First retry delay.
pub const RETRY_MIN: Duration = Duration::from_secs(10);
/// Longest retry delay.
pub const RETRY_MAX: Duration = Duration::from_secs(600);

type StreamKey = (FrameworkId, TaskId);

#[derive(Debug, Clone)]
struct Stream {
    pending: VecDeque<StatusUpdate>,
    /// When the head is due to be (re)sent; `None` until first sent.
    retry_at: Option<Duration>,
    backoff: Duration,
}

/// What an acknowledgement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledged {
    /// It matched the head, which is now delivered; `terminal` when that
    /// ended the task's stream.
    Delivered { terminal: bool },
    /// No stream or no matching head: a duplicate or stale acknowledgement.
    Ignored,
}

/// The updates of every task not yet fully acknowledged.
#[derive(Debug, Default, Clone)]
pub struct StatusUpdateManager {
    streams: Map<StreamKey, Stream>,
}

impl StatusUpdateManager {
    pub fn new() -> StatusUpdateManager {
        StatusUpdateManager::default()
    }

    /// A manager whose streams hash with `hasher` (tasks are keyed by ids
    /// frameworks choose).
    pub fn with_hasher(hasher: SeededState) -> StatusUpdateManager {
        StatusUpdateManager { streams: hasher.map() }
    }

    /// Queues an update (which must carry a uuid). Returns the update to send
    /// now if it became the head of its stream.
    pub fn add(&mut self, update: StatusUpdate, now: Duration) -> Option<StatusUpdate> {
        let key = (update.framework_id.clone(), update.status.task_id.clone());
        let stream = self.streams.entry(key).or_insert_with(|| Stream {
            pending: VecDeque::new(),
            retry_at: None,
            backoff: RETRY_MIN,
        });
        stream.pending.push_back(update);
        if stream.pending.len() == 1 {
            stream.retry_at = Some(now + stream.backoff);
            return Some(with_latest(stream));
        }
        None
    }

    /// Applies an acknowledgement; returns what it did and the next update to
    /// send, if any.
    pub fn acknowledge(
        &mut self,
        framework: &FrameworkId,
        task: &TaskId,
        uuid: &[u8],
        now: Duration,
    ) -> (Acknowledged, Option<StatusUpdate>) {
        let key = (framework.clone(), task.clone());
        let Some(stream) = self.streams.get_mut(&key) else {
            return (Acknowledged::Ignored, None);
        };
        let matches = stream.pending.front().is_some_and(|head| head.status.uuid.as_deref() == Some(uuid));
        if !matches {
            return (Acknowledged::Ignored, None);
        }
        let delivered = stream.pending.pop_front().expect("head matched");
        let terminal = TaskState::try_from(delivered.status.state).is_ok_and(TaskState::is_terminal);
        stream.backoff = RETRY_MIN;
        if stream.pending.is_empty() {
            self.streams.remove(&key);
            return (Acknowledged::Delivered { terminal }, None);
        }
        stream.retry_at = Some(now + stream.backoff);
        (Acknowledged::Delivered { terminal }, Some(with_latest(stream)))
    }

    /// Heads whose retry time has come; their backoff doubles.
    pub fn due(&mut self, now: Duration) -> Vec<StatusUpdate> {
        let mut out = Vec::new();
        for stream in self.streams.values_mut() {
            if stream.retry_at.is_some_and(|t| t <= now) {
                stream.backoff = (stream.backoff * 2).min(RETRY_MAX);
                stream.retry_at = Some(now + stream.backoff);
                out.push(with_latest(stream));
            }
        }
        out
    }

    /// Every head, at once (after the agent (re)registered), with backoff
    /// restarted.
    pub fn flush(&mut self, now: Duration) -> Vec<StatusUpdate> {
        self.streams
            .values_mut()
            .filter(|s| !s.pending.is_empty())
            .map(|stream| {
                stream.backoff = RETRY_MIN;
                stream.retry_at = Some(now + RETRY_MIN);
                with_latest(stream)
            })
            .collect()
    }

    /// When the next retry is due.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.streams.values().filter_map(|s| s.retry_at).min()
    }

    /// Forgets every stream of a framework (it was removed).
    pub fn remove_framework(&mut self, framework: &FrameworkId) {
        self.streams.retain(|(f, _), _| f != framework);
    }

    /// Updates not yet acknowledged for a task, oldest first.
    pub fn pending(&self, framework: &FrameworkId, task: &TaskId) -> impl Iterator<Item = &StatusUpdate> {
        self.streams.get(&(framework.clone(), task.clone())).into_iter().flat_map(|s| s.pending.iter())
    }

    /// Whether anything is waiting for acknowledgement.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    pub fn len(&self) -> usize {
        self.streams.values().map(|s| s.pending.len()).sum()
    }
}

/// The head update, carrying the newest state known for its task.
fn with_latest(stream: &Stream) -> StatusUpdate {
    let mut head = stream.pending.front().cloned().expect("streams are never empty");
    head.latest_state = stream.pending.back().map(|u| u.status.state);
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_proto::v1::TaskStatus;
    use proptest::prelude::*;

    fn update(task: &str, state: TaskState, uuid: u8) -> StatusUpdate {
        StatusUpdate {
            framework_id: FrameworkId { value: "f".into() },
            status: TaskStatus {
                task_id: TaskId { value: task.into() },
                state: state as i32,
                uuid: Some(vec![uuid; 16]),
                ..Default::default()
            },
            latest_state: None,
        }
    }

    fn ids(task: &str) -> (FrameworkId, TaskId) {
        (FrameworkId { value: "f".into() }, TaskId { value: task.into() })
    }

    #[test]
    fn one_in_flight_per_task_in_order() {
        let mut sum = StatusUpdateManager::new();
        let t0 = Duration::ZERO;
        let first = sum.add(update("t", TaskState::TaskRunning, 1), t0).unwrap();
        assert_eq!(first.latest_state, Some(TaskState::TaskRunning as i32));
        assert!(sum.add(update("t", TaskState::TaskFinished, 2), t0).is_none());
        let (f, t) = ids("t");
        // A stale or duplicate acknowledgement changes nothing.
        assert_eq!(sum.acknowledge(&f, &t, &[9; 16], t0).0, Acknowledged::Ignored);
        let (outcome, next) = sum.acknowledge(&f, &t, &[1; 16], t0);
        assert_eq!(outcome, Acknowledged::Delivered { terminal: false });
        assert_eq!(next.unwrap().status.uuid, Some(vec![2; 16]));
        let (outcome, next) = sum.acknowledge(&f, &t, &[2; 16], t0);
        assert_eq!(outcome, Acknowledged::Delivered { terminal: true });
        assert!(next.is_none() && sum.is_empty());
        assert_eq!(sum.acknowledge(&f, &t, &[2; 16], t0).0, Acknowledged::Ignored);
    }

    #[test]
    fn retries_back_off_exponentially() {
        let mut sum = StatusUpdateManager::new();
        sum.add(update("t", TaskState::TaskRunning, 1), Duration::ZERO);
        assert!(sum.due(Duration::from_secs(9)).is_empty());
        assert_eq!(sum.due(Duration::from_secs(10)).len(), 1);
        assert_eq!(sum.next_deadline(), Some(Duration::from_secs(30)));
        let mut now = Duration::from_secs(30);
        for _ in 0..20 {
            sum.due(now);
            now += RETRY_MAX;
        }
        assert!(sum.next_deadline().unwrap() - (now - RETRY_MAX) <= RETRY_MAX);
    }

    proptest! {
        /// Whatever order acknowledgements come in, each task's updates are
        /// delivered exactly once and in order.
        #[test]
        fn delivery_is_ordered_and_exactly_once(acks in proptest::collection::vec((0usize..3, 0u8..6), 0..60)) {
            let mut sum = StatusUpdateManager::new();
            let tasks = ["a", "b", "c"];
            let mut in_flight: Map<&str, Vec<u8>> = Map::default();
            for task in tasks {
                for uuid in 1..=4u8 {
                    let state = if uuid == 4 { TaskState::TaskFinished } else { TaskState::TaskRunning };
                    if let Some(sent) = sum.add(update(task, state, uuid), Duration::ZERO) {
                        in_flight.entry(task).or_default().push(sent.status.uuid.unwrap()[0]);
                    }
                }
            }
            let mut delivered: Map<&str, Vec<u8>> = Map::default();
            for (task_index, uuid) in acks {
                let task = tasks[task_index];
                let (f, t) = ids(task);
                let (outcome, next) = sum.acknowledge(&f, &t, &[uuid; 16], Duration::ZERO);
                if let Acknowledged::Delivered { .. } = outcome {
                    delivered.entry(task).or_default().push(uuid);
                }
                if let Some(next) = next {
                    in_flight.entry(task).or_default().push(next.status.uuid.unwrap()[0]);
                }
            }
            for task in tasks {
                let got = delivered.get(task).cloned().unwrap_or_default();
                let expected: Vec<u8> = (1..=got.len() as u8).collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
