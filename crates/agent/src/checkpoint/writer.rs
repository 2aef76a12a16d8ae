//! Writing the records the agent core asks for, and the runtime record of
//! every container's process.

use mesos_agent_core::CheckpointWrite;
use mesos_proto::Message;
use mesos_proto::internal::{CheckpointedResources, ContainerProcess};

use super::{CheckpointError, write_record};
use crate::paths::Paths;

/// Writes one record. `agent` is the agent's id (records of frameworks are
/// written once the agent is registered).
pub fn apply(paths: &Paths, agent: Option<&str>, write: &CheckpointWrite) -> Result<(), CheckpointError> {
    match write {
        CheckpointWrite::Agent(info) => {
            let id = info.id.as_ref().map(|i| i.value.as_str()).unwrap_or_default();
            write_record(&paths.agent_info(id), &info.encode_to_vec())?;
            write_record(&paths.latest_agent(), id.as_bytes())?;
            write_record(&paths.boot_id(), super::boot_id().as_bytes())
        }
        CheckpointWrite::Resources(resources) => {
            let before = super::reader::checkpointed_resources(paths).unwrap_or_default();
            let record = CheckpointedResources { resources: resources.clone() };
            write_record(&paths.resources_info(), &record.encode_to_vec())?;
            crate::volumes::sync(paths, &before, resources).map_err(|source| CheckpointError {
                path: paths.work_dir().join("volumes").display().to_string(),
                source,
            })
        }
        _ => {
            let Some(agent) = agent else { return Ok(()) };
            match write {
                CheckpointWrite::Framework(info) => {
                    let framework = info.id.as_ref().map(|i| i.value.as_str()).unwrap_or_default();
                    write_record(&paths.framework_info(agent, framework), &info.encode_to_vec())
                }
                CheckpointWrite::Executor { framework_id, run } => {
                    let path = paths.executor_run(
                        agent,
                        &framework_id.value,
                        &run.executor_info.executor_id.value,
                        &run.container_id,
                    );
                    write_record(&path, &run.encode_to_vec())
                }
                CheckpointWrite::Task { framework_id, executor_id, container_id, task } => {
                    let path = paths.task_info(
                        agent,
                        &framework_id.value,
                        &executor_id.value,
                        container_id,
                        &task.task_id.value,
                    );
                    write_record(&path, &task.encode_to_vec())
                }
                CheckpointWrite::TaskUpdates { framework_id, executor_id, container_id, task_id, updates } => {
                    let path = paths.task_updates(
                        agent,
                        &framework_id.value,
                        &executor_id.value,
                        container_id,
                        &task_id.value,
                    );
                    write_record(&path, &updates.encode_to_vec())
                }
                CheckpointWrite::Agent(_) | CheckpointWrite::Resources(_) => unreachable!("handled above"),
            }
        }
    }
}

/// Records a container's process (for every container, checkpointing or not).
pub fn record_container(paths: &Paths, container_id: &str, pid: u32) -> Result<(), CheckpointError> {
    let record =
        ContainerProcess { container_id: container_id.to_owned(), pid, start_time: crate::process::start_time(pid) };
    write_record(&paths.container_process(container_id), &record.encode_to_vec())
}

/// Forgets a container whose process is gone.
pub fn forget_container(paths: &Paths, container_id: &str) {
    let _ = std::fs::remove_file(paths.container_process(container_id));
}
