//! Counters kept by the master core; gauges are computed from its state when
//! `/metrics/snapshot` asks. Names follow Mesos's metric names.

use std::collections::BTreeMap;

use mesos_proto::v1::scheduler::call;
use mesos_proto::v1::{TaskState, TaskStatus, task_status};

use crate::master::Master;

/// Monotonic counters.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub allocation_runs: u64,
    pub offers_sent: u64,
    pub offers_accepted: u64,
    pub offers_declined: u64,
    pub offers_rescinded: u64,
    pub tasks_launched: u64,
    pub frameworks_added: u64,
    pub frameworks_removed: u64,
    pub agent_registrations: u64,
    pub agent_reregistrations: u64,
    pub agent_removals: u64,
    pub agents_unreachable_completed: u64,
    pub agent_messages_sent: u64,
    pub valid_status_updates: u64,
    pub invalid_status_updates: u64,
    pub valid_status_update_acknowledgements: u64,
    pub invalid_status_update_acknowledgements: u64,
    pub valid_framework_to_executor_messages: u64,
    pub invalid_framework_to_executor_messages: u64,
    pub valid_executor_to_framework_messages: u64,
    pub invalid_executor_to_framework_messages: u64,
    /// Scheduler calls by type name.
    pub scheduler_calls: BTreeMap<&'static str, u64>,
    /// Terminal tasks by state name (`finished`, `failed`, ...).
    pub terminal_tasks: BTreeMap<String, u64>,
    /// `task_<state>/source_<source>/reason_<reason>`.
    pub terminal_task_reasons: BTreeMap<String, u64>,
}

impl Counters {
    pub(crate) fn count_scheduler_call(&mut self, kind: call::Type) {
        *self.scheduler_calls.entry(kind.as_str_name()).or_default() += 1;
    }

    /// Counts a task reaching a terminal state.
    pub(crate) fn count_terminal(&mut self, status: &TaskStatus) {
        let Ok(state) = TaskState::try_from(status.state) else {
            return;
        };
        if !state.is_terminal() {
            return;
        }
        let short = state.as_str_name().trim_start_matches("TASK_").to_ascii_lowercase();
        *self.terminal_tasks.entry(short.clone()).or_default() += 1;
        let source = status
            .source
            .and_then(|s| task_status::Source::try_from(s).ok())
            .map(|s| s.as_str_name().to_ascii_lowercase())
            .unwrap_or_else(|| "source_unknown".to_owned());
        let reason = status
            .reason
            .and_then(|r| task_status::Reason::try_from(r).ok())
            .map(|r| r.as_str_name().to_ascii_lowercase())
            .unwrap_or_else(|| "reason_unknown".to_owned());
        *self.terminal_task_reasons.entry(format!("task_{short}/{source}/{reason}")).or_default() += 1;
    }
}

impl Master {
    /// The master's metrics with Mesos's names (`master/...`), as numbers.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        let c = &self.counters;
        let mut put = |name: &str, value: f64| {
            m.insert(name.to_owned(), value);
        };
        put("master/elected", 1.0);
        let frameworks = || self.frameworks.values();
        put("master/frameworks_active", frameworks().filter(|f| f.active).count() as f64);
        put("master/frameworks_inactive", frameworks().filter(|f| !f.active).count() as f64);
        put("master/frameworks_connected", frameworks().filter(|f| f.connected()).count() as f64);
        put("master/frameworks_disconnected", frameworks().filter(|f| !f.connected()).count() as f64);
        put("master/outstanding_offers", self.offers.len() as f64);
        put("master/operator_event_stream_subscribers", self.operator_subscribers() as f64);
        let agents = || self.agents.values();
        put("master/slaves_active", agents().filter(|a| a.active).count() as f64);
        put("master/slaves_inactive", agents().filter(|a| !a.active).count() as f64);
        put("master/slaves_connected", agents().filter(|a| a.connected()).count() as f64);
        put("master/slaves_disconnected", agents().filter(|a| !a.connected()).count() as f64);
        put("master/slaves_unreachable", self.registry.unreachable.len() as f64);
        put("master/slave_registrations", c.agent_registrations as f64);
        put("master/slave_reregistrations", c.agent_reregistrations as f64);
        put("master/slave_removals", c.agent_removals as f64);
        put("master/slave_unreachable_completed", c.agents_unreachable_completed as f64);
        for (state, gauge) in [
            (TaskState::TaskStaging, "master/tasks_staging"),
            (TaskState::TaskStarting, "master/tasks_starting"),
            (TaskState::TaskRunning, "master/tasks_running"),
            (TaskState::TaskKilling, "master/tasks_killing"),
        ] {
            let count = frameworks().flat_map(|f| f.tasks.values()).filter(|t| t.state() == state).count();
            put(gauge, count as f64);
        }
        put("master/tasks_unreachable", frameworks().map(|f| f.unreachable_tasks.len()).sum::<usize>() as f64);
        for state in ["finished", "failed", "killed", "lost", "error", "dropped", "gone", "gone_by_operator"] {
            put(&format!("master/tasks_{state}"), c.terminal_tasks.get(state).copied().unwrap_or(0) as f64);
        }
        for (name, count) in &c.terminal_task_reasons {
            put(&format!("master/{name}"), *count as f64);
        }
        put("master/valid_status_updates", c.valid_status_updates as f64);
        put("master/invalid_status_updates", c.invalid_status_updates as f64);
        put("master/valid_status_update_acknowledgements", c.valid_status_update_acknowledgements as f64);
        put("master/invalid_status_update_acknowledgements", c.invalid_status_update_acknowledgements as f64);
        put("master/valid_framework_to_executor_messages", c.valid_framework_to_executor_messages as f64);
        put("master/invalid_framework_to_executor_messages", c.invalid_framework_to_executor_messages as f64);
        put("master/valid_executor_to_framework_messages", c.valid_executor_to_framework_messages as f64);
        put("master/invalid_executor_to_framework_messages", c.invalid_executor_to_framework_messages as f64);
        put("master/messages_launch_tasks", c.offers_accepted as f64);
        put("master/messages_decline_offers", c.offers_declined as f64);
        for (name, count) in &c.scheduler_calls {
            let metric = match *name {
                "SUBSCRIBE" => "master/messages_register_framework",
                "RECONCILE" => "master/messages_reconcile_tasks",
                "KILL" => "master/messages_kill_task",
                "REVIVE" => "master/messages_revive_offers",
                "SUPPRESS" => "master/messages_suppress_offers",
                "TEARDOWN" => "master/messages_unregister_framework",
                "MESSAGE" => "master/messages_framework_to_executor",
                "ACKNOWLEDGE" => "master/messages_status_update_acknowledgement",
                "REQUEST" => "master/messages_resource_request",
                _ => continue,
            };
            put(metric, *count as f64);
        }
        put("allocator/mesos/allocation_runs", c.allocation_runs as f64);
        let mut total = mesos_resources::Resources::new();
        let mut used = mesos_resources::Resources::new();
        for agent in self.agents.values() {
            total.add(&agent.total);
            used.add(&agent.used_total());
        }
        for name in ["cpus", "mem", "disk", "gpus"] {
            let (t, u) = (total.scalar(name).as_f64(), used.unallocated().scalar(name).as_f64());
            m.insert(format!("master/{name}_total"), t);
            m.insert(format!("master/{name}_used"), u);
            m.insert(format!("master/{name}_percent"), if t > 0.0 { u / t } else { 0.0 });
        }
        m
    }
}
