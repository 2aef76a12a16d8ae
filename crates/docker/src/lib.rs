//! Docker tasks. `spec.rs` turns a task's Docker `ContainerInfo` and
//! resources into the container to create (pure); `engine.rs` makes the
//! Docker Engine API calls (through `bollard`); `executor.rs` is
//! `mesos-docker-executor`, which runs one task's container and reports its
//! states and exit code. The agent uses `engine.rs` to find, destroy and
//! clean up the containers it is responsible for.

pub mod engine;
pub mod executor;
pub mod spec;

/// Containers of Mesos tasks are named `mesos-<container id>`.
pub const NAME_PREFIX: &str = "mesos-";

/// The label holding the work directory of the agent that started a
/// container, so an agent only cleans up its own.
pub const WORK_DIR_LABEL: &str = "mesos.agent.work_dir";

/// The Docker name of a Mesos container.
pub fn container_name(container_id: &str) -> String {
    format!("{NAME_PREFIX}{container_id}")
}

/// The Mesos container id of a Docker container name (`/mesos-<id>` as the
/// Engine lists it).
pub fn container_id(name: &str) -> Option<&str> {
    name.trim_start_matches('/').strip_prefix(NAME_PREFIX).filter(|id| !id.is_empty() && !id.contains('.'))
}
