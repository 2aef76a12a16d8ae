//! Starting an executor: its sandbox, its fetched URIs, its command line and
//! the environment executor libraries read (`MESOS_AGENT_ENDPOINT`,
//! `MESOS_FRAMEWORK_ID`, `MESOS_EXECUTOR_ID`, `MESOS_DIRECTORY`, ...).

use std::time::Duration;

use mesos_agent_core::LaunchSpec;
use mesos_flags::MesosDuration;
use mesos_proto::v1::{AgentId, CommandInfo, environment};

use crate::containerizer::provisioner::Provisioned;
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
        let container = spec.executor.container.as_ref();
        let docker = container.is_some_and(|c| c.r#type == mesos_proto::v1::container_info::Type::Docker as i32);
        let image = container.filter(|_| !docker).and_then(|c| c.mesos.as_ref()).and_then(|m| m.image.clone());
        let provisioned = match &image {
            Some(image) => {
                let volumes = container.map(|c| c.volumes.clone()).unwrap_or_default();
                Some(self.provision(containerizer, &spec.container_id, image, &sandbox, volumes).await?)
            }
            None => None,
        };
        // A container with an image gets the image's environment, not the
        // agent's.
        let mut env: Vec<(String, String)> = match &provisioned {
            Some(provisioned) => provisioned.config.environment(),
            None => std::env::vars().filter(|(k, _)| !k.starts_with("MESOS_")).collect(),
        };
        let checkpoint = spec.framework.checkpoint();
        let directory = sandbox.display().to_string();
        let sandbox_directory = match &provisioned {
            Some(_) => containerizer.config().provisioner.sandbox_directory.display().to_string(),
            None => directory.clone(),
        };
        env.extend([
            ("MESOS_FRAMEWORK_ID".to_owned(), framework_id.clone()),
            ("MESOS_EXECUTOR_ID".to_owned(), executor_id.clone()),
            ("MESOS_DIRECTORY".to_owned(), directory.clone()),
            ("MESOS_SANDBOX".to_owned(), sandbox_directory.clone()),
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
        if docker {
            let support = containerizer.config().docker.as_ref().ok_or(
                "the task has a Docker container but the Docker containerizer is not enabled (--containerizers)",
            )?;
            if spec.command_task.is_none() {
                return Err("custom executors in Docker containers are not supported".into());
            }
            env.extend(support.executor_env());
        }
        let mut command = command;
        let mut rootfs = None;
        if let Some(Provisioned { rootfs: mut image_rootfs, config }) = provisioned {
            match &spec.command_task {
                // The command executor runs outside the image, its task
                // inside (see `mesos-executor --rootfs`).
                Some(task) => {
                    let working_directory = config.working_dir.clone().unwrap_or_else(|| sandbox_directory.clone());
                    command.arguments.extend([
                        format!("--rootfs={}", image_rootfs.target.display()),
                        format!("--sandbox_directory={sandbox_directory}"),
                        format!("--working_directory={working_directory}"),
                    ]);
                    let task_command = task.command.clone().unwrap_or_default();
                    if let Some((value, argv)) = config.task_command(
                        task_command.shell(),
                        task_command.value.as_deref(),
                        &task_command.arguments,
                    ) {
                        let resolved =
                            CommandInfo { value: Some(value), arguments: argv, shell: Some(false), ..task_command };
                        command.arguments.push(format!("--task_command={}", mesos_proto::json::to_string(&resolved)));
                    }
                }
                // A custom executor runs in the image itself.
                None => {
                    image_rootfs.chroot_executor = true;
                    if let Some((value, argv)) =
                        config.task_command(command.shell(), command.value.as_deref(), &command.arguments)
                    {
                        command.value = Some(value);
                        command.arguments = argv;
                    }
                }
            }
            rootfs = Some(image_rootfs);
        }
        let executor = executor_command(&command, env)?;
        let program = executor.program.clone();
        let request = LaunchRequest {
            container_id: spec.container_id.clone(),
            sandbox,
            command: executor,
            resources: spec.resources.clone(),
            rootfs,
            docker,
        };
        let launched = containerizer.launch(request).map_err(|e| format!("cannot start '{program}': {e}"));
        if launched.is_err() {
            containerizer.config().provisioner.destroy(&spec.container_id);
        }
        launched
    }

    /// Provisions the container's image root file system, off the event
    /// loop's threads.
    async fn provision(
        &self,
        containerizer: &Containerizer,
        container_id: &str,
        image: &mesos_proto::v1::Image,
        sandbox: &std::path::Path,
        volumes: Vec<mesos_proto::v1::Volume>,
    ) -> Result<Provisioned, String> {
        let config = containerizer.config();
        if !config.isolation.filesystem_linux || config.launcher != crate::containerizer::Launcher::Linux {
            return Err("container images need --isolation to include filesystem/linux, with --launcher=linux".into());
        }
        let provisioner = config.provisioner.clone();
        let (id, image, sandbox) = (container_id.to_owned(), image.clone(), sandbox.to_owned());
        let provisioned = tokio::task::spawn_blocking(move || provisioner.provision(&id, &image, &sandbox, &volumes))
            .await
            .map_err(|e| format!("provisioning failed: {e}"))?;
        if provisioned.is_err() {
            config.provisioner.destroy(container_id);
        }
        provisioned
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
