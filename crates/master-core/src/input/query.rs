//! Questions about the master's state, each answered with a [`View`]: the
//! operator API's GET_* responses, the legacy JSON endpoints, metrics, the
//! stored registry, and which agent holds a sandbox path.

use std::collections::BTreeMap;
use std::time::Duration;

use mesos_proto::v1::master::{Response as OperatorResponse, response};

/// What the daemon knows that the state views show beside the core's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DaemonFacts {
    /// Every flag with its value.
    pub flags: Vec<(String, String)>,
    /// When the daemon started (time since the Unix epoch).
    pub start_time: Duration,
    /// `--cluster`.
    pub cluster: Option<String>,
    pub version: String,
}

/// `/master/tasks`'s parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskQuery {
    /// How many tasks at most; `None` for all.
    pub limit: Option<usize>,
    pub offset: usize,
    /// Oldest first (`order=asc`) instead of newest first.
    pub ascending: bool,
    pub framework_id: Option<String>,
    pub task_id: Option<String>,
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// A GET_* call of the operator API, answered with its `Response`.
    Operator(response::Type),
    /// Every metric by Mesos's name, uptime counted from `start_time`.
    Metrics {
        start_time: Duration,
    },
    /// `/registrar(1)/registry`.
    Registry,
    /// `/master/state`.
    State(Box<DaemonFacts>),
    /// `/master/state-summary`.
    StateSummary {
        cluster: Option<String>,
    },
    /// `/master/frameworks`, all or one.
    Frameworks {
        framework_id: Option<String>,
    },
    /// `/master/slaves`, all or one.
    Agents {
        agent_id: Option<String>,
    },
    /// `/master/tasks`.
    Tasks(TaskQuery),
    /// `/master/roles`, `/master/weights`, `/master/quota`.
    Roles,
    Weights,
    Quota,
    /// `/master/maintenance/schedule` and `/master/maintenance/status`.
    MaintenanceSchedule,
    MaintenanceStatus,
    /// `host:port` of the agent holding a sandbox path.
    SandboxAgent {
        path: String,
    },
}

impl Query {
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Operator(_) => "Operator",
            Query::Metrics { .. } => "Metrics",
            Query::Registry => "Registry",
            Query::State(_) => "State",
            Query::StateSummary { .. } => "StateSummary",
            Query::Frameworks { .. } => "Frameworks",
            Query::Agents { .. } => "Agents",
            Query::Tasks(_) => "Tasks",
            Query::Roles => "Roles",
            Query::Weights => "Weights",
            Query::Quota => "Quota",
            Query::MaintenanceSchedule => "MaintenanceSchedule",
            Query::MaintenanceStatus => "MaintenanceStatus",
            Query::SandboxAgent { .. } => "SandboxAgent",
        }
    }
}

/// An answer to a [`Query`].
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// Legacy JSON, with Mesos's key names.
    Json(serde_json::Value),
    /// An operator API response, its type set.
    Response(Box<OperatorResponse>),
    Metrics(BTreeMap<String, f64>),
    /// The address of an agent, if one holds what was asked.
    Agent(Option<String>),
}
