//! `test-framework`: the classic example framework. It runs 5 tasks of
//! 1 cpu and 128 MB on `test-executor`, packing as many as fit into each
//! offer, prints its progress, and exits 0 once all have finished (1 as soon
//! as one is lost, killed or failed).

use std::path::PathBuf;

use clap::Parser;
use mesos_client::scheduler::{Scheduler, SchedulerConfig, SchedulerEvent};
use mesos_proto::v1::scheduler::event;
use mesos_proto::v1::{
    CommandInfo, ExecutorId, ExecutorInfo, FrameworkInfo, Offer, TaskId, TaskInfo, TaskState,
    framework_info::Capability, framework_info::capability,
};
use mesos_resources::{ResourceFormat, Resources};
use mesos_tools::{current_user, reason_name, resources_json, source_name, state_name};

const TOTAL_TASKS: usize = 5;
const TASK_RESOURCES: &str = "cpus:1;mem:128";

/// test-framework: runs 5 tasks and exits.
#[derive(Debug, Parser)]
#[command(name = "test-framework", version, about, rename_all = "snake_case")]
struct Flags {
    /// The master: host:port, master@host:port, or zk://host:port/path to
    /// follow the leading master in ZooKeeper.
    #[arg(long, env = "MESOS_EXAMPLE_MASTER")]
    master: String,
    /// Role to run the tasks in.
    #[arg(long, env = "MESOS_EXAMPLE_ROLE", default_value = "*")]
    role: String,
    /// Principal of the framework.
    #[arg(long, env = "MESOS_EXAMPLE_PRINCIPAL", default_value = "test")]
    principal: String,
    /// Whether the framework checkpoints (its tasks survive agent restarts).
    #[arg(long, env = "MESOS_EXAMPLE_CHECKPOINT", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    checkpoint: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let flags = Flags::parse();
    let framework = FrameworkInfo {
        user: current_user(),
        name: "Test Framework (Rust)".into(),
        roles: vec![flags.role.clone()],
        principal: Some(flags.principal.clone()),
        checkpoint: Some(flags.checkpoint),
        capabilities: [capability::Type::MultiRole, capability::Type::ReservationRefinement]
            .into_iter()
            .map(|t| Capability { r#type: Some(t as i32) })
            .collect(),
        ..Default::default()
    };
    let executor = ExecutorInfo {
        executor_id: ExecutorId { value: "default".into() },
        name: Some("Test Executor (Rust)".into()),
        command: Some(CommandInfo {
            value: Some(executor_path().display().to_string()),
            shell: Some(false),
            arguments: vec!["test-executor".into()],
            ..Default::default()
        }),
        ..Default::default()
    };
    let (scheduler, mut events) = match Scheduler::start(SchedulerConfig::new(flags.master.clone(), framework)) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let wanted = mesos_resources::parse::resources(TASK_RESOURCES, "*").expect("constant resources parse");
    let (mut launched, mut finished) = (0usize, 0usize);
    while let Some(event) = events.recv().await {
        let event = match event {
            SchedulerEvent::Event(event) => *event,
            SchedulerEvent::Failed(reason) => {
                eprintln!("Failed to subscribe: {reason}");
                return std::process::ExitCode::FAILURE;
            }
            SchedulerEvent::Connected | SchedulerEvent::Disconnected => continue,
        };
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => println!("Registered!"),
            Some(event::Type::Offers) => {
                for offer in event.offers.map(|o| o.offers).unwrap_or_default() {
                    println!("Received offer {} with {}", offer.id.value, resources_json(&offer));
                    let tasks = pack(&offer, &wanted, &executor, &mut launched);
                    if let Err(error) = scheduler.launch(&offer, tasks).await {
                        eprintln!("Failed to accept offer {}: {error}", offer.id.value);
                    }
                }
            }
            Some(event::Type::Update) => {
                let Some(status) = event.update.map(|u| u.status) else {
                    continue;
                };
                println!("Task {} is in state {}", status.task_id.value, state_name(&status));
                let _ = scheduler.acknowledge(&status).await;
                let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
                if state == TaskState::TaskFinished {
                    finished += 1;
                }
                if matches!(state, TaskState::TaskLost | TaskState::TaskKilled | TaskState::TaskFailed) {
                    println!(
                        "Aborting because task {} is in unexpected state {} with reason {} from source {} with message '{}'",
                        status.task_id.value,
                        state_name(&status),
                        reason_name(&status).unwrap_or("None"),
                        source_name(&status).unwrap_or("None"),
                        status.message.unwrap_or_default()
                    );
                    let _ = scheduler.teardown().await;
                    return std::process::ExitCode::FAILURE;
                }
                if finished == TOTAL_TASKS {
                    let _ = scheduler.teardown().await;
                    return std::process::ExitCode::SUCCESS;
                }
            }
            Some(event::Type::Error) => {
                eprintln!("Received an ERROR event: {}", event.error.map(|e| e.message).unwrap_or_default());
                return std::process::ExitCode::FAILURE;
            }
            _ => {}
        }
    }
    std::process::ExitCode::FAILURE
}

/// As many of the remaining tasks as fit in the offer.
fn pack(offer: &Offer, wanted: &Resources, executor: &ExecutorInfo, launched: &mut usize) -> Vec<TaskInfo> {
    let role = offer.allocation_info.as_ref().and_then(|a| a.role.clone()).unwrap_or_else(|| "*".into());
    let mut remaining = Resources::from_proto(&offer.resources).unwrap_or_default().unallocated();
    let mut tasks = Vec::new();
    while *launched < TOTAL_TASKS {
        let Some(rest) = remaining.checked_minus(wanted) else {
            break;
        };
        remaining = rest;
        let id = launched.to_string();
        println!("Launching task {id} using offer {}", offer.id.value);
        tasks.push(TaskInfo {
            name: format!("Task {id}"),
            task_id: TaskId { value: id },
            agent_id: offer.agent_id.clone(),
            resources: wanted.allocated_to(&role).to_proto(ResourceFormat::PostRefinement),
            executor: Some(executor.clone()),
            ..Default::default()
        });
        *launched += 1;
    }
    tasks
}

/// `$MESOS_HELPER_DIR/test-executor`, or the one beside this program.
fn executor_path() -> PathBuf {
    if let Ok(dir) = std::env::var("MESOS_HELPER_DIR") {
        return PathBuf::from(dir).join("test-executor");
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("test-executor")))
        .unwrap_or_else(|| PathBuf::from("test-executor"))
}
