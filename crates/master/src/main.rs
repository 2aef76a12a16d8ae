//! `mesos-master`: parses flags, sets up logging, binds, and runs until
//! SIGTERM or SIGINT.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use mesos_master::MasterFlags;

fn main() -> anyhow::Result<()> {
    let flags = MasterFlags::from_args();
    mesos_http::daemon::block_on(async move {
        mesos_http::daemon::Logging {
            program: "mesos-master",
            level: &flags.daemon.logging_level,
            quiet: flags.daemon.quiet,
            log_dir: flags.daemon.log_dir.as_deref(),
        }
        .init()
        .map_err(|e| anyhow::anyhow!("cannot open the log file in --log_dir: {e}"))?;
        let address = SocketAddr::new(flags.daemon.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), flags.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| anyhow::anyhow!("failed to bind {address}: {e}"))?;
        let result = mesos_master::run(flags, listener, mesos_http::signals::shutdown_signal()).await;
        if let Err(error) = &result {
            tracing::error!("mesos-master cannot go on: {error:#}");
        }
        result
    })?
}
