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
    let container = match Container::from_args(std::env::args().skip(1)) {
        Ok(container) => container,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(run::Runner::new(flavour, env, container).run())
}

/// What the agent tells the command executor about a container with an
/// image, as Mesos's flags: `--rootfs` (the image, mounted), `--sandbox_directory`
/// (the sandbox inside it), `--working_directory` and `--task_command` (the
/// task's command as the image decides it, Mesos JSON).
#[derive(Debug, Clone, Default)]
pub struct Container {
    pub rootfs: Option<process::Rootfs>,
    pub task_command: Option<mesos_proto::v1::CommandInfo>,
}

impl Container {
    pub fn from_args(args: impl Iterator<Item = String>) -> Result<Container, String> {
        let (mut root, mut sandbox, mut working, mut command) = (None, None, None, None);
        for arg in args {
            let Some((name, value)) = arg.strip_prefix("--").and_then(|a| a.split_once('=')) else { continue };
            match name {
                "rootfs" => root = Some(std::path::PathBuf::from(value)),
                "sandbox_directory" => sandbox = Some(std::path::PathBuf::from(value)),
                "working_directory" => working = Some(std::path::PathBuf::from(value)),
                "task_command" => {
                    let parsed = mesos_proto::json::from_slice(value.as_bytes())
                        .map_err(|e| format!("invalid --task_command: {e}"))?;
                    command = Some(parsed);
                }
                _ => {}
            }
        }
        let rootfs = root.map(|root| process::Rootfs {
            root,
            working_dir: working.or(sandbox).unwrap_or_else(|| std::path::PathBuf::from("/")),
        });
        Ok(Container { rootfs, task_command: command })
    }
}
