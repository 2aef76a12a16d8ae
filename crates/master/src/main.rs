//! `mesos-master`: parses flags, sets up logging, binds, and runs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use mesos_master::MasterFlags;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = MasterFlags::from_args();
    mesos_http::daemon::init_logging(&flags.logging_level, flags.quiet);
    let address = SocketAddr::new(flags.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), flags.port);
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|e| anyhow::anyhow!("failed to bind {address}: {e}"))?;
    let result = mesos_master::run(flags, listener, mesos_http::daemon::shutdown_signal()).await;
    if let Err(error) = &result {
        tracing::error!("mesos-master cannot go on: {error:#}");
    }
    result
}
