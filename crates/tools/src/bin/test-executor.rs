//! `test-executor`: the executor of `test-framework`. For every task it is
//! given it reports TASK_RUNNING, then TASK_FINISHED.

use mesos_client::executor::{Executor, ExecutorEnv, ExecutorEvent};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::event;
use mesos_proto::v1::{TaskState, TaskStatus};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let env = match ExecutorEnv::from_env() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (handle, mut events) = Executor::start(env, ContentType::Protobuf);
    while let Some(event) = events.recv().await {
        let event = match event {
            ExecutorEvent::Event(event) => *event,
            ExecutorEvent::AgentLost(_) => break,
        };
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => {
                let hostname = event.subscribed.map(|s| s.agent_info.hostname).unwrap_or_default();
                println!("Registered executor on {hostname}");
            }
            Some(event::Type::Launch) => {
                let Some(launch) = event.launch else { continue };
                let task_id = launch.task.task_id;
                println!("Starting task {}", task_id.value);
                let running =
                    TaskStatus { task_id: task_id.clone(), state: TaskState::TaskRunning as i32, ..Default::default() };
                let _ = handle.update(running).await;
                println!("Finishing task {}", task_id.value);
                let finished = TaskStatus { task_id, state: TaskState::TaskFinished as i32, ..Default::default() };
                let _ = handle.update(finished).await;
            }
            Some(event::Type::Shutdown) => break,
            _ => {}
        }
    }
    std::process::ExitCode::SUCCESS
}
