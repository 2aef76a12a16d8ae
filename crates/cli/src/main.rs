//! `mesos`: the operator's command line. Lists agents, frameworks and
//! tasks, shows and follows a task's sandbox files, kills tasks, and manages
//! maintenance, quota and weights, all through the master's operator API.
//! Tables by default, `--json` for machines; a one-line error and exit code
//! 1 when something goes wrong (2 for bad usage).

mod api;
mod args;
mod commands;
mod error;
mod master;
mod table;

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = args::Cli::parse();
    let outcome = commands::run(cli).await;
    if let Err(error) = outcome {
        eprintln!("mesos: {error}");
        std::process::exit(1);
    }
}
