//! Sandbox garbage collection, the decisions: which finished executors'
//! run directories are due for removal, given the time and the work
//! directory's disk usage, as Mesos decides it. A directory is removed
//! `--gc_delay` after its executor finished, or as soon as it is older than
//! `gc_delay * max(0, 1 - --gc_disk_headroom - disk usage)` when the disk
//! fills. Pure: time and usage are parameters; `collector.rs` does the I/O.

pub mod collector;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `--gc_delay` and `--gc_disk_headroom`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcPolicy {
    pub delay: Duration,
    pub disk_headroom: f64,
}

impl GcPolicy {
    /// The oldest a scheduled directory may be at disk usage `usage`
    /// (0.0 to 1.0): `delay * max(0, 1 - headroom - usage)`, as Mesos's
    /// agent computes it on every disk check.
    pub fn max_age(&self, usage: f64) -> Duration {
        let factor = (1.0 - self.disk_headroom - usage).clamp(0.0, 1.0);
        self.delay.mul_f64(factor)
    }
}

/// Directories scheduled for removal, each with when its executor
/// finished (time since the Unix epoch).
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    since: BTreeMap<PathBuf, Duration>,
}

impl Schedule {
    /// Schedules `path`, whose executor finished at `since`. Scheduling a
    /// path again keeps the earlier time.
    pub fn schedule(&mut self, path: PathBuf, since: Duration) {
        self.since.entry(path).or_insert(since);
    }

    /// Takes `path` off the schedule (it is in use again); whether it was
    /// on it.
    pub fn unschedule(&mut self, path: &Path) -> bool {
        self.since.remove(path).is_some()
    }

    pub fn len(&self) -> usize {
        self.since.len()
    }

    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }

    /// When the next directory falls due by `policy.delay` alone.
    pub fn next_due(&self, policy: &GcPolicy) -> Option<Duration> {
        self.since.values().min().map(|since| *since + policy.delay)
    }

    /// Takes off the schedule and returns the directories due at `now`:
    /// those scheduled `policy.delay` ago or more and, when the disk usage
    /// is known, those older than [`GcPolicy::max_age`] at that usage.
    pub fn due(&mut self, now: Duration, policy: &GcPolicy, disk_usage: Option<f64>) -> Vec<PathBuf> {
        let max_age = disk_usage.map_or(policy.delay, |usage| policy.max_age(usage).min(policy.delay));
        let due: Vec<PathBuf> = self
            .since
            .iter()
            .filter(|(_, since)| now.saturating_sub(**since) >= max_age)
            .map(|(p, _)| p.clone())
            .collect();
        for path in &due {
            self.since.remove(path);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn policy() -> GcPolicy {
        GcPolicy { delay: 7 * DAY, disk_headroom: 0.1 }
    }

    #[test]
    fn max_age_follows_mesos() {
        let policy = policy();
        assert_eq!(policy.max_age(0.0), (7 * DAY).mul_f64(0.9));
        assert_eq!(policy.max_age(0.4), (7 * DAY).mul_f64(0.5));
        assert_eq!(policy.max_age(0.9), Duration::ZERO);
        assert_eq!(policy.max_age(0.95), Duration::ZERO, "never negative");
        let none = GcPolicy { delay: DAY, disk_headroom: -0.5 };
        assert_eq!(none.max_age(0.0), DAY, "never longer than the delay");
    }

    #[test]
    fn directories_fall_due_after_the_delay() {
        let policy = policy();
        let mut schedule = Schedule::default();
        schedule.schedule("/w/a".into(), DAY);
        schedule.schedule("/w/b".into(), 2 * DAY);
        schedule.schedule("/w/a".into(), 3 * DAY);
        assert_eq!(schedule.next_due(&policy), Some(8 * DAY), "the first scheduling counts");
        assert!(schedule.due(8 * DAY - Duration::from_secs(1), &policy, None).is_empty());
        assert_eq!(schedule.due(8 * DAY, &policy, None), [PathBuf::from("/w/a")]);
        assert_eq!(schedule.len(), 1);
        assert!(schedule.unschedule(Path::new("/w/b")));
        assert!(schedule.is_empty() && schedule.next_due(&policy).is_none());
    }

    #[test]
    fn a_fuller_disk_removes_sooner() {
        let policy = policy();
        let mut schedule = Schedule::default();
        schedule.schedule("/w/old".into(), Duration::ZERO);
        schedule.schedule("/w/new".into(), 3 * DAY);
        let now = 4 * DAY;
        // Low usage: max age 6.3 days, nothing is that old.
        assert!(schedule.due(now, &policy, Some(0.0)).is_empty());
        // 40% used: max age 3.5 days; only the 4-day-old one goes.
        assert_eq!(schedule.due(now, &policy, Some(0.4)), [PathBuf::from("/w/old")]);
        // Past the headroom: everything goes.
        assert_eq!(schedule.due(now, &policy, Some(0.95)), [PathBuf::from("/w/new")]);
    }
}
