//! `mesos-master`: parses flags, sets up logging, binds, and runs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use mesos_master::MasterFlags;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = MasterFlags::from_args();
    init_logging(&flags.logging_level, flags.quiet);
    let address = SocketAddr::new(
        flags.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        flags.port,
    );
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| anyhow::anyhow!("failed to bind {address}: {e}"))?;
    mesos_master::run(flags, listener, shutdown_signal()).await
}

fn init_logging(level: &str, quiet: bool) {
    let filter = match level.to_ascii_uppercase().as_str() {
        "INFO" => "info".to_owned(),
        "WARNING" | "WARN" => "warn".to_owned(),
        "ERROR" => "error".to_owned(),
        _ => level.to_owned(),
    };
    let filter = if quiet { "off".to_owned() } else { filter };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
