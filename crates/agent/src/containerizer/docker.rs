//! The Docker containerizer's agent side (`--containerizers=docker,...`):
//! a task with a Docker `ContainerInfo` runs under `mesos-docker-executor`,
//! which creates its container `mesos-<container id>` through the Engine at
//! `--docker_socket`; the agent removes that container when it destroys or
//! forgets the executor's container, and at start removes the `mesos-*`
//! containers its work directory left behind that it no longer knows
//! (`--docker_kill_orphans`).

use mesos_docker::engine::Engine;

/// What the agent needs to manage Docker containers.
#[derive(Clone)]
pub struct DockerSupport {
    pub engine: Engine,
    pub socket: String,
    /// The agent's `--work_dir`, which labels its containers.
    pub work_dir: String,
}

impl std::fmt::Debug for DockerSupport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerSupport").field("socket", &self.socket).field("work_dir", &self.work_dir).finish()
    }
}

impl DockerSupport {
    /// The environment `mesos-docker-executor` needs.
    pub fn executor_env(&self) -> Vec<(String, String)> {
        vec![
            ("MESOS_DOCKER_SOCKET".to_owned(), self.socket.clone()),
            ("MESOS_AGENT_WORK_DIR".to_owned(), self.work_dir.clone()),
        ]
    }

    /// Removes the Docker container of a Mesos container, in the
    /// background.
    pub fn remove_soon(&self, container_id: &str) {
        let (engine, name) = (self.engine.clone(), mesos_docker::container_name(container_id));
        tokio::spawn(async move {
            if let Err(error) = engine.remove(&name).await {
                tracing::warn!(%name, %error, "cannot remove a Docker container");
            }
        });
    }

    /// Removes this work directory's containers that are not in `live`.
    pub async fn remove_orphans(&self, live: &[String]) {
        let managed = match self.engine.managed(&self.work_dir).await {
            Ok(managed) => managed,
            Err(error) => {
                tracing::warn!(%error, "cannot list Docker containers to clean up orphans");
                return;
            }
        };
        for container in managed.into_iter().filter(|c| !live.contains(&c.container_id)) {
            tracing::info!(name = %container.name, "removing an orphaned Docker container");
            if let Err(error) = self.engine.remove(&container.name).await {
                tracing::warn!(name = %container.name, %error, "cannot remove an orphaned Docker container");
            }
        }
    }
}
