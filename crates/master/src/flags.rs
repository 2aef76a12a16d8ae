//! The master's flags, with Mesos's names and defaults. Every flag can also
//! be given as the environment variable `MESOS_<NAME>`; the command line
//! wins.

use std::path::PathBuf;

use clap::Parser;
use mesos_flags::MesosDuration;

/// Boolean flags, which also accept Mesos's `--no-<name>` form.
pub const BOOLEAN_FLAGS: &[&str] = &["hostname_lookup", "filter_gpu_resources", "quiet", "registry_strict"];

/// mesos-master: the master of a Mesos-compatible cluster.
#[derive(Debug, Clone, Parser)]
#[command(name = "mesos-master", version, about, long_about = None, rename_all = "snake_case")]
pub struct MasterFlags {
    /// Port to listen on; 0 binds a port the kernel picks (see --port_file).
    #[arg(long, env = "MESOS_PORT", default_value_t = 5050)]
    pub port: u16,

    /// Listening, advertising, logging and stopping, as every daemon has them.
    #[command(flatten)]
    pub daemon: mesos_http::daemon_flags::DaemonFlags,

    /// Directory for the master's persistent state.
    #[arg(long, env = "MESOS_WORK_DIR")]
    pub work_dir: Option<PathBuf>,

    /// Name of the cluster, shown in the web UI and state endpoints.
    #[arg(long, env = "MESOS_CLUSTER")]
    pub cluster: Option<String>,

    /// Time after which an outstanding offer is rescinded (never when unset).
    #[arg(long, env = "MESOS_OFFER_TIMEOUT")]
    pub offer_timeout: Option<MesosDuration>,

    /// Time between batch allocation cycles.
    #[arg(long, env = "MESOS_ALLOCATION_INTERVAL", default_value = "1secs")]
    pub allocation_interval: MesosDuration,

    /// Time without an answer to a ping after which an agent counts a missed ping.
    #[arg(long, env = "MESOS_AGENT_PING_TIMEOUT", alias = "slave_ping_timeout", default_value = "15secs")]
    pub agent_ping_timeout: MesosDuration,

    /// Missed pings after which an agent is marked unreachable.
    #[arg(long, env = "MESOS_MAX_AGENT_PING_TIMEOUTS", alias = "max_slave_ping_timeouts", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_agent_ping_timeouts: u32,

    /// How fast agents that stop answering may be marked unreachable, as
    /// `<count>/<duration>` (e.g. `1/10mins`); unlimited when unset.
    #[arg(long, env = "MESOS_AGENT_REMOVAL_RATE_LIMIT", alias = "slave_removal_rate_limit")]
    pub agent_removal_rate_limit: Option<String>,

    /// Comma-separated list of the roles frameworks may use (any role when unset).
    #[arg(long, env = "MESOS_ROLES")]
    pub roles: Option<String>,

    /// Role weights, `role=weight,role=weight`.
    #[arg(long, env = "MESOS_WEIGHTS")]
    pub weights: Option<String>,

    /// Minimum resources an offer must hold, as `|`-separated alternatives
    /// of `;`-separated quantities.
    #[arg(long, env = "MESOS_MIN_ALLOCATABLE_RESOURCES", default_value = "cpus:0.01|mem:32")]
    pub min_allocatable_resources: String,

    /// Resource names left out of fair sharing, comma-separated.
    #[arg(long, env = "MESOS_FAIR_SHARING_EXCLUDED_RESOURCE_NAMES")]
    pub fair_sharing_excluded_resource_names: Option<String>,

    /// Only frameworks with the GPU_RESOURCES capability get offers from
    /// agents that have GPUs.
    #[arg(long, env = "MESOS_FILTER_GPU_RESOURCES", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub filter_gpu_resources: bool,

    /// Sorter of roles: `drf` or `random`.
    #[arg(long, env = "MESOS_ROLE_SORTER", alias = "user_sorter", default_value = "drf")]
    pub role_sorter: String,

    /// Sorter of frameworks within a role: `drf` or `random`.
    #[arg(long, env = "MESOS_FRAMEWORK_SORTER", default_value = "drf")]
    pub framework_sorter: String,

    /// Completed frameworks kept in memory.
    #[arg(long, env = "MESOS_MAX_COMPLETED_FRAMEWORKS", default_value_t = 50)]
    pub max_completed_frameworks: usize,

    /// Completed tasks kept in memory per framework.
    #[arg(long, env = "MESOS_MAX_COMPLETED_TASKS_PER_FRAMEWORK", default_value_t = 1000)]
    pub max_completed_tasks_per_framework: usize,

    /// Unreachable tasks kept in memory per framework.
    #[arg(long, env = "MESOS_MAX_UNREACHABLE_TASKS_PER_FRAMEWORK", default_value_t = 1000)]
    pub max_unreachable_tasks_per_framework: usize,

    /// ZooKeeper URL of the masters' group for high availability:
    /// `zk://host:port[,host:port...]/path` (or `zk://user:password@...`), or
    /// `file:///path` to a file holding one. Without it this master leads
    /// on its own.
    #[arg(long, env = "MESOS_ZK")]
    pub zk: Option<String>,

    /// Size of the masters' quorum, given with --zk (accepted for
    /// compatibility; the registry lives in ZooKeeper, which has its own).
    #[arg(long, env = "MESOS_QUORUM")]
    pub quorum: Option<u32>,

    /// ZooKeeper session timeout: a leading master whose session is lost
    /// stops at once, and another may lead after this long.
    #[arg(long, env = "MESOS_ZK_SESSION_TIMEOUT", default_value = "10secs")]
    pub zk_session_timeout: MesosDuration,

    /// Where the registry (admitted, unreachable and gone agents, quota,
    /// weights, maintenance) is kept: `replicated_log` (durably, in
    /// `<work_dir>/registry.db`) or `in_memory` (lost when the master exits).
    #[arg(long, env = "MESOS_REGISTRY", default_value = "replicated_log", value_parser = ["replicated_log", "in_memory"])]
    pub registry: String,

    /// Longest a registry write may take before the master gives up (and exits).
    #[arg(long, env = "MESOS_REGISTRY_STORE_TIMEOUT", default_value = "20secs")]
    pub registry_store_timeout: MesosDuration,

    /// Longest reading the registry at start may take.
    #[arg(long, env = "MESOS_REGISTRY_FETCH_TIMEOUT", default_value = "1mins")]
    pub registry_fetch_timeout: MesosDuration,

    /// Refuse re-registration to agents the registry does not list.
    #[arg(long, env = "MESOS_REGISTRY_STRICT", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub registry_strict: bool,

    /// What to do with a registry that is damaged or older than the last one
    /// this master acknowledged: `refuse` (stop with an error that says
    /// what was found) or `discard` (keep the damaged file aside, or remove
    /// the damaged nodes in ZooKeeper, and start with an empty registry:
    /// every agent must register again). Give `discard` only deliberately, for
    /// one start.
    #[arg(long, env = "MESOS_REGISTRY_RECOVER", default_value = "refuse", value_parser = ["refuse", "discard"])]
    pub registry_recover: String,

    /// How often unreachable and gone agents are pruned from the registry.
    #[arg(long, env = "MESOS_REGISTRY_GC_INTERVAL", default_value = "15mins")]
    pub registry_gc_interval: MesosDuration,

    /// Unreachable and gone agents older than this are pruned from the registry.
    #[arg(long, env = "MESOS_REGISTRY_MAX_AGENT_AGE", default_value = "2weeks")]
    pub registry_max_agent_age: MesosDuration,

    /// At most this many unreachable (and as many gone) agents are kept in the registry.
    #[arg(long, env = "MESOS_REGISTRY_MAX_AGENT_COUNT", default_value_t = 102_400)]
    pub registry_max_agent_count: usize,

    /// After a restart or failover, agents in the registry that have not
    /// re-registered by then are marked unreachable.
    #[arg(long, env = "MESOS_AGENT_REREGISTER_TIMEOUT", alias = "slave_reregister_timeout", default_value = "10mins")]
    pub agent_reregister_timeout: MesosDuration,

    /// The largest share of the registry's agents that may be marked
    /// unreachable after a failover, as a percentage (`100%`); beyond it the
    /// master exits rather than lose them.
    #[arg(
        long,
        env = "MESOS_RECOVERY_AGENT_REMOVAL_LIMIT",
        alias = "recovery_slave_removal_limit",
        default_value = "100%"
    )]
    pub recovery_agent_removal_limit: String,

    /// Operator event stream subscriptions kept open at most; beyond it
    /// the oldest is closed.
    #[arg(long, env = "MESOS_MAX_OPERATOR_EVENT_STREAM_SUBSCRIBERS", default_value_t = 1000)]
    pub max_operator_event_stream_subscribers: usize,

    /// Events queued for one subscriber (scheduler, agent or operator
    /// stream) at most; a subscriber that falls this far behind is
    /// disconnected rather than held in memory. (Not a flag of Apache
    /// Mesos, whose streams have no bound.)
    #[arg(long, env = "MESOS_EVENT_STREAM_BACKLOG", default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1..))]
    pub event_stream_backlog: u32,
}

impl MasterFlags {
    /// Parses the process arguments, accepting `--no-<flag>` for booleans.
    pub fn from_args() -> MasterFlags {
        MasterFlags::parse_from(mesos_flags::normalize_args(std::env::args(), BOOLEAN_FLAGS))
    }

    /// Every flag as `(name, value)` strings, for `/master/flags`.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("port".to_owned(), self.port.to_string()),
            ("allocation_interval".to_owned(), self.allocation_interval.to_string()),
            ("agent_ping_timeout".to_owned(), self.agent_ping_timeout.to_string()),
            ("max_agent_ping_timeouts".to_owned(), self.max_agent_ping_timeouts.to_string()),
            ("min_allocatable_resources".to_owned(), self.min_allocatable_resources.clone()),
            ("filter_gpu_resources".to_owned(), self.filter_gpu_resources.to_string()),
            ("role_sorter".to_owned(), self.role_sorter.clone()),
            ("framework_sorter".to_owned(), self.framework_sorter.clone()),
            ("max_completed_frameworks".to_owned(), self.max_completed_frameworks.to_string()),
            ("max_completed_tasks_per_framework".to_owned(), self.max_completed_tasks_per_framework.to_string()),
            ("max_unreachable_tasks_per_framework".to_owned(), self.max_unreachable_tasks_per_framework.to_string()),
            (
                "max_operator_event_stream_subscribers".to_owned(),
                self.max_operator_event_stream_subscribers.to_string(),
            ),
            ("event_stream_backlog".to_owned(), self.event_stream_backlog.to_string()),
            ("registry".to_owned(), self.registry.clone()),
            ("zk_session_timeout".to_owned(), self.zk_session_timeout.to_string()),
            ("registry_store_timeout".to_owned(), self.registry_store_timeout.to_string()),
            ("registry_fetch_timeout".to_owned(), self.registry_fetch_timeout.to_string()),
            ("registry_strict".to_owned(), self.registry_strict.to_string()),
            ("registry_recover".to_owned(), self.registry_recover.clone()),
            ("registry_gc_interval".to_owned(), self.registry_gc_interval.to_string()),
            ("registry_max_agent_age".to_owned(), self.registry_max_agent_age.to_string()),
            ("registry_max_agent_count".to_owned(), self.registry_max_agent_count.to_string()),
            ("agent_reregister_timeout".to_owned(), self.agent_reregister_timeout.to_string()),
            ("recovery_agent_removal_limit".to_owned(), self.recovery_agent_removal_limit.clone()),
        ];
        let optional = [
            ("work_dir", self.work_dir.as_ref().map(|p| p.display().to_string())),
            ("cluster", self.cluster.clone()),
            ("offer_timeout", self.offer_timeout.map(|v| v.to_string())),
            ("roles", self.roles.clone()),
            ("agent_removal_rate_limit", self.agent_removal_rate_limit.clone()),
            ("weights", self.weights.clone()),
            ("fair_sharing_excluded_resource_names", self.fair_sharing_excluded_resource_names.clone()),
            ("zk", self.zk.clone()),
            ("quorum", self.quorum.map(|q| q.to_string())),
        ];
        pairs.extend(optional.into_iter().filter_map(|(name, value)| Some((name.to_owned(), value?))));
        pairs.extend(self.daemon.to_pairs());
        pairs.sort();
        pairs
    }
}
