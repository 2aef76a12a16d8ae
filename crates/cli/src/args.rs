//! The command line: `mesos [--master=HOST:PORT] [--json] <noun> <verb>`.

use clap::{Args, Parser, Subcommand};

/// mesos: look at and operate a Mesos cluster through its master.
#[derive(Debug, Parser)]
#[command(name = "mesos", version, about, long_about = None)]
pub struct Cli {
    /// The master: host:port (a non-leading master redirects to the leader),
    /// or zk://host:port/path for the leader that ZooKeeper names.
    #[arg(long, env = "MESOS_MASTER", default_value = crate::master::DEFAULT, global = true)]
    pub master: String,
    /// Print JSON (the operator API's messages) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Agents registered with the master.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Frameworks known to the master.
    Framework {
        #[command(subcommand)]
        command: FrameworkCommand,
    },
    /// Tasks, their logs, killing them.
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
    /// Maintenance: the schedule, machines down and up, draining agents.
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
    },
    /// Quota of roles.
    Quota {
        #[command(subcommand)]
        command: QuotaCommand,
    },
    /// Weights of roles.
    Weights {
        #[command(subcommand)]
        command: WeightsCommand,
    },
    /// The registry (admitted, unreachable and gone agents, quota, weights,
    /// maintenance): backups and restores.
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Lists the agents with their resources in use and in total.
    List,
}

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// Lists the frameworks with their tasks and resources.
    List {
        /// Include completed frameworks.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Lists the active tasks.
    List {
        /// Include completed and unreachable tasks.
        #[arg(long)]
        all: bool,
    },
    /// Prints a task's stdout (or another file of its sandbox).
    Log(LogArgs),
    /// Kills an active task (its framework sees it killed).
    Kill {
        /// The task's id.
        task: String,
    },
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The task's id.
    pub task: String,
    /// Keep printing what is appended until the task ends.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The sandbox file to print.
    #[arg(long, default_value = "stdout")]
    pub file: String,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// Shows the maintenance schedule.
    Schedule,
    /// Replaces the schedule with a JSON `Schedule` read from FILE (`-` for stdin).
    Update { file: String },
    /// Shows machines draining (with frameworks' answers) and down.
    Status,
    /// Takes machines down (they must be scheduled): HOSTNAME or HOSTNAME/IP.
    Down {
        #[arg(required = true)]
        machines: Vec<String>,
    },
    /// Brings machines back up.
    Up {
        #[arg(required = true)]
        machines: Vec<String>,
    },
    /// Drains an agent: its tasks are killed and it gets no more offers.
    Drain {
        agent: String,
        /// Longest grace period given to each task, in seconds.
        #[arg(long)]
        max_grace_period: Option<u64>,
        /// Mark the agent gone once drained.
        #[arg(long)]
        mark_gone: bool,
    },
    /// Stops offering an agent's resources.
    Deactivate { agent: String },
    /// Offers an agent's resources again (and ends its draining).
    Reactivate { agent: String },
}

#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Lists the quota of every role that has some.
    List,
    /// Sets a role's quota: `--limit cpus=4,mem=2048`, `--guarantee cpus=1`.
    Set {
        role: String,
        #[arg(long)]
        limit: Option<String>,
        #[arg(long)]
        guarantee: Option<String>,
        /// Set it even if the cluster cannot honour it now.
        #[arg(long)]
        force: bool,
    },
    /// Removes a role's quota.
    Remove { role: String },
}

#[derive(Debug, Subcommand)]
pub enum WeightsCommand {
    /// Lists the roles whose weight was set.
    List,
    /// Sets weights: `ROLE=WEIGHT ...`.
    Set {
        #[arg(required = true)]
        weights: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Prints the registry as JSON, as `/registrar(1)/registry` shows it:
    /// the leading master's, or with --work_dir the registry file of a
    /// stopped master.
    Export {
        /// A stopped master's work directory: read its `registry.db`
        /// (checked against its marker as the master would check it).
        #[arg(long, visible_alias = "work_dir")]
        work_dir: Option<std::path::PathBuf>,
        /// With --work_dir, print what the file holds even when a master
        /// would refuse it (it may be damaged or older than the last
        /// registry stored).
        #[arg(long)]
        force: bool,
    },
    /// Replaces a stopped master's registry with a backup made by
    /// `export` (the old file is kept beside it). The master then starts
    /// from the backup.
    Import {
        /// The stopped master's work directory.
        #[arg(long, visible_alias = "work_dir", required = true)]
        work_dir: std::path::PathBuf,
        /// The backup (JSON; `-` for standard input).
        file: std::path::PathBuf,
    },
}
