//! `mesos-executor`, the command executor: the agent starts it to run one
//! task's `CommandInfo`. It reports TASK_STARTING and TASK_RUNNING, then
//! TASK_FINISHED, TASK_FAILED (with the exit status in the message) or
//! TASK_KILLED; kills follow the task's `KillPolicy` grace period (SIGTERM to
//! the task's process group, then SIGKILL); it exits once the agent has
//! acknowledged the terminal update.

mod process;
mod run;

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let env = match mesos_client::executor::ExecutorEnv::from_env() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("mesos-executor: {error}");
            return ExitCode::FAILURE;
        }
    };
    run::CommandExecutor::new(env).run().await
}
