//! A simulated framework: subscribes (in a role), launches tasks and task
//! groups on offers, declines what it does not need, acknowledges updates,
//! reconciles after every re-subscription, and now and then sends a
//! message to an executor, kills a task, shuts an executor down or updates
//! its info. A short-lived one launches a few tasks and is torn down.
//!
//! It records every update and message it receives and checks, as it
//! receives them, what Mesos promises a framework (see [`received`]).

mod calls;
mod offers;
mod received;

pub use offers::SERVE;

use std::collections::BTreeMap;

use mesos_master_core::StreamId;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{FrameworkId, FrameworkInfo, TaskId, TaskState, TaskStatus};

pub use received::Received;

/// The marker that ends the uuids of simulated executors' updates.
pub const UUID_MARKER: [u8; 8] = [0x40, 0, 0x80, 0, 0x51, 0x4d, 0x55, 0x4c];

/// The uuid of a simulated executor's update with this generation.
pub fn uuid_of(generation: u64) -> Vec<u8> {
    let mut uuid = generation.to_be_bytes().to_vec();
    uuid.extend_from_slice(&UUID_MARKER);
    uuid
}

/// The generation number in a simulated executor's uuid (`None` for
/// updates the agent or the master made).
pub fn generation(status: &TaskStatus) -> Option<u64> {
    let uuid = status.uuid.as_ref()?;
    if uuid.len() != 16 || uuid[8..] != UUID_MARKER {
        return None;
    }
    let bytes: [u8; 8] = uuid[..8].try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The role whose reserved resources the operator makes, and whose
/// framework uses them.
pub const RESERVED_ROLE: &str = "ops";

pub struct SimFramework {
    pub info: FrameworkInfo,
    pub id: Option<FrameworkId>,
    /// The subscription stream and its `Mesos-Stream-Id`.
    pub stream: Option<(StreamId, String)>,
    /// Task id → the agent it was sent to.
    pub launched: BTreeMap<String, String>,
    /// Task id → the id of the executor that runs it.
    pub executor_of: BTreeMap<String, String>,
    pub received: BTreeMap<String, Vec<Received>>,
    pub next_task: u64,
    pub max_tasks: u64,
    /// Short-lived: launches a few tasks, then is torn down.
    pub ephemeral: bool,
    /// It asked to be torn down (or the operator tore it down) and waits
    /// for its stream to end.
    pub tearing_down: bool,
    /// Torn down: gone for good, it never subscribes again.
    pub finished: bool,
    /// Bumped by every UPDATE_FRAMEWORK (its `version` label).
    pub version: u64,
    pub messages_sent: u64,
    /// The data of every executor MESSAGE received.
    pub messages: Vec<Vec<u8>>,
    /// The first broken promise seen in what it received.
    pub violation: Option<String>,
}

impl SimFramework {
    pub fn new(name: String, role: &str, partition_aware: bool, max_tasks: u64) -> SimFramework {
        let mut capabilities = Vec::new();
        if partition_aware {
            capabilities.push(mesos_proto::v1::framework_info::Capability {
                r#type: Some(mesos_proto::v1::framework_info::capability::Type::PartitionAware as i32),
            });
        }
        #[allow(deprecated)]
        let info = FrameworkInfo {
            user: "sim".into(),
            name,
            checkpoint: Some(true),
            failover_timeout: Some(3600.0),
            role: (role != "*").then(|| role.to_owned()),
            capabilities,
            ..Default::default()
        };
        SimFramework {
            info,
            id: None,
            stream: None,
            launched: BTreeMap::new(),
            executor_of: BTreeMap::new(),
            received: BTreeMap::new(),
            next_task: 0,
            max_tasks,
            ephemeral: false,
            tearing_down: false,
            finished: false,
            version: 0,
            messages_sent: 0,
            messages: Vec::new(),
            violation: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The role it subscribes in.
    #[allow(deprecated)]
    pub fn role(&self) -> &str {
        self.info.role.as_deref().unwrap_or("*")
    }

    pub fn partition_aware(&self) -> bool {
        self.info
            .capabilities
            .iter()
            .any(|c| c.r#type == Some(mesos_proto::v1::framework_info::capability::Type::PartitionAware as i32))
    }

    /// The last state it heard of a task.
    pub fn last_state(&self, task: &str) -> Option<TaskState> {
        self.received.get(task).and_then(|r| r.last()).map(|r| r.state)
    }

    /// Tasks whose latest known state is not terminal.
    pub fn live_tasks(&self) -> usize {
        self.launched.keys().filter(|t| self.last_state(t).is_none_or(|s| !s.is_terminal())).count()
    }

    /// The SUBSCRIBE call (with the framework id once it has one).
    pub fn subscribe_call(&self) -> Call {
        let mut info = self.info.clone();
        info.id = self.id.clone();
        Call {
            framework_id: self.id.clone(),
            r#type: Some(call::Type::Subscribe as i32),
            subscribe: Some(call::Subscribe { framework_info: info, ..Default::default() }),
            ..Default::default()
        }
    }

    /// Explicit reconciliation of every task it launched.
    pub fn reconcile_all(&self) -> Call {
        let tasks = self
            .launched
            .iter()
            .map(|(task, agent)| call::reconcile::Task {
                task_id: TaskId { value: task.clone() },
                agent_id: Some(mesos_proto::v1::AgentId { value: agent.clone() }),
            })
            .collect();
        Call {
            r#type: Some(call::Type::Reconcile as i32),
            reconcile: Some(call::Reconcile { tasks }),
            ..Default::default()
        }
    }
}
