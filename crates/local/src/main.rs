//! `mesos-local`: a master and `--num_slaves` agents in one process, on
//! embedded defaults, for trying the system on one machine. SIGTERM or
//! Ctrl-C stops them all within `--shutdown_timeout` (executors keep
//! running, as when an agent stops); a second signal exits at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::Parser;
use mesos_agent::AgentFlags;
use mesos_master::MasterFlags;

/// mesos-local: a whole cluster in one process.
#[derive(Debug, Parser)]
#[command(name = "mesos-local", version, about, long_about = None, rename_all = "snake_case")]
struct LocalFlags {
    /// IP address to listen on.
    #[arg(long, env = "MESOS_IP", default_value = "127.0.0.1")]
    ip: IpAddr,

    /// Port of the master; 0 binds one the kernel picks (agents always
    /// take ports the kernel picks).
    #[arg(long, env = "MESOS_PORT", default_value_t = 5050)]
    port: u16,

    /// Once the master listens, write its port (decimal, then a newline) to
    /// this file, atomically.
    #[arg(long, env = "MESOS_PORT_FILE")]
    port_file: Option<PathBuf>,

    /// Number of agents.
    #[arg(long = "num_slaves", env = "MESOS_NUM_SLAVES", default_value_t = 1)]
    num_agents: usize,

    /// Directory for the agents' sandboxes (a new temporary directory when unset).
    #[arg(long, env = "MESOS_WORK_DIR")]
    work_dir: Option<PathBuf>,

    /// Resources of each agent (detected from the machine when unset).
    #[arg(long, env = "MESOS_RESOURCES")]
    resources: Option<String>,

    /// Logging level: ERROR, WARNING, INFO (default) or a tracing filter.
    #[arg(long, env = "MESOS_LOGGING_LEVEL", default_value = "INFO")]
    logging_level: String,

    /// Directory for the log file, `<log_dir>/mesos-local.INFO` (besides
    /// standard error), reopened on SIGHUP for logrotate.
    #[arg(long, env = "MESOS_LOG_DIR")]
    log_dir: Option<PathBuf>,

    /// Longest the master and each agent may take to stop on SIGTERM or
    /// SIGINT (they stop at the same time).
    #[arg(long, env = "MESOS_SHUTDOWN_TIMEOUT", default_value = "5secs")]
    shutdown_timeout: mesos_flags::MesosDuration,
}

fn main() -> anyhow::Result<()> {
    let local = LocalFlags::parse();
    mesos_http::daemon::block_on(run(local))?
}

async fn run(local: LocalFlags) -> anyhow::Result<()> {
    mesos_http::daemon::Logging {
        program: "mesos-local",
        level: &local.logging_level,
        quiet: false,
        log_dir: local.log_dir.as_deref(),
    }
    .init()
    .map_err(|e| anyhow::anyhow!("cannot open the log file in --log_dir: {e}"))?;
    let work_dir = match &local.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("mesos-local-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work_dir)?;
    let requested = SocketAddr::new(local.ip, local.port);
    let master_listener = tokio::net::TcpListener::bind(requested)
        .await
        .map_err(|e| anyhow::anyhow!("failed to bind {requested}: {e}"))?;
    // With --port=0 the agents must be told the port the kernel picked.
    let master_address = master_listener.local_addr()?;
    let mut master_args = vec![
        "mesos-master".to_owned(),
        format!("--ip={}", local.ip),
        format!("--port={}", master_address.port()),
        format!("--work_dir={}", work_dir.join("master").display()),
        format!("--shutdown_timeout={}", local.shutdown_timeout),
    ];
    if let Some(port_file) = &local.port_file {
        master_args.push(format!("--port_file={}", port_file.display()));
    }
    let master_flags = MasterFlags::parse_from(master_args);
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut tasks = Vec::new();
    let mut stopped = stop.subscribe();
    tasks.push(tokio::spawn(mesos_master::run(master_flags, master_listener, async move {
        let _ = stopped.recv().await;
    })));
    for index in 0..local.num_agents {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(local.ip, 0)).await?;
        let mut args = vec![
            "mesos-agent".to_owned(),
            format!("--master={master_address}"),
            format!("--ip={}", local.ip),
            format!("--work_dir={}", work_dir.join(format!("agent-{index}")).display()),
            format!("--shutdown_timeout={}", local.shutdown_timeout),
        ];
        if let Some(resources) = &local.resources {
            args.push(format!("--resources={resources}"));
        }
        let mut agent_flags = AgentFlags::parse_from(args);
        // MESOS_PORT_FILE in the environment names the master's port file.
        agent_flags.daemon.port_file = None;
        let mut stopped = stop.subscribe();
        tasks.push(tokio::spawn(mesos_agent::run(agent_flags, listener, async move {
            let _ = stopped.recv().await;
        })));
    }
    let web = if local.ip == IpAddr::V4(Ipv4Addr::UNSPECIFIED) {
        format!("127.0.0.1:{}", master_address.port())
    } else {
        master_address.to_string()
    };
    println!(
        "mesos-local: master at http://{web} with {} agent(s); sandboxes under {}",
        local.num_agents,
        work_dir.display()
    );
    mesos_http::signals::shutdown_signal().await;
    let _ = stop.send(());
    for task in tasks {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(error = %format!("{error:#}"), "a daemon failed"),
            Err(error) => tracing::error!(%error, "a daemon's task failed"),
        }
    }
    tracing::info!("mesos-local stopped");
    Ok(())
}
