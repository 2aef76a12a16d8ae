//! The agent's flags, with Mesos's names and defaults; each can also be
//! given as `MESOS_<NAME>` in the environment.

use std::path::PathBuf;

use clap::Parser;
use mesos_flags::MesosDuration;

/// Boolean flags, which also accept Mesos's `--no-<name>` form.
pub const BOOLEAN_FLAGS: &[&str] = &[
    "hostname_lookup",
    "quiet",
    "strict",
    "cgroups_enable_cfs",
    "enforce_container_disk_quota",
    "docker_kill_orphans",
];

/// mesos-agent: runs tasks for a Mesos-compatible master.
#[derive(Debug, Clone, Parser)]
#[command(name = "mesos-agent", version, about, long_about = None, rename_all = "snake_case")]
pub struct AgentFlags {
    /// The master: `host:port`, `master@host:port` or `http://host:port`.
    #[arg(long, env = "MESOS_MASTER")]
    pub master: String,

    /// Directory for sandboxes and the agent's checkpoints.
    #[arg(long, env = "MESOS_WORK_DIR")]
    pub work_dir: PathBuf,

    /// Port to listen on; 0 binds a port the kernel picks (see --port_file).
    #[arg(long, env = "MESOS_PORT", default_value_t = 5051)]
    pub port: u16,

    /// Listening, advertising, logging and stopping, as every daemon has them.
    #[command(flatten)]
    pub daemon: mesos_http::daemon_flags::DaemonFlags,

    /// Resources to offer: `cpus:4;mem:1024;disk:8192;ports:[31000-32000]`,
    /// `cpus(role):2`, or a JSON array of Resource objects. What is left out
    /// is detected from the machine.
    #[arg(long, env = "MESOS_RESOURCES")]
    pub resources: Option<String>,

    /// Attributes: `rack:abc;zone:west;level:10;keys:[1000-1500]`.
    #[arg(long, env = "MESOS_ATTRIBUTES")]
    pub attributes: Option<String>,

    /// Role of resources given without one.
    #[arg(long, env = "MESOS_DEFAULT_ROLE", default_value = "*")]
    pub default_role: String,

    /// Directory holding the executor binaries (`mesos-executor`), by
    /// default the directory of this program.
    #[arg(long, env = "MESOS_LAUNCHER_DIR")]
    pub launcher_dir: Option<PathBuf>,

    /// Time an executor has to subscribe before its container is destroyed.
    #[arg(long, env = "MESOS_EXECUTOR_REGISTRATION_TIMEOUT", default_value = "1mins")]
    pub executor_registration_timeout: MesosDuration,

    /// Time an executor has to exit after SHUTDOWN before it is killed.
    #[arg(long, env = "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", default_value = "5secs")]
    pub executor_shutdown_grace_period: MesosDuration,

    /// Time recovered executors have to re-subscribe after an agent restart.
    #[arg(long, env = "MESOS_EXECUTOR_REREGISTRATION_TIMEOUT", default_value = "2secs")]
    pub executor_reregistration_timeout: MesosDuration,

    /// What to do with the executors of a previous run: `reconnect` to them,
    /// or `cleanup` (kill them, forget the agent's state, and exit).
    #[arg(long, env = "MESOS_RECOVER", default_value = "reconnect", value_parser = ["reconnect", "cleanup"])]
    pub recover: String,

    /// Fail to start when a checkpoint cannot be read (otherwise skip it).
    #[arg(long, env = "MESOS_STRICT", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub strict: bool,

    /// Base of the randomized backoff between attempts to register.
    #[arg(long, env = "MESOS_REGISTRATION_BACKOFF_FACTOR", default_value = "1secs")]
    pub registration_backoff_factor: MesosDuration,

    /// Completed executors kept in memory per framework.
    #[arg(long, env = "MESOS_MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK", default_value_t = 150)]
    pub max_completed_executors_per_framework: usize,

    /// Containerizers to use, in order: `mesos`, and `docker` for tasks
    /// with a Docker ContainerInfo (for example `docker,mesos`).
    #[arg(long, env = "MESOS_CONTAINERIZERS", default_value = "mesos")]
    pub containerizers: String,

    /// Isolators of the Mesos containerizer: `posix/cpu,posix/mem`,
    /// `cgroups/cpu`, `cgroups/mem`, `cgroups/devices`, `namespaces/pid`,
    /// `disk/du`, `filesystem/linux` (container images; needs the Linux
    /// launcher), `docker/runtime` (accepted; the image's config is always
    /// applied with `filesystem/linux`), `gpu/nvidia` (NVIDIA GPUs as the
    /// `gpus` resource, each container allowed only its own through the
    /// devices cgroup; needs the Linux launcher).
    /// Default: `cgroups/cpu,cgroups/mem` when cgroups can be used (root),
    /// else `posix/cpu,posix/mem`.
    #[arg(long, env = "MESOS_ISOLATION")]
    pub isolation: Option<String>,

    /// GPUs to offer with `gpu/nvidia`, by index (`0,1`); all GPUs found
    /// (`/dev/nvidia<N>`) when left out. Given with `gpus` in --resources,
    /// the two must agree.
    #[arg(long, env = "MESOS_NVIDIA_GPU_DEVICES")]
    pub nvidia_gpu_devices: Option<String>,

    /// `linux` (cgroups and namespaces; the default as root with cgroups)
    /// or `posix` (a session per container).
    #[arg(long, env = "MESOS_LAUNCHER")]
    pub launcher: Option<String>,

    /// Where the cgroup file systems are mounted.
    #[arg(long, env = "MESOS_CGROUPS_HIERARCHY", default_value = "/sys/fs/cgroup")]
    pub cgroups_hierarchy: PathBuf,

    /// The cgroup under which containers get theirs.
    #[arg(long, env = "MESOS_CGROUPS_ROOT", default_value = "mesos")]
    pub cgroups_root: String,

    /// Cap each container's CPU time with a CFS quota, not only shares.
    #[arg(long, env = "MESOS_CGROUPS_ENABLE_CFS", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub cgroups_enable_cfs: bool,

    /// How long destroying a container's cgroups may take.
    #[arg(long, env = "MESOS_CGROUPS_DESTROY_TIMEOUT", default_value = "1mins")]
    pub cgroups_destroy_timeout: MesosDuration,

    /// How often `disk/du` measures each sandbox.
    #[arg(long, env = "MESOS_CONTAINER_DISK_WATCH_INTERVAL", default_value = "15secs")]
    pub container_disk_watch_interval: MesosDuration,

    /// Fail tasks whose sandbox outgrows their `disk` (with `disk/du`).
    #[arg(long, env = "MESOS_ENFORCE_CONTAINER_DISK_QUOTA", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub enforce_container_disk_quota: bool,

    /// The Docker Engine's socket, for the Docker containerizer.
    #[arg(long, env = "MESOS_DOCKER_SOCKET", default_value = "/var/run/docker.sock")]
    pub docker_socket: PathBuf,

    /// Remove Docker containers named `mesos-*` that this agent's work
    /// directory left behind and no longer knows.
    #[arg(long, env = "MESOS_DOCKER_KILL_ORPHANS", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub docker_kill_orphans: bool,

    /// Image providers for MESOS containers with an image: `docker`.
    #[arg(long, env = "MESOS_IMAGE_PROVIDERS", default_value = "docker")]
    pub image_providers: String,

    /// Where Docker images come from: a local directory holding `docker
    /// save` tarballs named `<repository>:<tag>.tar` (a '/' in the
    /// repository is a subdirectory, or written as '_'), as a path or a
    /// `file://` URL. Remote registries cannot be reached: images named
    /// there fail their tasks.
    #[arg(long, env = "MESOS_DOCKER_REGISTRY", default_value = "https://registry-1.docker.io")]
    pub docker_registry: String,

    /// Where image layers are unpacked, once each, and kept for reuse.
    #[arg(long, env = "MESOS_DOCKER_STORE_DIR", default_value = "/tmp/mesos/store/docker")]
    pub docker_store_dir: PathBuf,

    /// How image layers are stacked into a root file system: `overlay`.
    #[arg(long, env = "MESOS_IMAGE_PROVISIONER_BACKEND", default_value = "overlay")]
    pub image_provisioner_backend: String,

    /// Where a container with an image sees its sandbox (also its
    /// `MESOS_SANDBOX`).
    #[arg(long, env = "MESOS_SANDBOX_DIRECTORY", default_value = "/mnt/mesos/sandbox")]
    pub sandbox_directory: PathBuf,

    /// How long after an executor ends its sandbox is removed (sooner as
    /// the work directory's disk fills; see --gc_disk_headroom).
    #[arg(long, env = "MESOS_GC_DELAY", default_value = "1weeks")]
    pub gc_delay: MesosDuration,

    /// The fraction of the work directory's disk to keep free: sandboxes
    /// are kept for `gc_delay * max(0, 1 - gc_disk_headroom - disk usage)`.
    #[arg(long, env = "MESOS_GC_DISK_HEADROOM", default_value_t = 0.1)]
    pub gc_disk_headroom: f64,

    /// How often the work directory's disk usage is checked to prune
    /// sandboxes sooner.
    #[arg(long, env = "MESOS_DISK_WATCH_INTERVAL", default_value = "1mins")]
    pub disk_watch_interval: MesosDuration,
}

impl AgentFlags {
    /// Parses the process arguments, accepting `--no-<flag>` for booleans.
    pub fn from_args() -> AgentFlags {
        AgentFlags::parse_from(mesos_flags::normalize_args(std::env::args(), BOOLEAN_FLAGS))
    }

    /// Every flag as `(name, value)` strings, for `/flags`.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("master".to_owned(), self.master.clone()),
            ("work_dir".to_owned(), self.work_dir.display().to_string()),
            ("port".to_owned(), self.port.to_string()),
            ("default_role".to_owned(), self.default_role.clone()),
            ("executor_registration_timeout".to_owned(), self.executor_registration_timeout.to_string()),
            ("executor_shutdown_grace_period".to_owned(), self.executor_shutdown_grace_period.to_string()),
            ("registration_backoff_factor".to_owned(), self.registration_backoff_factor.to_string()),
            (
                "max_completed_executors_per_framework".to_owned(),
                self.max_completed_executors_per_framework.to_string(),
            ),
            ("containerizers".to_owned(), self.containerizers.clone()),
            ("cgroups_hierarchy".to_owned(), self.cgroups_hierarchy.display().to_string()),
            ("cgroups_root".to_owned(), self.cgroups_root.clone()),
            ("cgroups_enable_cfs".to_owned(), self.cgroups_enable_cfs.to_string()),
            ("cgroups_destroy_timeout".to_owned(), self.cgroups_destroy_timeout.to_string()),
            ("container_disk_watch_interval".to_owned(), self.container_disk_watch_interval.to_string()),
            ("enforce_container_disk_quota".to_owned(), self.enforce_container_disk_quota.to_string()),
            ("docker_socket".to_owned(), self.docker_socket.display().to_string()),
            ("docker_kill_orphans".to_owned(), self.docker_kill_orphans.to_string()),
            ("image_providers".to_owned(), self.image_providers.clone()),
            ("docker_registry".to_owned(), self.docker_registry.clone()),
            ("docker_store_dir".to_owned(), self.docker_store_dir.display().to_string()),
            ("image_provisioner_backend".to_owned(), self.image_provisioner_backend.clone()),
            ("sandbox_directory".to_owned(), self.sandbox_directory.display().to_string()),
            ("gc_delay".to_owned(), self.gc_delay.to_string()),
            ("gc_disk_headroom".to_owned(), self.gc_disk_headroom.to_string()),
            ("disk_watch_interval".to_owned(), self.disk_watch_interval.to_string()),
            ("executor_reregistration_timeout".to_owned(), self.executor_reregistration_timeout.to_string()),
            ("recover".to_owned(), self.recover.clone()),
            ("strict".to_owned(), self.strict.to_string()),
        ];
        let optional = [
            ("resources", self.resources.clone()),
            ("attributes", self.attributes.clone()),
            ("launcher_dir", self.launcher_dir.as_ref().map(|p| p.display().to_string())),
            ("isolation", self.isolation.clone()),
            ("launcher", self.launcher.clone()),
            ("nvidia_gpu_devices", self.nvidia_gpu_devices.clone()),
        ];
        pairs.extend(optional.into_iter().filter_map(|(name, value)| Some((name.to_owned(), value?))));
        pairs.extend(self.daemon.to_pairs());
        pairs.sort();
        pairs
    }
}
