//! The master daemon: the pure [`mesos_master_core::Master`] driven by an
//! event loop, served over HTTP.
//!
//! [`run`] takes an already bound listener and a shutdown signal, so tests
//! and `mesos-local` can start masters on any port, several per process.

pub mod actor;
pub mod config;
pub mod flags;
mod http;
pub mod identity;
pub mod views;

use std::future::Future;
use std::sync::Arc;

use mesos_master_core::Master;
use tokio::net::TcpListener;

pub use flags::MasterFlags;

/// Runs a master on `listener` until `shutdown` completes.
pub async fn run(
    flags: MasterFlags,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let local = listener.local_addr()?;
    let hostname = match (&flags.hostname, flags.hostname_lookup) {
        (Some(hostname), _) => hostname.clone(),
        (None, true) => identity::system_hostname(),
        (None, false) => local.ip().to_string(),
    };
    let ip = flags.advertise_ip.unwrap_or_else(|| identity::advertised_ip(local.ip(), &hostname));
    let port = flags.advertise_port.unwrap_or(local.port());
    let id = uuid::Uuid::new_v4();
    mesos_proto::collections::set_hash_seed(uuid::Uuid::new_v4().as_u64_pair().1);
    let info = identity::master_info(&id.to_string(), ip, port, &hostname);
    let seed = id.as_u64_pair().0;
    let config = config::master_config(&flags, info.clone(), seed)?;
    let start_time = actor::now();
    let core = Master::new(config, start_time);
    let handle = actor::spawn(core, flags.allocation_interval.into());
    tracing::info!(master_id = %id, address = %format!("{ip}:{port}"), hostname = %hostname, "master started");
    let state = http::AppState { master: handle, flags: Arc::new(flags), info: Arc::new(info), start_time };
    axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
