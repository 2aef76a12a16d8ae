//! The agent daemon: the pure [`mesos_agent_core::Agent`] driven by an event
//! loop, connected to the master, running executors with the POSIX
//! containerizer, and serving the executor API.
//!
//! [`run`] takes an already bound listener and a shutdown signal, so tests
//! and `mesos-local` can run agents on any port, several per process.
//! When the signal comes the agent stops within `--shutdown_timeout`: it
//! stops accepting connections, stops its event loop once the checkpoint
//! records it asked for are written (so what it decided is on disk), which
//! ends the executors' streams, closes its connection to the master and
//! drops the connections still open. Executors keep running, as on any
//! agent restart.

pub mod actor;
pub mod api_views;
pub mod checkpoint;
pub mod containerizer;
pub mod detect;
mod fetcher;
pub mod files;
pub mod flags;
pub mod gc;
mod http;
mod launch;
pub mod master_link;
pub mod paths;
pub mod process;
pub mod views;
mod volumes;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mesos_agent_core::{Agent, AgentConfig};
use mesos_proto::v1::{Address, AgentInfo};
use tokio::net::TcpListener;

pub use flags::AgentFlags;

/// Runs an agent on `listener` until `shutdown` completes or the master
/// tells it to go away.
pub async fn run(
    flags: AgentFlags,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let master = master_link::master_source(&flags.master).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&flags.work_dir)
        .map_err(|e| anyhow::anyhow!("cannot create --work_dir {}: {e}", flags.work_dir.display()))?;
    let local = listener.local_addr()?;
    let hostname = match (&flags.daemon.hostname, flags.daemon.hostname_lookup) {
        (Some(hostname), _) => hostname.clone(),
        (None, true) => {
            nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "localhost".into())
        }
        (None, false) => local.ip().to_string(),
    };
    let ip = flags
        .daemon
        .advertise_ip
        .unwrap_or_else(|| if local.ip().is_unspecified() { std::net::Ipv4Addr::LOCALHOST.into() } else { local.ip() });
    let port = flags.daemon.advertise_port.unwrap_or(local.port());
    let given = match &flags.resources {
        Some(text) => mesos_resources::parse::resources(&mesos_flags::read_value(text)?, &flags.default_role)?,
        None => mesos_resources::Resources::new(),
    };
    let gpus = gpu_devices(&flags)?;
    let mut total = mesos_resources::detect::with_defaults(given, detect::machine_capacity(&flags.work_dir));
    if gpus.offered.is_some() && !total.names().contains(&"gpus") {
        total.add_resource(mesos_resources::Resource::scalar("gpus", gpus.devices.len() as f64));
    }
    let attributes = match &flags.attributes {
        Some(text) => mesos_resources::parse::attributes(&mesos_flags::read_value(text)?)?,
        None => Vec::new(),
    };
    let info = AgentInfo {
        hostname: hostname.clone(),
        port: Some(i32::from(port)),
        resources: total.to_proto(mesos_resources::ResourceFormat::PostRefinement),
        attributes,
        id: None,
        domain: None,
    };
    let launcher_dir = flags.launcher_dir.clone().unwrap_or_else(actor::default_launcher_dir);
    let config = AgentConfig {
        info,
        executor_registration_timeout: flags.executor_registration_timeout.into(),
        executor_shutdown_grace_period: flags.executor_shutdown_grace_period.into(),
        executor_reregistration_timeout: Duration::from(flags.executor_reregistration_timeout)
            .min(Duration::from_secs(15)),
        launcher_dir: launcher_dir.display().to_string(),
        max_completed_executors_per_framework: flags.max_completed_executors_per_framework,
        uuid_seed: rand::random(),
    };
    let endpoint = format!("{ip}:{port}");
    let launcher = launch::Launcher {
        paths: paths::Paths::new(flags.work_dir.clone()),
        endpoint: endpoint.clone(),
        shutdown_grace_period: flags.executor_shutdown_grace_period.into(),
    };
    let paths = paths::Paths::new(flags.work_dir.clone());
    let (limited_tx, limited_rx) = tokio::sync::mpsc::unbounded_channel();
    let containerizer =
        containerizer::Containerizer::new(mesos_config(&flags, &launcher_dir, gpus.devices)?, limited_tx);
    let recovered = checkpoint::recover(&paths, flags.strict)?;
    if flags.recover == "cleanup" {
        cleanup(&paths, &recovered, &containerizer);
        return Ok(());
    }
    let mut core = Agent::new(config);
    if let Some(state) = recovered.state {
        check_compatible(&state.agent_info, &core.config().info, &paths)?;
        tracing::info!(agent_id = ?state.agent_info.id.as_ref().map(|i| &i.value), rebooted = recovered.rebooted, "recovering");
        core.recover(state, actor::now());
    }
    let live = core.live_containers();
    let mut adopted = Vec::new();
    for container in recovered.containers {
        if live.contains(&container.container_id) && process::is_running(container.pid, container.start_time) {
            adopted.push(container);
            continue;
        }
        // Executors of frameworks that do not checkpoint, or that outlived
        // their agent's knowledge of them, do not survive a restart. After a
        // reboot the recorded pids mean nothing.
        let pid = (!recovered.rebooted).then_some(container.pid as i32);
        containerizer.destroy_orphan(&container.container_id, pid);
        checkpoint::forget_container(&paths, &container.container_id);
    }
    if flags.docker_kill_orphans
        && let Some(docker) = &containerizer.config().docker
    {
        docker.remove_orphans(&live).await;
    }
    if !(0.0..=1.0).contains(&flags.gc_disk_headroom) {
        anyhow::bail!("--gc_disk_headroom must be between 0.0 and 1.0");
    }
    let policy = gc::GcPolicy { delay: flags.gc_delay.into(), disk_headroom: flags.gc_disk_headroom };
    let collector = gc::collector::Collector::start(policy, flags.disk_watch_interval.into(), paths.clone());
    for (sandbox, modified) in gc::collector::finished_sandboxes(&paths, &live) {
        collector.schedule(sandbox, modified);
    }
    let (goodbye, mut goodbye_rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = actor::spawn(core, launcher, containerizer.clone(), collector, adopted, limited_rx, goodbye);
    let address = Address { hostname: Some(hostname.clone()), ip: Some(ip.to_string()), port: i32::from(port) };
    tracing::info!(%endpoint, %hostname, resources = %total, "agent started");
    mesos_http::daemon::announce_listening("mesos-agent", local, flags.daemon.port_file.as_deref())?;
    let link = tokio::spawn(master_link::run(
        handle.clone(),
        master.follow(),
        address,
        env!("CARGO_PKG_VERSION").to_owned(),
        flags.registration_backoff_factor.into(),
    ));
    let shutdown_timeout: Duration = flags.daemon.shutdown_timeout.into();
    let state = http::AppState {
        agent: handle.clone(),
        containerizer,
        pid: format!("slave(1)@{endpoint}"),
        flags: Arc::new(flags),
        start_time: actor::now(),
    };
    let server = mesos_http::serve::Server::start(listener, http::router(state));
    tokio::select! {
        () = shutdown => {}
        message = goodbye_rx.recv() => {
            tracing::warn!(?message, "shutting down at the master's request");
            // Give the executors' shutdown a moment to reach them.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    let deadline = tokio::time::Instant::now() + shutdown_timeout;
    tracing::info!(timeout = ?shutdown_timeout, "agent stopping; executors keep running");
    server.stop_accepting();
    if tokio::time::timeout_at(deadline, handle.shut_down()).await.is_err() {
        tracing::warn!("the event loop did not stop within --shutdown_timeout");
    }
    link.abort();
    let dropped = server.close(deadline).await;
    tracing::info!(dropped_connections = dropped, "agent stopped");
    Ok(())
}

/// `--recover=cleanup`: kills the executors of the previous run and forgets
/// the agent's state, so that the next start registers a new agent.
fn cleanup(paths: &paths::Paths, recovered: &checkpoint::Recovered, containerizer: &containerizer::Containerizer) {
    for container in &recovered.containers {
        let pid = (!recovered.rebooted).then_some(container.pid as i32);
        containerizer.destroy_orphan(&container.container_id, pid);
    }
    let _ = std::fs::remove_dir_all(paths.meta());
    let _ = std::fs::remove_dir_all(paths.runtime_containers());
    tracing::info!("cleaned up the previous run's executors and state; exiting");
}

/// The Mesos containerizer's setup from the flags: the launcher and
/// isolators asked for, or the best the machine allows (the Linux launcher
/// with `cgroups/cpu,cgroups/mem` as root with cgroups, else POSIX).
fn mesos_config(
    flags: &AgentFlags,
    launcher_dir: &std::path::Path,
    gpus: Vec<containerizer::gpu::GpuDevice>,
) -> anyhow::Result<containerizer::MesosConfig> {
    use containerizer::{Cgroups, Isolation, Launcher};
    let root = nix::unistd::geteuid().is_root();
    let cgroups = if root { Cgroups::detect(&flags.cgroups_hierarchy, &flags.cgroups_root) } else { None };
    let launcher = match &flags.launcher {
        Some(name) => Launcher::parse(name)?,
        None if root && cgroups.is_some() => Launcher::Linux,
        None => Launcher::Posix,
    };
    let isolation = match &flags.isolation {
        Some(text) => Isolation::parse(text)?,
        None if launcher == Launcher::Linux && cgroups.is_some() => Isolation::parse("cgroups/cpu,cgroups/mem")?,
        None => Isolation::default(),
    };
    isolation.check(launcher, cgroups.is_some())?;
    if launcher == Launcher::Linux && !root {
        anyhow::bail!("--launcher=linux needs root");
    }
    tracing::info!(
        ?launcher,
        cgroups = cgroups.as_ref().map(|c| c.version_name()).unwrap_or("none"),
        isolation = ?isolation,
        "Mesos containerizer"
    );
    Ok(containerizer::MesosConfig {
        isolation,
        launcher,
        cgroups,
        cfs: flags.cgroups_enable_cfs,
        helper: containerizer::helper_path(launcher_dir),
        destroy_timeout: flags.cgroups_destroy_timeout.into(),
        disk_watch_interval: flags.container_disk_watch_interval.into(),
        enforce_disk_quota: flags.enforce_container_disk_quota,
        docker: docker_support(flags)?,
        provisioner: provisioner(flags)?,
        gpus,
    })
}

/// The GPUs the agent manages and the `gpus` it offers.
struct Gpus {
    devices: Vec<containerizer::gpu::GpuDevice>,
    offered: Option<u64>,
}

/// Finds the machine's GPUs when `gpu/nvidia` is asked for, and checks
/// `--nvidia_gpu_devices` and a `gpus` amount in `--resources` against
/// them, as Mesos does.
fn gpu_devices(flags: &AgentFlags) -> anyhow::Result<Gpus> {
    use containerizer::gpu;
    let isolator = flags.isolation.as_deref().is_some_and(|i| i.split(',').any(|n| n.trim() == "gpu/nvidia"));
    let given = match &flags.resources {
        Some(text) => {
            let resources = mesos_resources::parse::resources(&mesos_flags::read_value(text)?, &flags.default_role)?;
            resources.names().contains(&"gpus").then(|| resources.gpus().as_f64())
        }
        None => None,
    };
    let wanted = flags.nvidia_gpu_devices.as_deref().map(gpu::parse_indices).transpose()?;
    let devices = if isolator { gpu::select(&gpu::detect(), wanted.as_deref())? } else { Vec::new() };
    let offered = gpu::offered(given, isolator, wanted.is_some(), devices.len())?;
    Ok(Gpus { devices, offered })
}

/// Container images from the flags: `--image_providers` may name only
/// `docker`, `--image_provisioner_backend` only `overlay`.
fn provisioner(flags: &AgentFlags) -> anyhow::Result<containerizer::provisioner::Provisioner> {
    let providers: Vec<&str> = flags.image_providers.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if let Some(unknown) = providers.iter().find(|p| !p.eq_ignore_ascii_case("docker")) {
        anyhow::bail!("unsupported image provider '{unknown}' in --image_providers (only docker is)");
    }
    if flags.image_provisioner_backend != "overlay" {
        anyhow::bail!("unsupported --image_provisioner_backend={} (only overlay is)", flags.image_provisioner_backend);
    }
    if !flags.sandbox_directory.is_absolute() {
        anyhow::bail!("--sandbox_directory must be an absolute path");
    }
    Ok(containerizer::provisioner::Provisioner {
        docker: !providers.is_empty(),
        registry: flags.docker_registry.clone(),
        store_dir: flags.docker_store_dir.clone(),
        sandbox_directory: flags.sandbox_directory.clone(),
        paths: paths::Paths::new(flags.work_dir.clone()),
    })
}

/// The Docker containerizer, when `--containerizers` lists `docker`.
fn docker_support(flags: &AgentFlags) -> anyhow::Result<Option<containerizer::docker::DockerSupport>> {
    let names: Vec<&str> = flags.containerizers.split(',').map(str::trim).collect();
    if let Some(unknown) = names.iter().find(|n| !["mesos", "docker"].contains(n)) {
        anyhow::bail!("unknown containerizer '{unknown}' in --containerizers (expected mesos or docker)");
    }
    if !names.contains(&"docker") {
        return Ok(None);
    }
    let socket = flags.docker_socket.display().to_string();
    let engine = mesos_docker::engine::Engine::connect(&socket, std::time::Duration::from_secs(60))?;
    let work_dir = std::fs::canonicalize(&flags.work_dir).unwrap_or_else(|_| flags.work_dir.clone());
    Ok(Some(containerizer::docker::DockerSupport { engine, socket, work_dir: work_dir.display().to_string() }))
}

/// The agent may only take its old id back with the same resources,
/// attributes and hostname.
fn check_compatible(recovered: &AgentInfo, current: &AgentInfo, paths: &paths::Paths) -> anyhow::Result<()> {
    let same = recovered.hostname == current.hostname
        && recovered.port == current.port
        && mesos_resources::Resources::from_proto(&recovered.resources).ok()
            == mesos_resources::Resources::from_proto(&current.resources).ok()
        && recovered.attributes == current.attributes;
    if same {
        Ok(())
    } else {
        anyhow::bail!(
            "the agent's hostname, port, resources or attributes changed since its last run; \
             restore them, or remove {} (and restart with --recover=cleanup to kill old executors) to register as a new agent",
            paths.meta().display()
        )
    }
}
