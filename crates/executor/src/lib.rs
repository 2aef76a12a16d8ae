//! The executors the agent runs for frameworks that bring none:
//!
//! - `mesos-executor`, the command executor: one task's `CommandInfo`;
//! - `mesos-default-executor`: task groups (LAUNCH_GROUP), each task a
//!   command, a group failing together.
//!
//! Both report TASK_STARTING and TASK_RUNNING, then TASK_FINISHED,
//! TASK_FAILED (with the exit status in the message) or TASK_KILLED; kills
//! follow the task's `KillPolicy` grace period (SIGTERM to the task's
//! process group, then SIGKILL); they exit once the agent has acknowledged
//! every terminal update.

mod checks;
mod process;
mod run;

pub use run::Flavour;

/// The shared `main` of both executors.
pub fn main(flavour: Flavour) -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let env = match mesos_client::executor::ExecutorEnv::from_env() {
        Ok(env) => env,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(run::Runner::new(flavour, env).run())
}
