//! The Docker Engine calls the agent and the Docker executor make, through
//! `bollard` on the Engine's Unix socket, at API version 1.41 (Docker
//! 20.10, the oldest Engine this supports).

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::spec::ContainerSpec;

/// A failed Engine call, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct EngineError {
    pub what: String,
    #[source]
    pub source: bollard::errors::Error,
}

fn failed(what: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> EngineError {
    let what = what.into();
    move |source| EngineError { what, source }
}

/// A Docker container managed by an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub name: String,
    pub container_id: String,
    pub running: bool,
}

/// A connection to the Docker Engine.
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
}

impl Engine {
    /// Connects to the Engine's socket (nothing is sent until a call).
    /// `timeout` bounds every call, the long ones (waiting for a container,
    /// following its output) included.
    pub fn connect(socket: &str, timeout: Duration) -> Result<Engine, EngineError> {
        let version = bollard::ClientVersion { major_version: 1, minor_version: 41 };
        let docker = Docker::connect_with_unix(socket, timeout.as_secs().max(1), &version)
            .map_err(failed(format!("cannot use the Docker socket {socket}")))?;
        Ok(Engine { docker })
    }

    /// Whether the image is present locally.
    pub async fn has_image(&self, image: &str) -> bool {
        self.docker.inspect_image(image).await.is_ok()
    }

    /// Pulls an image from its registry.
    pub async fn pull(&self, image: &str) -> Result<(), EngineError> {
        let options = CreateImageOptionsBuilder::default().from_image(image).build();
        let mut progress = self.docker.create_image(Some(options), None, None);
        while let Some(step) = progress.next().await {
            step.map_err(failed(format!("Failed to pull image '{image}'")))?;
        }
        Ok(())
    }

    /// Creates and starts the container.
    pub async fn run(&self, spec: &ContainerSpec, labels: &[(String, String)]) -> Result<(), EngineError> {
        let mut all_labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
        all_labels.extend(labels.iter().cloned());
        let port_bindings: HashMap<String, Option<Vec<PortBinding>>> = spec
            .ports
            .iter()
            .map(|p| {
                let binding = PortBinding { host_ip: None, host_port: Some(p.host_port.to_string()) };
                (format!("{}/{}", p.container_port, p.protocol), Some(vec![binding]))
            })
            .collect();
        let exposed: Vec<String> = spec.ports.iter().map(|p| format!("{}/{}", p.container_port, p.protocol)).collect();
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: spec.entrypoint.clone(),
            cmd: spec.cmd.clone(),
            env: Some(spec.env.clone()),
            labels: Some(all_labels),
            hostname: spec.hostname.clone(),
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            host_config: Some(HostConfig {
                cpu_shares: spec.cpu_shares,
                memory: spec.memory_bytes,
                network_mode: Some(spec.network_mode.clone()),
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                binds: Some(spec.binds.clone()),
                privileged: Some(spec.privileged),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&spec.name).build();
        self.docker
            .create_container(Some(options), body)
            .await
            .map_err(failed(format!("Failed to create container '{}'", spec.name)))?;
        self.docker
            .start_container(&spec.name, None)
            .await
            .map_err(failed(format!("Failed to start container '{}'", spec.name)))
    }

    /// Waits for the container to exit; returns its exit code.
    pub async fn wait(&self, name: &str) -> Result<i64, EngineError> {
        let mut waits = self.docker.wait_container(name, None);
        match waits.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            // A non-zero exit comes back as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(error)) => Err(failed(format!("Failed to wait for container '{name}'"))(error)),
            None => self.exit_code(name).await,
        }
    }

    async fn exit_code(&self, name: &str) -> Result<i64, EngineError> {
        let inspected =
            self.docker.inspect_container(name, None).await.map_err(failed(format!("Failed to inspect '{name}'")))?;
        Ok(inspected.state.and_then(|s| s.exit_code).unwrap_or(-1))
    }

    /// Whether the container exists and runs.
    pub async fn running(&self, name: &str) -> bool {
        match self.docker.inspect_container(name, None).await {
            Ok(inspected) => inspected.state.and_then(|s| s.running).unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Stops the container: SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(&self, name: &str, grace: Duration) -> Result<(), EngineError> {
        let options = StopContainerOptionsBuilder::default().t(grace.as_secs().max(1) as i32).build();
        self.docker.stop_container(name, Some(options)).await.map_err(failed(format!("Failed to stop '{name}'")))
    }

    /// Removes the container, killing it if it runs.
    pub async fn remove(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match self.docker.remove_container(name, Some(options)).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
            Err(error) => Err(failed(format!("Failed to remove '{name}'"))(error)),
        }
    }

    /// Every container named `mesos-*` whose work-directory label is
    /// `work_dir`.
    pub async fn managed(&self, work_dir: &str) -> Result<Vec<Managed>, EngineError> {
        let filters: HashMap<&str, Vec<String>> = HashMap::from([
            ("name", vec![crate::NAME_PREFIX.to_owned()]),
            ("label", vec![format!("{}={work_dir}", crate::WORK_DIR_LABEL)]),
        ]);
        let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        let listed = self.docker.list_containers(Some(options)).await.map_err(failed("Failed to list containers"))?;
        Ok(listed
            .into_iter()
            .filter_map(|c| {
                let name = c.names?.into_iter().find(|n| crate::container_id(n).is_some())?;
                let container_id = crate::container_id(&name)?.to_owned();
                let running = c.state.map(|s| s.to_string() == "running").unwrap_or(false);
                Some(Managed { name: name.trim_start_matches('/').to_owned(), container_id, running })
            })
            .collect())
    }

    /// Copies the container's output to `stdout` and `stderr` until it
    /// ends.
    pub async fn follow_logs(
        &self,
        name: &str,
        mut stdout: impl tokio::io::AsyncWrite + Unpin,
        mut stderr: impl tokio::io::AsyncWrite + Unpin,
    ) {
        let options = LogsOptionsBuilder::default().follow(true).stdout(true).stderr(true).build();
        let mut logs = self.docker.logs(name, Some(options));
        while let Some(Ok(chunk)) = logs.next().await {
            let _ = match chunk {
                bollard::container::LogOutput::StdErr { message } => stderr.write_all(&message).await,
                other => stdout.write_all(&other.into_bytes()).await,
            };
        }
        let _ = stdout.flush().await;
        let _ = stderr.flush().await;
    }
}
