//! What each command does: `cluster.rs` (agents, frameworks), `tasks.rs`
//! (listing and killing), `logs.rs` (sandbox files), `maintenance.rs`,
//! `roles.rs` (quota and weights), `registry.rs` (backups and restores).

mod cluster;
mod logs;
mod maintenance;
mod registry;
mod roles;
mod tasks;

use std::io::Write;

use mesos_proto::v1::Resource;

use crate::api::Master;
use crate::args::{AgentCommand, Cli, Command, FrameworkCommand, TaskCommand};
use crate::error::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Registry { command } = &cli.command
        && let Some(outcome) = registry::offline(command)
    {
        return outcome;
    }
    let mut master = Master::new(crate::master::locate(&cli.master).await?);
    let json = cli.json;
    match cli.command {
        Command::Agent { command: AgentCommand::List } => cluster::agents(&mut master, json).await,
        Command::Framework { command: FrameworkCommand::List { all } } => {
            cluster::frameworks(&mut master, all, json).await
        }
        Command::Task { command: TaskCommand::List { all } } => tasks::list(&mut master, all, json).await,
        Command::Task { command: TaskCommand::Kill { task } } => tasks::kill(&mut master, &task).await,
        Command::Task { command: TaskCommand::Log(args) } => logs::log(&mut master, &args).await,
        Command::Maintenance { command } => maintenance::run(&mut master, command, json).await,
        Command::Quota { command } => roles::quota(&mut master, command, json).await,
        Command::Weights { command } => roles::weights(&mut master, command, json).await,
        Command::Registry { .. } => registry::export(&mut master).await,
    }
}

/// The total of a scalar resource in a list.
pub fn scalar(resources: &[Resource], name: &str) -> f64 {
    resources.iter().filter(|r| r.name == name).filter_map(|r| r.scalar.map(|s| s.value)).sum()
}

/// Prints a message as Mesos's JSON.
pub fn print_json<M: prost::Message + prost::Name>(message: &M) -> Result<(), CliError> {
    let mut out = std::io::stdout();
    let text = serde_json::to_string_pretty(&mesos_proto::json::to_value(message)).unwrap_or_default();
    writeln!(out, "{text}")?;
    Ok(())
}
