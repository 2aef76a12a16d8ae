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
mod quota;
pub mod registry;
pub mod views;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use mesos_master_core::Master;
use mesos_registry::Registry;
use tokio::net::TcpListener;

use crate::registry::{MemoryStore, Store, file::FileStore};

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
    let (registry, store) = open_registry(&flags).await?;
    let mut core = Master::new(config, start_time);
    tracing::info!(
        agents = registry.agents.len(),
        unreachable = registry.unreachable.len(),
        gone = registry.gone.len(),
        "recovered the registry"
    );
    core.recover(registry.clone(), start_time);
    let setup = actor::RegistrySetup { registry, store, store_timeout: flags.registry_store_timeout.into() };
    let handle = actor::spawn(core, flags.allocation_interval.into(), setup);
    tracing::info!(master_id = %id, address = %format!("{ip}:{port}"), hostname = %hostname, "master started");
    let state = http::AppState { master: handle, flags: Arc::new(flags), info: Arc::new(info), start_time };
    axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// Opens the store `--registry` names and reads the registry from it,
/// within `--registry_fetch_timeout`. A registry that cannot be read is an
/// error: the master never starts over an empty one by mistake.
async fn open_registry(flags: &MasterFlags) -> anyhow::Result<(Registry, Box<dyn Store>)> {
    let mut store: Box<dyn Store> = match flags.registry.as_str() {
        "in_memory" => Box::new(MemoryStore),
        _ => {
            let work_dir = flags
                .work_dir
                .as_ref()
                .context("--work_dir is required to keep the registry (or use --registry=in_memory)")?;
            Box::new(FileStore::open(&work_dir.join(registry::file::FILE_NAME))?)
        }
    };
    let timeout = flags.registry_fetch_timeout.into();
    let load = tokio::task::spawn_blocking(move || store.load().map(|registry| (registry, store)));
    let (registry, store) = tokio::time::timeout(timeout, load)
        .await
        .context("reading the registry took longer than --registry_fetch_timeout")??
        .map_err(anyhow::Error::from)?;
    Ok((registry, store))
}
