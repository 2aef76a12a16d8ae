//! Reading the checkpoints back after a restart.
//!
//! Strict recovery (the default, `--strict`) fails with the path of any
//! record that cannot be read or fails its checksum; non-strict recovery
//! skips it with a warning.

use std::path::Path;

use mesos_agent_core::{RecoveredExecutor, RecoveredFramework, RecoveredState, RecoveredTask};
use mesos_proto::Message;
use mesos_proto::internal::{CheckpointedResources, ContainerProcess, ExecutorRun, TaskUpdates};
use mesos_proto::v1::{AgentInfo, FrameworkInfo, TaskInfo};

use super::record::unframe;
use crate::paths::Paths;

/// Why the checkpoints could not be recovered.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot recover from {path}: {reason} (use --no-strict to skip damaged records, or remove {meta} to start afresh)"
)]
pub struct RecoveryError {
    pub path: String,
    pub reason: String,
    pub meta: String,
}

/// What a restarted agent finds.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The agent's checkpointed state, if it ever registered.
    pub state: Option<RecoveredState>,
    /// Every container process recorded, checkpointing or not.
    pub containers: Vec<ContainerProcess>,
    /// The machine rebooted since: no executor survived.
    pub rebooted: bool,
}

/// This boot's id.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_owned()).unwrap_or_default()
}

struct Reader<'a> {
    paths: &'a Paths,
    strict: bool,
}

impl Reader<'_> {
    fn error(&self, path: &Path, reason: impl std::fmt::Display) -> RecoveryError {
        RecoveryError {
            path: path.display().to_string(),
            reason: reason.to_string(),
            meta: self.paths.meta().display().to_string(),
        }
    }

    /// A record's contents once its checksum is checked (`None` when there
    /// is no record); a damaged one is an error when strict, else `None`.
    fn contents(&self, path: &Path) -> Result<Option<Vec<u8>>, RecoveryError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return self.damaged(path, e),
        };
        match unframe(&bytes) {
            Ok(contents) => Ok(Some(contents.to_vec())),
            Err(reason) => self.damaged(path, reason),
        }
    }

    /// Decodes a record; a damaged one is an error when strict, else `None`.
    fn record<M: Message + Default>(&self, path: &Path) -> Result<Option<M>, RecoveryError> {
        let Some(bytes) = self.contents(path)? else { return Ok(None) };
        match M::decode(bytes.as_slice()) {
            Ok(message) => Ok(Some(message)),
            Err(e) => self.damaged(path, e),
        }
    }

    /// A record holding text (the agent's id, the boot id).
    fn text(&self, path: &Path) -> Result<Option<String>, RecoveryError> {
        let Some(bytes) = self.contents(path)? else { return Ok(None) };
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(e) => self.damaged(path, e),
        }
    }

    fn damaged<T>(&self, path: &Path, reason: impl std::fmt::Display) -> Result<Option<T>, RecoveryError> {
        if self.strict {
            return Err(self.error(path, reason));
        }
        tracing::warn!(path = %path.display(), %reason, "skipping a damaged checkpoint");
        Ok(None)
    }

    /// Names of the subdirectories of `dir` (none if it does not exist).
    fn children(&self, dir: &Path) -> Result<Vec<String>, RecoveryError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error(dir, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }
}

/// The dynamic reservations and persistent volumes last recorded (none
/// when nothing was recorded or the record cannot be read).
pub fn checkpointed_resources(paths: &Paths) -> Option<Vec<mesos_proto::v1::Resource>> {
    let bytes = std::fs::read(paths.resources_info()).ok()?;
    CheckpointedResources::decode(unframe(&bytes).ok()?).ok().map(|record| record.resources)
}

/// Reads everything back. `alive` tells whether a recorded container still
/// runs.
pub fn recover(paths: &Paths, strict: bool) -> Result<Recovered, RecoveryError> {
    let reader = Reader { paths, strict };
    let containers = read_containers(&reader)?;
    let agent = match reader.text(&paths.latest_agent())? {
        Some(id) if !id.is_empty() => id,
        _ => return Ok(Recovered { containers, ..Recovered::default() }),
    };
    // A boot id that cannot be read counts as another boot (when not strict).
    let rebooted = reader.text(&paths.boot_id())?.is_none_or(|boot| boot != boot_id());
    let Some(agent_info) = reader.record::<AgentInfo>(&paths.agent_info(&agent))? else {
        return Err(reader.error(&paths.agent_info(&agent), "the agent's info is missing"));
    };
    let alive = |container: &str| {
        !rebooted
            && containers
                .iter()
                .find(|c| c.container_id == container)
                .is_some_and(|c| crate::process::is_running(c.pid, c.start_time))
    };
    let mut frameworks = Vec::new();
    for framework in reader.children(&paths.meta_frameworks(&agent))? {
        let Some(info) = reader.record::<FrameworkInfo>(&paths.framework_info(&agent, &framework))? else { continue };
        let mut executors = Vec::new();
        for executor in reader.children(&paths.meta_executors(&agent, &framework))? {
            let runs = paths.meta_executors(&agent, &framework).join(&executor).join("runs");
            for container in reader.children(&runs)? {
                let Some(run) =
                    reader.record::<ExecutorRun>(&paths.executor_run(&agent, &framework, &executor, &container))?
                else {
                    continue;
                };
                let mut tasks = Vec::new();
                let tasks_dir = paths.meta_run(&agent, &framework, &executor, &container).join("tasks");
                for task in reader.children(&tasks_dir)? {
                    let Some(info) = reader
                        .record::<TaskInfo>(&paths.task_info(&agent, &framework, &executor, &container, &task))?
                    else {
                        continue;
                    };
                    let updates = reader
                        .record::<TaskUpdates>(&paths.task_updates(&agent, &framework, &executor, &container, &task))?
                        .unwrap_or_default();
                    tasks.push(RecoveredTask { info, updates });
                }
                executors.push(RecoveredExecutor { alive: alive(&container), run, tasks });
            }
        }
        frameworks.push(RecoveredFramework { info, executors });
    }
    let checkpointed_resources =
        reader.record::<CheckpointedResources>(&paths.resources_info())?.map(|r| r.resources).unwrap_or_default();
    let state = RecoveredState { agent_info, frameworks, checkpointed_resources };
    Ok(Recovered { state: Some(state), containers, rebooted })
}

fn read_containers(reader: &Reader<'_>) -> Result<Vec<ContainerProcess>, RecoveryError> {
    let dir = reader.paths.runtime_containers();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(reader.error(&dir, e)),
    };
    let mut containers = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pid") {
            continue;
        }
        // A damaged runtime record only loses track of a process; it never
        // fails recovery.
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(contents) = unframe(&bytes)
            && let Ok(record) = ContainerProcess::decode(contents)
        {
            containers.push(record);
        }
    }
    Ok(containers)
}
