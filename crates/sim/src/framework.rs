//! A simulated framework: subscribes, launches tasks on offers, declines
//! what it does not need, acknowledges updates, reconciles after every
//! re-subscription, and records every update it receives.

use std::collections::BTreeMap;

use mesos_master_core::StreamId;
use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{
    CommandInfo, Filters, FrameworkId, FrameworkInfo, Offer, TaskId, TaskInfo, TaskState, TaskStatus,
};
use mesos_resources::{ResourceFormat, Resources};

/// An update as the framework received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The generation number encoded in the update's uuid, if it has one.
    pub generation: Option<u64>,
    pub state: TaskState,
    pub reason: Option<i32>,
}

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

pub struct SimFramework {
    pub info: FrameworkInfo,
    pub id: Option<FrameworkId>,
    /// The subscription stream and its `Mesos-Stream-Id`.
    pub stream: Option<(StreamId, String)>,
    /// Task id → the agent it was sent to.
    pub launched: BTreeMap<String, String>,
    pub received: BTreeMap<String, Vec<Received>>,
    pub next_task: u64,
    pub max_tasks: u64,
}

/// What every simulated task uses.
pub fn task_resources() -> Resources {
    mesos_resources::parse::resources("cpus:0.5;mem:64", "*").expect("constant resources")
}

impl SimFramework {
    pub fn new(name: String, partition_aware: bool, max_tasks: u64) -> SimFramework {
        let mut capabilities = Vec::new();
        if partition_aware {
            capabilities.push(mesos_proto::v1::framework_info::Capability {
                r#type: Some(mesos_proto::v1::framework_info::capability::Type::PartitionAware as i32),
            });
        }
        let info = FrameworkInfo {
            user: "sim".into(),
            name,
            checkpoint: Some(true),
            failover_timeout: Some(3600.0),
            capabilities,
            ..Default::default()
        };
        SimFramework {
            info,
            id: None,
            stream: None,
            launched: BTreeMap::new(),
            received: BTreeMap::new(),
            next_task: 0,
            max_tasks,
        }
    }

    /// Tasks whose latest known state is not terminal.
    pub fn live_tasks(&self) -> usize {
        self.launched
            .keys()
            .filter(|t| self.received.get(*t).and_then(|r| r.last()).is_none_or(|r| !r.state.is_terminal()))
            .count()
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

    /// What to do with an offer: launch tasks that fit, or decline.
    pub fn answer_offer(&mut self, offer: &Offer) -> Call {
        let available = Resources::from_proto(&offer.resources).unwrap_or_default().unallocated();
        let mut remaining = available;
        let mut tasks = Vec::new();
        while self.next_task < self.max_tasks && self.live_tasks() + tasks.len() < 4 && tasks.len() < 2 {
            let Some(rest) = remaining.checked_minus(&task_resources()) else { break };
            remaining = rest;
            let id = format!("t{}", self.next_task);
            self.next_task += 1;
            self.launched.insert(id.clone(), offer.agent_id.value.clone());
            tasks.push(TaskInfo {
                name: id.clone(),
                task_id: TaskId { value: id },
                agent_id: offer.agent_id.clone(),
                resources: task_resources().to_proto(ResourceFormat::PostRefinement),
                command: Some(CommandInfo { value: Some("simulated".into()), ..Default::default() }),
                ..Default::default()
            });
        }
        if tasks.is_empty() {
            return Call {
                r#type: Some(call::Type::Decline as i32),
                decline: Some(call::Decline {
                    offer_ids: vec![offer.id.clone()],
                    filters: Some(Filters { refuse_seconds: Some(1.0) }),
                }),
                ..Default::default()
            };
        }
        Call {
            r#type: Some(call::Type::Accept as i32),
            accept: Some(call::Accept {
                offer_ids: vec![offer.id.clone()],
                operations: vec![Operation {
                    r#type: Some(operation::Type::Launch as i32),
                    launch: Some(operation::Launch { task_infos: tasks }),
                    ..Default::default()
                }],
                filters: Some(Filters { refuse_seconds: Some(1.0) }),
            }),
            ..Default::default()
        }
    }

    /// Records an update; returns the ACKNOWLEDGE to send, if it needs one.
    pub fn record(&mut self, status: &TaskStatus) -> Option<Call> {
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskUnknown);
        self.received.entry(status.task_id.value.clone()).or_default().push(Received {
            generation: generation(status),
            state,
            reason: status.reason,
        });
        let uuid = status.uuid.clone()?;
        Some(Call {
            r#type: Some(call::Type::Acknowledge as i32),
            acknowledge: Some(call::Acknowledge {
                agent_id: status.agent_id.clone()?,
                task_id: status.task_id.clone(),
                uuid,
            }),
            ..Default::default()
        })
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
