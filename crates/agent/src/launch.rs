//! Starting an executor: its sandbox, its fetched URIs, its command line and
//! the environment executor libraries read (`MESOS_AGENT_ENDPOINT`,
//! `MESOS_FRAMEWORK_ID`, `MESOS_EXECUTOR_ID`, `MESOS_DIRECTORY`, ...).

use std::time::Duration;

use mesos_agent_core::LaunchSpec;
use mesos_flags::MesosDuration;
use mesos_proto::v1::{AgentId, CommandInfo, environment};

use crate::containerizer::{Containerizer, ExecutorCommand, LaunchRequest};
use crate::paths::Paths;

/// What every executor launch shares.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub paths: Paths,
    /// `ip:port` of the agent's HTTP API, for `MESOS_AGENT_ENDPOINT`.
    pub endpoint: String,
    pub shutdown_grace_period: Duration,
}

impl Launcher {
    /// Creates the sandbox, fetches URIs and starts the executor.
    pub async fn start(
        &self,
        agent_id: &AgentId,
        spec: &LaunchSpec,
        containerizer: &Containerizer,
    ) -> Result<tokio::process::Child, String> {
        let framework_id = spec.framework.id.clone().unwrap_or_default().value;
        let executor_id = &spec.executor.executor_id.value;
        let sandbox = self.paths.sandbox(&agent_id.value, &framework_id, executor_id, &spec.container_id);
        tokio::fs::create_dir_all(&sandbox)
            .await
            .map_err(|e| format!("cannot create sandbox {}: {e}", sandbox.display()))?;
        let latest = self.paths.latest_run(&agent_id.value, &framework_id, executor_id);
        let _ = tokio::fs::remove_file(&latest).await;
        let _ = tokio::fs::symlink(&spec.container_id, &latest).await;
        let command = spec.executor.command.clone().unwrap_or_default();
        let uris = match &spec.command_task {
            Some(task) => task.command.as_ref().map(|c| c.uris.clone()).unwrap_or_default(),
            None => command.uris.clone(),
        };
        crate::fetcher::fetch_all(&uris, &sandbox).await.map_err(|e| e.to_string())?;
        // Persistent volumes the executor or its command task uses.
        let mut resources = spec.executor.resources.clone();
        if let Some(task) = &spec.command_task {
            resources.extend(task.resources.iter().cloned());
        }
        crate::volumes::link_into_sandbox(&self.paths, &sandbox, &resources)?;
        let mut env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| !k.starts_with("MESOS_")).collect();
        let checkpoint = spec.framework.checkpoint();
        let directory = sandbox.display().to_string();
        env.extend([
            ("MESOS_FRAMEWORK_ID".to_owned(), framework_id.clone()),
            ("MESOS_EXECUTOR_ID".to_owned(), executor_id.clone()),
            ("MESOS_DIRECTORY".to_owned(), directory.clone()),
            ("MESOS_SANDBOX".to_owned(), directory),
            ("MESOS_AGENT_ENDPOINT".to_owned(), self.endpoint.clone()),
            ("MESOS_SLAVE_ID".to_owned(), agent_id.value.clone()),
            ("MESOS_SLAVE_PID".to_owned(), format!("slave(1)@{}", self.endpoint)),
            ("MESOS_CHECKPOINT".to_owned(), if checkpoint { "1" } else { "0" }.to_owned()),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".to_owned(), MesosDuration(self.shutdown_grace_period).to_string()),
            ("MESOS_CONTAINER_ID".to_owned(), spec.container_id.clone()),
        ]);
        if spec.command_task.is_some() {
            env.push(("MESOS_HTTP_COMMAND_EXECUTOR".to_owned(), "1".to_owned()));
        }
        if checkpoint {
            env.push(("MESOS_RECOVERY_TIMEOUT".to_owned(), "15mins".to_owned()));
            env.push(("MESOS_SUBSCRIPTION_BACKOFF_MAX".to_owned(), "2secs".to_owned()));
        }
        // A command executor passes the task's own environment to the task.
        if spec.command_task.is_none() {
            env.extend(variables(&command));
        }
        let docker = spec
            .executor
            .container
            .as_ref()
            .is_some_and(|c| c.r#type == mesos_proto::v1::container_info::Type::Docker as i32);
        let image =
            spec.executor.container.as_ref().is_some_and(|c| c.mesos.as_ref().is_some_and(|m| m.image.is_some()));
        if image {
            return Err("container images for MESOS containers are not supported yet".into());
        }
        if docker {
            let support = containerizer.config().docker.as_ref().ok_or(
                "the task has a Docker container but the Docker containerizer is not enabled (--containerizers)",
            )?;
            if spec.command_task.is_none() {
                return Err("custom executors in Docker containers are not supported".into());
            }
            env.extend(support.executor_env());
        }
        let executor = executor_command(&command, env)?;
        let program = executor.program.clone();
        let request = LaunchRequest {
            container_id: spec.container_id.clone(),
            sandbox,
            command: executor,
            resources: spec.resources.clone(),
            rootfs: None,
            docker,
        };
        containerizer.launch(request).map_err(|e| format!("cannot start '{program}': {e}"))
    }
}

/// The plain (non-secret) environment variables of a command.
pub fn variables(command: &CommandInfo) -> Vec<(String, String)> {
    command
        .environment
        .iter()
        .flat_map(|e| &e.variables)
        .filter(|v| v.r#type.is_none_or(|t| t == environment::variable::Type::Value as i32))
        .map(|v| (v.name.clone(), v.value.clone().unwrap_or_default()))
        .collect()
}

/// Shell commands run as `sh -c <value>`; others run `value` with
/// `arguments` as argv (the first argument being argv[0]).
fn executor_command(command: &CommandInfo, env: Vec<(String, String)>) -> Result<ExecutorCommand, String> {
    let value = command.value.clone().ok_or("the executor has no command")?;
    if command.shell() {
        return Ok(ExecutorCommand {
            program: "/bin/sh".into(),
            argv0: Some("sh".into()),
            args: vec!["-c".into(), value],
            env,
        });
    }
    let mut arguments = command.arguments.clone().into_iter();
    let argv0 = arguments.next();
    Ok(ExecutorCommand { program: value, argv0, args: arguments.collect(), env })
}
