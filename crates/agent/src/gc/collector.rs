//! Sandbox garbage collection, the I/O: a task that keeps the
//! [`Schedule`], checks the work directory's disk usage every
//! `--disk_watch_interval`, and removes what falls due (the run directory,
//! its `latest` link, and the executor and framework directories once
//! empty). Only finished executors' sandboxes are ever scheduled; the
//! checkpoints under `meta` are not touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{GcPolicy, Schedule};
use crate::paths::Paths;

enum Message {
    Schedule(PathBuf, Duration),
    Unschedule(PathBuf),
}

/// A handle on the garbage collector's task.
#[derive(Debug, Clone)]
pub struct Collector {
    messages: mpsc::UnboundedSender<Message>,
}

impl Collector {
    /// Starts the collector for the sandboxes under `paths`.
    pub fn start(policy: GcPolicy, disk_watch_interval: Duration, paths: Paths) -> Collector {
        let (messages, inbox) = mpsc::unbounded_channel();
        tokio::spawn(run(inbox, policy, disk_watch_interval.max(Duration::from_millis(100)), paths));
        Collector { messages }
    }

    /// Schedules a finished executor's sandbox; `since` is when it
    /// finished.
    pub fn schedule(&self, sandbox: PathBuf, since: Duration) {
        let _ = self.messages.send(Message::Schedule(sandbox, since));
    }

    /// Keeps `sandbox` (a new executor runs in it).
    pub fn unschedule(&self, sandbox: PathBuf) {
        let _ = self.messages.send(Message::Unschedule(sandbox));
    }
}

async fn run(mut inbox: mpsc::UnboundedReceiver<Message>, policy: GcPolicy, interval: Duration, paths: Paths) {
    let mut schedule = Schedule::default();
    let mut next_disk_check = Instant::now() + interval;
    loop {
        let usage = if Instant::now() >= next_disk_check {
            next_disk_check = Instant::now() + interval;
            disk_usage(paths.work_dir())
        } else {
            None
        };
        let due = schedule.due(crate::actor::now(), &policy, usage);
        if !due.is_empty() {
            if let Some(usage) = usage {
                tracing::info!(usage, max_age = ?policy.max_age(usage), "pruning sandboxes");
            }
            let _ = tokio::task::spawn_blocking(move || due.iter().for_each(|path| remove_sandbox(path))).await;
        }
        let until_due = schedule.next_due(&policy).map(|at| at.saturating_sub(crate::actor::now()));
        let until_check = next_disk_check.saturating_duration_since(Instant::now());
        let wait = until_due.map_or(until_check, |d| d.min(until_check));
        tokio::select! {
            message = inbox.recv() => match message {
                Some(Message::Schedule(path, since)) => schedule.schedule(path, since),
                Some(Message::Unschedule(path)) => { schedule.unschedule(&path); }
                None => return,
            },
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// The fraction of the work directory's file system in use, as Mesos
/// measures it: `(blocks - free blocks) / blocks`.
fn disk_usage(path: &Path) -> Option<f64> {
    let stat = nix::sys::statvfs::statvfs(path).ok()?;
    let blocks = stat.blocks() as f64;
    (blocks > 0.0).then(|| (blocks - stat.blocks_free() as f64) / blocks)
}

/// Removes a sandbox, the `latest` link when it points there, and the
/// directories above it that are left empty.
fn remove_sandbox(sandbox: &Path) {
    match std::fs::remove_dir_all(sandbox) {
        Ok(()) => tracing::info!(sandbox = %sandbox.display(), "removed a finished executor's sandbox"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(sandbox = %sandbox.display(), %error, "cannot remove a sandbox");
            return;
        }
    }
    let latest = Paths::latest_beside(sandbox);
    if std::fs::read_link(&latest).is_ok_and(|target| Some(target.as_os_str()) == sandbox.file_name()) {
        let _ = std::fs::remove_file(&latest);
    }
    for parent in Paths::sandbox_parents(sandbox) {
        // Fails, and stops, at the first directory still in use.
        if std::fs::remove_dir(&parent).is_err() {
            break;
        }
    }
}

/// The sandboxes under the work directory whose containers are not in
/// `live`, with when they were last modified: what a previous run of the
/// agent left to collect.
pub fn finished_sandboxes(paths: &Paths, live: &[String]) -> Vec<(PathBuf, Duration)> {
    let names = |dir: PathBuf| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    };
    let mut found = Vec::new();
    for agent in names(paths.agents_dir()) {
        for framework in names(paths.frameworks_dir(&agent)) {
            for executor in names(paths.executors_dir(&agent, &framework)) {
                for container in names(paths.runs_dir(&agent, &framework, &executor)) {
                    if container == "latest" || live.contains(&container) {
                        continue;
                    }
                    let sandbox = paths.sandbox(&agent, &framework, &executor, &container);
                    let modified = std::fs::symlink_metadata(&sandbox)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .unwrap_or_default();
                    found.push((sandbox, modified));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_a_sandbox_and_its_empty_parents_only() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path());
        let old = paths.sandbox("S0", "F0", "e1", "c1");
        let other = paths.sandbox("S0", "F0", "e2", "c2");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("stdout"), "x").unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::os::unix::fs::symlink("c1", paths.latest_run("S0", "F0", "e1")).unwrap();
        let mut found = finished_sandboxes(&paths, &["c2".to_owned()]);
        found.iter_mut().for_each(|(_, t)| *t = Duration::ZERO);
        assert_eq!(found, [(old.clone(), Duration::ZERO)]);
        remove_sandbox(&old);
        assert!(!paths.executor_dir("S0", "F0", "e1").exists(), "the executor's directory is empty, so it goes");
        assert!(other.is_dir(), "the framework's directory still holds a live sandbox");
        remove_sandbox(&other);
        assert!(!paths.frameworks_dir("S0").join("F0").exists());
        assert!(paths.frameworks_dir("S0").exists());
    }
}
