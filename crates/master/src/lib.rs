//! The master daemon: the pure [`mesos_master_core::Master`] driven by an
//! event loop, served over HTTP.
//!
//! [`run`] takes an already bound listener and a shutdown signal, so tests
//! and `mesos-local` can start masters on any port, several per process.
//! When the signal comes the master stops within `--shutdown_timeout`: it
//! stops accepting connections, stops its event loop (every scheduler,
//! agent and operator stream ends) once the registry operations in flight
//! are stored, leaves the masters' group in ZooKeeper at once so that
//! another master can lead, and drops the connections still open.

pub mod actor;
pub mod config;
pub mod flags;
mod http;
pub mod identity;
pub mod leadership;
pub mod registry;
pub use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use mesos_master_core::Master;
use mesos_registry::Registry;
use tokio::net::TcpListener;

use crate::leadership::Leadership;
use crate::registry::{MemoryStore, Recover, Store, file::FileStore, zookeeper::ZooKeeperStore};

pub use flags::MasterFlags;

/// Runs a master on `listener` until `shutdown` completes.
pub async fn run(
    flags: MasterFlags,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let local = listener.local_addr()?;
    let hostname = match (&flags.daemon.hostname, flags.daemon.hostname_lookup) {
        (Some(hostname), _) => hostname.clone(),
        (None, true) => identity::system_hostname(),
        (None, false) => local.ip().to_string(),
    };
    let ip = flags.daemon.advertise_ip.unwrap_or_else(|| identity::advertised_ip(local.ip(), &hostname));
    let port = flags.daemon.advertise_port.unwrap_or(local.port());
    let id = uuid::Uuid::new_v4();
    let info = identity::master_info(&id.to_string(), ip, port, &hostname);
    let seed = id.as_u64_pair().0;
    let mut config = config::master_config(&flags, info.clone(), seed)?;
    // A random hash seed keeps ids that clients choose from being crafted
    // into collisions in the core's maps.
    config.hash_seed = id.as_u64_pair().1;
    let start_time = actor::now();
    let (handle, inbox) = actor::handle(flags.event_stream_backlog as usize);
    let (leadership, candidacy) = match &flags.zk {
        None => {
            let store = local_store(&flags)?;
            let (registry, store) = load_registry(store, &flags).await?;
            lead(&handle, inbox, Master::new(config, start_time), registry, store, &flags);
            (Leadership::standalone(&info), None)
        }
        Some(zk) => {
            let url = mesos_zk::ZkUrl::parse(zk)?;
            let session_timeout = flags.zk_session_timeout.into();
            let detector = mesos_zk::Detector::start(url.clone(), session_timeout);
            let leadership = Leadership::standby(detector.leader());
            let candidacy = Candidacy { url, info: info.clone(), session_timeout, config };
            let (resign, resignation) = tokio::sync::watch::channel(false);
            let task =
                tokio::spawn(contend(candidacy, handle.clone(), inbox, leadership.clone(), flags.clone(), resignation));
            (leadership, Some((resign, task)))
        }
    };
    let shutdown_timeout: std::time::Duration = flags.daemon.shutdown_timeout.into();
    tracing::info!(master_id = %id, address = %format!("{ip}:{port}"), hostname = %hostname, "master started");
    mesos_http::daemon::announce_listening("mesos-master", local, flags.daemon.port_file.as_deref())?;
    let state = http::AppState {
        master: handle.clone(),
        flags: Arc::new(flags),
        info: Arc::new(info),
        start_time,
        leadership,
        http: mesos_http::client::Client::new().with_timeout(std::time::Duration::from_secs(15)),
    };
    let server = mesos_http::serve::Server::start(listener, http::router(state));
    shutdown.await;
    let deadline = tokio::time::Instant::now() + shutdown_timeout;
    tracing::info!(timeout = ?shutdown_timeout, "master stopping");
    server.stop_accepting();
    let stopped = match candidacy {
        None => tokio::time::timeout_at(deadline, handle.shut_down()).await.is_ok(),
        Some((resign, task)) => {
            let _ = resign.send(true);
            tokio::time::timeout_at(deadline, task).await.is_ok()
        }
    };
    if !stopped {
        tracing::warn!("the event loop or the registry did not stop within --shutdown_timeout");
    }
    let dropped = server.close(deadline).await;
    tracing::info!(dropped_connections = dropped, "master stopped");
    Ok(())
}

/// Recovers the core from `registry` and starts its event loop.
fn lead(
    handle: &actor::MasterHandle,
    inbox: actor::Inbox,
    mut core: Master,
    registry: Registry,
    store: Box<dyn Store>,
    flags: &MasterFlags,
) {
    tracing::info!(
        agents = registry.agents.len(),
        unreachable = registry.unreachable.len(),
        gone = registry.gone.len(),
        "recovered the registry"
    );
    core.recover(registry.clone(), actor::now());
    let setup = actor::RegistrySetup { registry, store, store_timeout: flags.registry_store_timeout.into() };
    actor::start(handle, inbox, core, flags.allocation_interval.into(), setup);
}

/// Completes when the master is told to resign (or can no longer be told).
async fn resigned(resign: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = resign.wait_for(|r| *r).await;
}

/// What a master contends with.
struct Candidacy {
    url: mesos_zk::ZkUrl,
    info: mesos_proto::v1::MasterInfo,
    session_timeout: std::time::Duration,
    config: mesos_master_core::MasterConfig,
}

/// Contends in ZooKeeper until elected (joining again if the session is
/// lost while standing by), then leads until the session is lost. When
/// `resign` turns true it stops: a leader stops its event loop first (so
/// that the registry writes in flight, fenced by its membership, are
/// stored), then closes its session.
async fn contend(
    candidacy: Candidacy,
    handle: actor::MasterHandle,
    inbox: actor::Inbox,
    leadership: Leadership,
    flags: MasterFlags,
    mut resign: tokio::sync::watch::Receiver<bool>,
) {
    let Candidacy { url, info, session_timeout, config } = candidacy;
    let contender = loop {
        let contended = tokio::select! {
            contended = mesos_zk::Contender::contend(&url, &info, session_timeout) => contended,
            () = resigned(&mut resign) => return,
        };
        let contender = match contended {
            Ok(contender) => contender,
            Err(error) => {
                tracing::warn!(%error, "cannot contend for leadership; trying again");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        tokio::select! {
            elected = contender.elected() => match elected {
                Ok(()) => break contender,
                Err(error) => tracing::warn!(%error, "lost the candidacy; contending again"),
            },
            state = contender.session_lost() => {
                tracing::warn!(?state, "lost the ZooKeeper session while standing by; contending again");
            }
            () = resigned(&mut resign) => {
                contender.close().await;
                return;
            }
        }
    };
    tracing::info!(member = %contender.node(), "elected as the leading master");
    let store: Box<dyn Store> = match flags.registry.as_str() {
        "in_memory" => Box::new(MemoryStore),
        _ => match recover_mode(&flags) {
            Ok(recover) => {
                Box::new(ZooKeeperStore::new(contender.client().clone(), &url.path, contender.node(), recover))
            }
            Err(error) => leadership::abdicate(&format!("{error:#}")),
        },
    };
    let (registry, store) = match load_registry(store, &flags).await {
        Ok(loaded) => loaded,
        Err(error) => leadership::abdicate(&format!("cannot recover the registry: {error:#}")),
    };
    lead(&handle, inbox, Master::new(config, actor::now()), registry, store, &flags);
    leadership.set_leading();
    tokio::select! {
        state = contender.session_lost() => {
            leadership::abdicate(&format!("lost leadership: the ZooKeeper session is {state:?}"));
        }
        () = resigned(&mut resign) => {
            handle.shut_down().await;
            contender.close().await;
        }
    }
}

/// The store of a master that leads on its own: `<work_dir>/registry.db`,
/// or memory with `--registry=in_memory`.
fn local_store(flags: &MasterFlags) -> anyhow::Result<Box<dyn Store>> {
    Ok(match flags.registry.as_str() {
        "in_memory" => Box::new(MemoryStore),
        _ => {
            let work_dir = flags
                .work_dir
                .as_ref()
                .context("--work_dir is required to keep the registry (or use --registry=in_memory)")?;
            Box::new(FileStore::new(&work_dir.join(registry::file::FILE_NAME), recover_mode(flags)?))
        }
    })
}

/// `--registry_recover`, said loudly when it is not the default.
fn recover_mode(flags: &MasterFlags) -> anyhow::Result<Recover> {
    let mode: Recover = flags.registry_recover.parse().map_err(anyhow::Error::msg)?;
    if mode == Recover::Discard {
        tracing::warn!(
            "--registry_recover=discard: a registry that is damaged or older than the last one stored will be \
             DISCARDED and the master will start with an empty one"
        );
    }
    Ok(mode)
}

/// Reads the registry from `store` within `--registry_fetch_timeout`. A
/// registry that cannot be read, or is not the one last stored, is an
/// error that says how to recover: the master never starts over an empty
/// or older one by mistake.
async fn load_registry(mut store: Box<dyn Store>, flags: &MasterFlags) -> anyhow::Result<(Registry, Box<dyn Store>)> {
    let timeout = flags.registry_fetch_timeout.into();
    let load = tokio::task::spawn_blocking(move || match store.load() {
        Ok(registry) => Ok((registry, store)),
        Err(error) if error.is_damage() => Err(anyhow::anyhow!("{error}. {}", store.advice())),
        Err(error) => Err(anyhow::Error::from(error)),
    });
    let (registry, store) = tokio::time::timeout(timeout, load)
        .await
        .context("reading the registry took longer than --registry_fetch_timeout")?
        .context("reading the registry failed")??;
    Ok((registry, store))
}
