//! Containerizers: how an executor's container is started, sized, watched,
//! measured and destroyed.
//!
//! The Mesos containerizer runs executors as processes, with one of two
//! launchers (`--launcher`): POSIX (a session per container, `posix.rs`) or
//! Linux (cgroups and namespaces, set up by the `mesos-containerizer`
//! helper, `helper.rs`). Its isolators (`--isolation`, `isolation.rs`) size
//! the container's cgroups (`cgroups.rs`), measure its usage (`usage.rs`
//! without cgroups), watch it for OOM kills and, with `disk/du`, for its
//! sandbox outgrowing its disk (`limits.rs`). Containers with a Docker
//! `ContainerInfo` go to the Docker containerizer (`docker.rs`) when
//! `--containerizers` lists it. With `filesystem/linux`, a container may
//! have a Docker image: `image.rs` reads its metadata and `provisioner.rs`
//! stores its layers and lays out the container's overlay. With
//! `gpu/nvidia`, `gpu.rs` hands out whole GPUs and the devices cgroup lets
//! each container open only its own.

pub mod cgroups;
pub mod docker;
pub mod gpu;
pub mod helper;
pub mod image;
pub mod isolation;
mod limits;
mod posix;
pub mod provisioner;
mod usage;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesos_agent_core::ContainerLimitation;
use mesos_proto::v1::{Resource, ResourceStatistics};
use mesos_resources::Resources;
use tokio::sync::mpsc;

pub use cgroups::{CgroupUsage, Cgroups, Controllers};
pub use isolation::{Isolation, Launcher};
pub use posix::ExecutorCommand;

use crate::process::kill_session;

/// A container's resources as its isolators see them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Size {
    pub cpus: f64,
    pub mem_mb: f64,
    pub disk_mb: f64,
    pub gpus: f64,
}

impl Size {
    pub fn of(resources: &[Resource]) -> Size {
        let resources = Resources::from_proto(resources).unwrap_or_default();
        Size {
            cpus: resources.scalar("cpus").as_f64(),
            mem_mb: resources.scalar("mem").as_f64(),
            disk_mb: resources.scalar("disk").as_f64(),
            gpus: resources.scalar("gpus").as_f64(),
        }
    }
}

/// How the Mesos containerizer is set up (from the agent's flags).
#[derive(Debug, Clone)]
pub struct MesosConfig {
    pub isolation: Isolation,
    pub launcher: Launcher,
    pub cgroups: Option<Cgroups>,
    /// `--cgroups_enable_cfs`.
    pub cfs: bool,
    /// The `mesos-containerizer` helper.
    pub helper: PathBuf,
    /// `--cgroups_destroy_timeout`.
    pub destroy_timeout: Duration,
    /// `--container_disk_watch_interval`.
    pub disk_watch_interval: Duration,
    /// `--enforce_container_disk_quota`.
    pub enforce_disk_quota: bool,
    /// The Docker containerizer, when `--containerizers` lists it.
    pub docker: Option<docker::DockerSupport>,
    /// Container images (`filesystem/linux`).
    pub provisioner: provisioner::Provisioner,
    /// The GPUs the agent manages (`gpu/nvidia`).
    pub gpus: Vec<gpu::GpuDevice>,
}

/// What a launch needs beyond the executor's command.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub container_id: String,
    pub sandbox: PathBuf,
    pub command: ExecutorCommand,
    pub resources: Vec<Resource>,
    /// The image's root file system, with `filesystem/linux`.
    pub rootfs: Option<helper::Rootfs>,
    /// Its task runs in a Docker container.
    pub docker: bool,
}

#[derive(Debug, Clone)]
struct Tracked {
    /// The session leader (POSIX) or the helper (Linux).
    pid: i32,
    linux: bool,
    size: Size,
    sandbox: Option<PathBuf>,
    /// Sandbox usage measured by `disk/du`.
    disk_used: Option<u64>,
    /// Its task runs in a Docker container.
    docker: bool,
}

struct Inner {
    config: MesosConfig,
    containers: Mutex<HashMap<String, Tracked>>,
    gpus: Mutex<gpu::GpuAllocator>,
    limited: mpsc::UnboundedSender<(String, ContainerLimitation)>,
}

/// The Mesos containerizer: running containers by id.
#[derive(Clone)]
pub struct Containerizer {
    inner: Arc<Inner>,
}

impl Containerizer {
    /// Limitations found by watchers are sent on `limited`.
    pub fn new(config: MesosConfig, limited: mpsc::UnboundedSender<(String, ContainerLimitation)>) -> Containerizer {
        let gpus = Mutex::new(gpu::GpuAllocator::new(&config.gpus));
        Containerizer { inner: Arc::new(Inner { config, containers: Mutex::new(HashMap::new()), gpus, limited }) }
    }

    pub fn config(&self) -> &MesosConfig {
        &self.inner.config
    }

    fn containers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tracked>> {
        self.inner.containers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn controllers(&self) -> Controllers {
        let isolation = &self.inner.config.isolation;
        Controllers { cpu: isolation.cgroups_cpu, memory: isolation.cgroups_mem, devices: isolation.cgroups_devices }
    }

    fn linux_cgroups(&self) -> Option<&Cgroups> {
        (self.inner.config.launcher == Launcher::Linux).then_some(self.inner.config.cgroups.as_ref()).flatten()
    }

    /// Starts the executor in a new container; returns the process to wait
    /// on (the session leader, or the helper).
    pub fn launch(&self, request: LaunchRequest) -> std::io::Result<tokio::process::Child> {
        let size = Size::of(&request.resources);
        let linux = self.inner.config.launcher == Launcher::Linux;
        let child = if linux {
            self.launch_linux(&request, size).inspect_err(|_| self.release_gpus(&request.container_id))?
        } else {
            posix::spawn(&request.sandbox, &request.command)?
        };
        if let Some(pid) = child.id() {
            let tracked = Tracked {
                pid: pid as i32,
                linux,
                size,
                sandbox: Some(request.sandbox.clone()),
                disk_used: None,
                docker: request.docker,
            };
            self.containers().insert(request.container_id.clone(), tracked);
            self.watch(&request.container_id);
        }
        Ok(child)
    }

    fn launch_linux(&self, request: &LaunchRequest, size: Size) -> std::io::Result<tokio::process::Child> {
        let config = &self.inner.config;
        let mut cgroups = Vec::new();
        if let Some(groups) = &config.cgroups {
            cgroups = groups.create(&request.container_id, self.controllers())?;
            self.apply_size(&request.container_id, size);
            if let Err(error) = self.grant_gpus(&request.container_id, size) {
                groups.destroy(&request.container_id, config.destroy_timeout);
                return Err(error);
            }
        }
        let working_dir = match &request.rootfs {
            Some(rootfs) if rootfs.chroot_executor => {
                rootfs.mounts.first().map(|m| m.target.clone()).unwrap_or_else(|| PathBuf::from("/"))
            }
            _ => request.sandbox.clone(),
        };
        let info = helper::LaunchInfo {
            program: request.command.program.clone(),
            argv0: request.command.argv0.clone(),
            args: request.command.args.clone(),
            env: request.command.env.clone(),
            working_dir,
            cgroups,
            pid_namespace: config.isolation.namespaces_pid,
            mount_namespace: config.isolation.filesystem_linux || config.isolation.namespaces_pid,
            rootfs: request.rootfs.clone(),
        };
        let json = serde_json::to_string(&info).map_err(std::io::Error::other)?;
        let command = ExecutorCommand {
            program: config.helper.display().to_string(),
            argv0: Some("mesos-containerizer".to_owned()),
            args: vec!["launch".to_owned(), format!("--launch_info={json}")],
            env: Vec::new(),
        };
        posix::spawn(&request.sandbox, &command)
    }

    /// Sets the container's cgroups to `size`.
    fn apply_size(&self, container_id: &str, size: Size) {
        let Some(cgroups) = self.linux_cgroups() else { return };
        let isolation = &self.inner.config.isolation;
        if isolation.cgroups_cpu
            && let Err(error) = cgroups.set_cpu(container_id, size.cpus, self.inner.config.cfs)
        {
            tracing::warn!(%container_id, %error, "cannot set the container's cpu limits");
        }
        if isolation.cgroups_mem
            && let Err(error) = cgroups.set_memory(container_id, isolation::memory_limit_bytes(size.mem_mb))
        {
            tracing::warn!(%container_id, %error, "cannot set the container's memory limit");
        }
    }

    /// With `gpu/nvidia`, gives the container `size.gpus` whole GPUs and
    /// lets it open those only.
    fn grant_gpus(&self, container_id: &str, size: Size) -> std::io::Result<()> {
        let config = &self.inner.config;
        if !config.isolation.gpu_nvidia {
            return Ok(());
        }
        let Some(cgroups) = self.linux_cgroups() else { return Ok(()) };
        let granted = self
            .inner
            .gpus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .resize(container_id, gpu::count(size.gpus))
            .map_err(std::io::Error::other)?;
        for (major, minor, allow) in gpu::device_rules(&config.gpus, &granted) {
            cgroups.allow_device(container_id, major, minor, allow)?;
        }
        Ok(())
    }

    fn release_gpus(&self, container_id: &str) {
        self.inner.gpus.lock().unwrap_or_else(|e| e.into_inner()).release(container_id);
    }

    /// Gives a running container new resources.
    pub fn update(&self, container_id: &str, resources: &[Resource]) {
        let size = Size::of(resources);
        let known = match self.containers().get_mut(container_id) {
            Some(tracked) => {
                tracked.size = size;
                tracked.linux
            }
            None => false,
        };
        if known {
            self.apply_size(container_id, size);
            if let Err(error) = self.grant_gpus(container_id, size) {
                tracing::warn!(%container_id, %error, "cannot resize the container's GPUs");
            }
        }
    }

    /// Takes charge of a container found running after an agent restart.
    pub fn adopt(&self, container_id: &str, pid: u32, resources: &[Resource], sandbox: Option<PathBuf>, docker: bool) {
        let linux = self.linux_cgroups().is_some_and(|c| c.exists(container_id))
            || (self.inner.config.launcher == Launcher::Linux && self.inner.config.cgroups.is_none());
        let size = Size::of(resources);
        let tracked = Tracked { pid: pid as i32, linux, size, sandbox, disk_used: None, docker };
        self.containers().insert(container_id.to_owned(), tracked);
        if linux && let Err(error) = self.grant_gpus(container_id, size) {
            tracing::warn!(%container_id, %error, "cannot give the recovered container its GPUs");
        }
        self.watch(container_id);
    }

    /// Kills every process of the container.
    pub fn destroy(&self, container_id: &str) {
        let Some(tracked) = self.containers().get(container_id).cloned() else { return };
        kill_session(tracked.pid);
        self.remove_docker(container_id, &tracked);
        if tracked.linux
            && let Some(cgroups) = self.linux_cgroups().cloned()
        {
            let id = container_id.to_owned();
            tokio::task::spawn_blocking(move || cgroups.kill_all(&id));
        }
    }

    /// Forgets a container once its executor is reaped, killing whatever
    /// it left behind and removing its cgroups.
    pub fn forget(&self, container_id: &str) {
        let Some(tracked) = self.containers().remove(container_id) else { return };
        self.release_gpus(container_id);
        kill_session(tracked.pid);
        self.remove_docker(container_id, &tracked);
        if tracked.linux
            && let Some(cgroups) = self.linux_cgroups().cloned()
        {
            let (id, timeout) = (container_id.to_owned(), self.inner.config.destroy_timeout);
            tokio::task::spawn_blocking(move || cgroups.destroy(&id, timeout));
        }
        let (provisioner, id) = (self.inner.config.provisioner.clone(), container_id.to_owned());
        tokio::task::spawn_blocking(move || provisioner.destroy(&id));
    }

    fn remove_docker(&self, container_id: &str, tracked: &Tracked) {
        if tracked.docker
            && let Some(docker) = &self.inner.config.docker
        {
            docker.remove_soon(container_id);
        }
    }

    /// Kills a container of a previous run that the agent no longer
    /// tracks, and removes its cgroups.
    pub fn destroy_orphan(&self, container_id: &str, pid: Option<i32>) {
        if let Some(pid) = pid {
            kill_session(pid);
        }
        if let Some(cgroups) = self.linux_cgroups() {
            cgroups.destroy(container_id, self.inner.config.destroy_timeout);
        }
        self.inner.config.provisioner.destroy(container_id);
    }

    /// A limitation the container has hit already (checked when its
    /// executor reports a task's end, so that an OOM kill is reported as
    /// such whichever news arrives first).
    pub fn limitation(&self, container_id: &str) -> Option<ContainerLimitation> {
        let tracked = self.containers().get(container_id).cloned()?;
        limits::memory_limitation(self.linux_cgroups()?, container_id, &tracked, &self.inner.config.isolation)
    }

    /// The container's usage and limits, as `/monitor/statistics` shows
    /// them.
    pub fn usage(&self, container_id: &str, now: Duration) -> Option<ResourceStatistics> {
        let tracked = self.containers().get(container_id).cloned()?;
        let usage = match self.linux_cgroups().filter(|_| tracked.linux) {
            Some(cgroups) => {
                let mut usage = cgroups.usage(container_id, self.controllers());
                if usage.cpus_user_time_secs.is_none() || usage.mem_rss_bytes.is_none() {
                    let from_proc = usage::processes(&cgroups.processes(container_id));
                    usage.cpus_user_time_secs = usage.cpus_user_time_secs.or(from_proc.cpus_user_time_secs);
                    usage.cpus_system_time_secs = usage.cpus_system_time_secs.or(from_proc.cpus_system_time_secs);
                    usage.mem_rss_bytes = usage.mem_rss_bytes.or(from_proc.mem_rss_bytes);
                }
                usage
            }
            None => usage::processes(&crate::process::session_members(tracked.pid)),
        };
        Some(statistics(&usage, &tracked, now))
    }

    /// The pid the container was started with.
    pub fn pid(&self, container_id: &str) -> Option<i32> {
        self.containers().get(container_id).map(|t| t.pid)
    }

    /// Starts the watchers of a container's limits.
    fn watch(&self, container_id: &str) {
        let isolation = &self.inner.config.isolation;
        let memory = isolation.cgroups_mem && self.linux_cgroups().is_some();
        if memory || isolation.disk_du {
            tokio::spawn(limits::watch(self.clone(), container_id.to_owned()));
        }
    }

    fn tracked(&self, container_id: &str) -> Option<Tracked> {
        self.containers().get(container_id).cloned()
    }

    fn set_disk_used(&self, container_id: &str, bytes: u64) {
        if let Some(tracked) = self.containers().get_mut(container_id) {
            tracked.disk_used = Some(bytes);
        }
    }

    fn report(&self, container_id: &str, limitation: ContainerLimitation) {
        let _ = self.inner.limited.send((container_id.to_owned(), limitation));
    }
}

/// `ResourceStatistics` from measured usage and the container's size.
fn statistics(usage: &CgroupUsage, tracked: &Tracked, now: Duration) -> ResourceStatistics {
    let megabytes = |mb: f64| (mb * 1024.0 * 1024.0) as u64;
    ResourceStatistics {
        timestamp: now.as_secs_f64(),
        processes: usage.processes,
        cpus_user_time_secs: usage.cpus_user_time_secs,
        cpus_system_time_secs: usage.cpus_system_time_secs,
        cpus_limit: Some(tracked.size.cpus),
        cpus_nr_periods: usage.cpus_nr_periods,
        cpus_nr_throttled: usage.cpus_nr_throttled,
        cpus_throttled_time_secs: usage.cpus_throttled_time_secs,
        mem_total_bytes: usage.mem_total_bytes,
        mem_rss_bytes: usage.mem_rss_bytes,
        mem_cache_bytes: usage.mem_cache_bytes,
        mem_limit_bytes: usage.mem_limit_bytes.or(Some(megabytes(tracked.size.mem_mb))),
        disk_limit_bytes: (tracked.size.disk_mb > 0.0).then(|| megabytes(tracked.size.disk_mb)),
        disk_used_bytes: tracked.disk_used,
        ..Default::default()
    }
}

/// Where the `mesos-containerizer` helper is: in `launcher_dir`.
pub fn helper_path(launcher_dir: &Path) -> PathBuf {
    launcher_dir.join("mesos-containerizer")
}
