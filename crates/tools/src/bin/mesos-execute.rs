//! `mesos-execute`: launches one task (or one task group) on the first offer
//! that fits, prints its status updates, and exits with its outcome: 0 when
//! it finished, 1 otherwise. A command task can run in a Docker image, with
//! the Mesos or the Docker containerizer, with volumes and networks.

use std::time::Duration;

use clap::Parser;
use mesos_client::scheduler::{Scheduler, SchedulerConfig, SchedulerEvent, SchedulerHandle};
use mesos_proto::ContentType;
use mesos_proto::v1::scheduler::event;
use mesos_proto::v1::{
    CommandInfo, ExecutorId, ExecutorInfo, FrameworkInfo, Offer, TaskGroupInfo, TaskId, TaskInfo, TaskState,
    TaskStatus, executor_info, framework_info::Capability, framework_info::capability, offer::Operation,
    offer::operation,
};
use mesos_resources::{ResourceFormat, Resources};
use mesos_tools::execute::{self, ContainerFlags};
use mesos_tools::{current_user, reason_name, source_name, state_name};

/// mesos-execute: runs one task and reports its fate.
#[derive(Debug, Parser)]
#[command(name = "mesos-execute", version, about, rename_all = "snake_case")]
struct Flags {
    /// The master: host:port, master@host:port, or zk://host:port/path to
    /// follow the leading master in ZooKeeper.
    #[arg(long, env = "MESOS_MASTER")]
    master: String,
    /// Name (and id) of the task.
    #[arg(long)]
    name: Option<String>,
    /// The command to run.
    #[arg(long)]
    command: Option<String>,
    /// Run the command through the shell (otherwise it is an executable path).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    shell: bool,
    /// Environment of the command, as a JSON object `{"NAME": "value"}`
    /// (or a path to a file holding it, `/path` or `file:///path`). With
    /// --task_group, added to every task (a task's own variables win).
    #[arg(long)]
    env: Option<String>,
    /// Resources of the task.
    #[arg(long, default_value = "cpus:1;mem:128")]
    resources: String,
    /// Docker image to run the task in, `<name>[:<tag>]` (e.g.
    /// `busybox:latest`). With --containerizer=mesos the agent provisions it
    /// (it needs `--isolation=filesystem/linux` and the image in its
    /// `--docker_registry`); with --containerizer=docker the Docker Engine
    /// runs it.
    #[arg(long)]
    docker_image: Option<String>,
    /// Containerizer of the task: mesos or docker (which needs
    /// --docker_image).
    #[arg(long, default_value = "mesos", value_parser = ["mesos", "docker"])]
    containerizer: String,
    /// Volumes of the task's container, as a JSON array of Volume
    /// (`[{"container_path":"/data","host_path":"/srv/data","mode":"RO"}]`),
    /// or a path to a file holding it (`/path` or `file:///path`).
    #[arg(long)]
    volumes: Option<String>,
    /// Comma-separated names of the CNI networks the container joins
    /// (`net1,net2`); the Docker containerizer joins one user network. With
    /// --task_group, the default executor's container joins them. (This
    /// agent's Mesos containerizer has no CNI isolator: its tasks share the
    /// host's network whatever is named.)
    #[arg(long)]
    networks: Option<String>,
    /// The whole task as JSON TaskInfo (or a path to a file holding it).
    #[arg(long, conflicts_with_all = ["name", "command", "task_group", "env", "docker_image", "volumes", "networks"])]
    task: Option<String>,
    /// A task group as JSON TaskGroupInfo (or a path), run by the default
    /// executor. Takes --env and --networks; its tasks cannot be given an
    /// image or volumes here (write them in each task's `container`).
    #[arg(long, conflicts_with_all = ["name", "command", "docker_image", "volumes"])]
    task_group: Option<String>,
    /// Name of the framework (an addition of this project; Mesos's tool
    /// always uses the default).
    #[arg(long, default_value = "mesos-execute instance")]
    framework_name: String,
    /// Role of the framework.
    #[arg(long, default_value = "*")]
    role: String,
    /// Whether the framework checkpoints, so that its task survives a
    /// restart of its agent.
    #[arg(long, default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    checkpoint: bool,
    /// Whether the framework is partition-aware.
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    partition_aware: bool,
    /// Kill the task this long after it is running (e.g. `10secs`).
    #[arg(long)]
    kill_after: Option<mesos_flags::MesosDuration>,
    /// Encoding of the calls: protobuf or json.
    #[arg(long, default_value = "protobuf")]
    content_type: String,
    /// Extra framework capabilities (comma-separated; GPU_RESOURCES).
    #[arg(long)]
    framework_capabilities: Option<String>,
    /// Principal of the framework.
    #[arg(long)]
    principal: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let flags = Flags::from_args_normalized();
    match run(flags).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

impl Flags {
    fn from_args_normalized() -> Flags {
        Flags::parse_from(mesos_flags::normalize_args(std::env::args(), &["shell", "checkpoint", "partition_aware"]))
    }
}

/// What to launch, decided before any offer arrives.
enum Work {
    Task(Box<TaskInfo>),
    Group { executor: Box<ExecutorInfo>, group: TaskGroupInfo },
}

async fn run(flags: Flags) -> Result<std::process::ExitCode, String> {
    let work = work(&flags)?;
    let needed = needed_resources(&work)?;
    let content_type = match flags.content_type.as_str() {
        "protobuf" => ContentType::Protobuf,
        "json" => ContentType::Json,
        other => {
            return Err(format!("--content_type must be protobuf or json, not '{other}'"));
        }
    };
    let mut config = SchedulerConfig::new(flags.master.clone(), framework_info(&flags)?);
    config.content_type = content_type;
    let (scheduler, mut events) = Scheduler::start(config).map_err(|e| e.to_string())?;
    let mut work = Some(work);
    let mut tasks_left = 0usize;
    let mut failed = false;
    let (kill_tx, mut kill_rx) = tokio::sync::mpsc::unbounded_channel::<TaskStatus>();
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(SchedulerEvent::Event(event)) => *event,
                Some(SchedulerEvent::Failed(reason)) => return Err(format!("Failed to subscribe: {reason}")),
                Some(_) => continue,
                None => return Ok(std::process::ExitCode::FAILURE),
            },
            Some(status) = kill_rx.recv() => {
                let _ = scheduler.kill(status.task_id, status.agent_id).await;
                continue;
            }
        };
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                if let Some(id) = scheduler.framework_id() {
                    println!("Subscribed with ID {}", id.value);
                }
            }
            Some(event::Type::Offers) => {
                for offer in event.offers.map(|o| o.offers).unwrap_or_default() {
                    let fits =
                        Resources::from_proto(&offer.resources).unwrap_or_default().unallocated().contains(&needed);
                    match (fits, work.take()) {
                        (true, Some(todo)) => {
                            tasks_left = launch(&scheduler, &offer, todo).await?;
                            let _ = scheduler.suppress(Vec::new()).await;
                        }
                        (_, todo) => {
                            work = todo;
                            let _ = scheduler.decline(vec![offer.id.clone()], None).await;
                        }
                    }
                }
            }
            Some(event::Type::Update) => {
                let Some(status) = event.update.map(|u| u.status) else {
                    continue;
                };
                print_update(&status);
                let _ = scheduler.acknowledge(&status).await;
                let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
                if state == TaskState::TaskRunning
                    && let Some(after) = flags.kill_after
                {
                    let kill_tx = kill_tx.clone();
                    let status = status.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from(after)).await;
                        let _ = kill_tx.send(status);
                    });
                }
                if state.is_terminal() {
                    failed |= state != TaskState::TaskFinished;
                    tasks_left = tasks_left.saturating_sub(1);
                    if tasks_left == 0 {
                        let _ = scheduler.teardown().await;
                        return Ok(if failed {
                            std::process::ExitCode::FAILURE
                        } else {
                            std::process::ExitCode::SUCCESS
                        });
                    }
                }
            }
            Some(event::Type::Error) => {
                return Err(format!("Received an ERROR event: {}", event.error.map(|e| e.message).unwrap_or_default()));
            }
            _ => {}
        }
    }
}

#[allow(deprecated)]
fn framework_info(flags: &Flags) -> Result<FrameworkInfo, String> {
    let mut capabilities = vec![
        capability::Type::ReservationRefinement,
        capability::Type::TaskKillingState,
        capability::Type::RevocableResources,
    ];
    if flags.partition_aware {
        capabilities.push(capability::Type::PartitionAware);
    }
    for extra in flags.framework_capabilities.iter().flat_map(|c| c.split(',')).map(str::trim).filter(|c| !c.is_empty())
    {
        match extra {
            "GPU_RESOURCES" => capabilities.push(capability::Type::GpuResources),
            other => {
                return Err(format!("--framework_capabilities: '{other}' is not supported (only GPU_RESOURCES)"));
            }
        }
    }
    Ok(FrameworkInfo {
        user: current_user(),
        name: flags.framework_name.clone(),
        role: Some(flags.role.clone()),
        checkpoint: Some(flags.checkpoint),
        principal: flags.principal.clone(),
        capabilities: capabilities.into_iter().map(|t| Capability { r#type: Some(t as i32) }).collect(),
        ..Default::default()
    })
}

/// Reads `--task`, `--task_group`, or builds a task from `--name` and `--command`.
fn work(flags: &Flags) -> Result<Work, String> {
    let environment = flags.env.as_deref().map(execute::environment).transpose()?;
    let networks = flags.networks.as_deref().map(execute::networks).unwrap_or_default();
    if let Some(text) = &flags.task {
        let task: TaskInfo =
            mesos_proto::json::from_slice(execute::read_json(text)?.as_bytes()).map_err(|e| format!("--task: {e}"))?;
        return Ok(Work::Task(Box::new(task)));
    }
    if let Some(text) = &flags.task_group {
        let mut group: TaskGroupInfo = mesos_proto::json::from_slice(execute::read_json(text)?.as_bytes())
            .map_err(|e| format!("--task_group: {e}"))?;
        if flags.containerizer != "mesos" {
            return Err(
                "--task_group runs in the default executor's Mesos container: --containerizer must be mesos".into()
            );
        }
        if let Some(environment) = &environment {
            execute::add_environment(&mut group, environment);
        }
        let resources = mesos_resources::parse::resources("cpus:0.1;mem:32;disk:32", "*").map_err(|e| e.to_string())?;
        let executor = ExecutorInfo {
            r#type: Some(executor_info::Type::Default as i32),
            executor_id: ExecutorId { value: "default-executor".into() },
            resources: resources.to_proto(ResourceFormat::PostRefinement),
            container: execute::group_executor_container(&networks),
            ..Default::default()
        };
        return Ok(Work::Group { executor: Box::new(executor), group });
    }
    let name = flags.name.clone().ok_or("--name is required (or --task / --task_group)")?;
    let command = flags.command.clone().ok_or("--command is required (or --task / --task_group)")?;
    let resources =
        mesos_resources::parse::resources(&flags.resources, "*").map_err(|e| format!("--resources: {e}"))?;
    let container = execute::container_info(&ContainerFlags {
        containerizer: flags.containerizer.parse()?,
        docker_image: flags.docker_image.clone(),
        volumes: flags.volumes.as_deref().map(execute::volumes).transpose()?.unwrap_or_default(),
        networks,
    })?;
    Ok(Work::Task(Box::new(TaskInfo {
        name: name.clone(),
        task_id: TaskId { value: name },
        resources: resources.to_proto(ResourceFormat::PostRefinement),
        command: Some(CommandInfo {
            value: Some(command),
            shell: Some(flags.shell),
            environment,
            ..Default::default()
        }),
        container,
        ..Default::default()
    })))
}

fn needed_resources(work: &Work) -> Result<Resources, String> {
    let mut total = Resources::new();
    let tasks: Vec<&TaskInfo> = match work {
        Work::Task(task) => vec![task],
        Work::Group { executor, group } => {
            total.add(&Resources::from_proto(&executor.resources).map_err(|e| e.to_string())?);
            group.tasks.iter().collect()
        }
    };
    for task in tasks {
        total.add(&Resources::from_proto(&task.resources).map_err(|e| format!("task {}: {e}", task.task_id.value))?);
    }
    Ok(total.unallocated())
}

/// Accepts the offer for the work; returns how many tasks were launched.
async fn launch(scheduler: &SchedulerHandle, offer: &Offer, work: Work) -> Result<usize, String> {
    let role = offer.allocation_info.as_ref().and_then(|a| a.role.clone()).unwrap_or_else(|| "*".into());
    let place = |task: &mut TaskInfo| {
        task.agent_id = offer.agent_id.clone();
        let resources = Resources::from_proto(&task.resources).unwrap_or_default();
        task.resources = resources.unallocated().allocated_to(&role).to_proto(ResourceFormat::PostRefinement);
    };
    let (operation, count) = match work {
        Work::Task(mut task) => {
            place(&mut task);
            println!("Submitted task '{}' to agent '{}'", task.name, offer.agent_id.value);
            let operation = Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: vec![*task] }),
                ..Default::default()
            };
            (operation, 1)
        }
        Work::Group { mut executor, mut group } => {
            let resources = Resources::from_proto(&executor.resources).unwrap_or_default();
            executor.resources = resources.unallocated().allocated_to(&role).to_proto(ResourceFormat::PostRefinement);
            for task in &mut group.tasks {
                place(task);
            }
            let names: Vec<String> = group.tasks.iter().map(|t| t.task_id.value.clone()).collect();
            println!("Submitted task group with tasks [ {} ] to agent '{}'", names.join(", "), offer.agent_id.value);
            let count = group.tasks.len();
            let operation = Operation {
                r#type: Some(operation::Type::LaunchGroup as i32),
                launch_group: Some(operation::LaunchGroup { executor: *executor, task_group: group }),
                ..Default::default()
            };
            (operation, count)
        }
    };
    scheduler
        .accept(vec![offer.id.clone()], vec![operation], None)
        .await
        .map_err(|e| format!("Failed to launch: {e}"))?;
    Ok(count)
}

fn print_update(status: &TaskStatus) {
    println!("Received status update {} for task '{}'", state_name(status), status.task_id.value);
    if let Some(message) = &status.message {
        println!("  message: '{message}'");
    }
    if let Some(source) = source_name(status) {
        println!("  source: {source}");
    }
    if let Some(reason) = reason_name(status) {
        println!("  reason: {reason}");
    }
    if let Some(healthy) = status.healthy {
        println!("  healthy?: {healthy}");
    }
}
