//! What the master knows of a framework: its info, connection, tasks,
//! executors and outstanding offers.

use std::collections::VecDeque;

use mesos_proto::collections::{Map, SeededState, Set};
use std::time::Duration;

use mesos_proto::v1::{
    self, FrameworkId, FrameworkInfo, OfferId, TaskId, framework_info::capability::Type as Capability,
};

use crate::StreamId;
use crate::task::Task;

/// The capabilities that change how the master treats a framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub partition_aware: bool,
    pub multi_role: bool,
    pub reservation_refinement: bool,
    pub task_killing_state: bool,
    pub gpu_resources: bool,
    pub revocable_resources: bool,
    pub shared_resources: bool,
    pub region_aware: bool,
}

impl Capabilities {
    pub fn of(info: &FrameworkInfo) -> Capabilities {
        let mut caps = Capabilities::default();
        for capability in &info.capabilities {
            match Capability::try_from(capability.r#type.unwrap_or(0)) {
                Ok(Capability::PartitionAware) => caps.partition_aware = true,
                Ok(Capability::MultiRole) => caps.multi_role = true,
                Ok(Capability::ReservationRefinement) => caps.reservation_refinement = true,
                Ok(Capability::TaskKillingState) => caps.task_killing_state = true,
                Ok(Capability::GpuResources) => caps.gpu_resources = true,
                Ok(Capability::RevocableResources) => caps.revocable_resources = true,
                Ok(Capability::SharedResources) => caps.shared_resources = true,
                Ok(Capability::RegionAware) => caps.region_aware = true,
                _ => {}
            }
        }
        caps
    }

    /// The reservation format this framework reads and writes.
    pub fn resource_format(&self) -> mesos_resources::ResourceFormat {
        if self.reservation_refinement {
            mesos_resources::ResourceFormat::PostRefinement
        } else {
            mesos_resources::ResourceFormat::PreRefinement
        }
    }
}

/// The roles a framework subscribes to: `roles` for MULTI_ROLE frameworks,
/// otherwise the single (deprecated) `role`, `*` by default.
#[allow(deprecated)]
pub fn roles_of(info: &FrameworkInfo) -> Vec<String> {
    if Capabilities::of(info).multi_role {
        info.roles.clone()
    } else {
        vec![info.role.clone().unwrap_or_else(|| "*".to_owned())]
    }
}

/// A subscribed framework's live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub stream: StreamId,
    /// The `Mesos-Stream-Id` handed out on SUBSCRIBE.
    pub stream_id: String,
}

/// A framework known to the master.
#[derive(Debug, Clone)]
pub struct Framework {
    pub id: FrameworkId,
    pub info: FrameworkInfo,
    pub roles: Vec<String>,
    pub suppressed_roles: Vec<String>,
    pub capabilities: Capabilities,
    pub connection: Option<Connection>,
    /// Active: subscribed and connected, so it receives offers.
    pub active: bool,
    /// Known only from re-registering agents; it has not subscribed since.
    pub recovered: bool,
    pub registered_time: Option<Duration>,
    pub reregistered_time: Option<Duration>,
    pub unregistered_time: Option<Duration>,
    /// When a disconnected framework is torn down if it has not come back.
    pub failover_deadline: Option<Duration>,
    /// Tasks not yet terminal, or terminal with the update unacknowledged.
    pub tasks: Map<TaskId, Task>,
    /// Terminal tasks, newest last, bounded by `--max_completed_tasks_per_framework`.
    pub completed_tasks: VecDeque<Task>,
    /// Tasks on unreachable agents, bounded by `--max_unreachable_tasks_per_framework`.
    pub unreachable_tasks: VecDeque<Task>,
    pub offers: Set<OfferId>,
}

impl Framework {
    pub fn new(id: FrameworkId, info: FrameworkInfo, now: Duration, hasher: SeededState) -> Framework {
        Framework {
            roles: roles_of(&info),
            capabilities: Capabilities::of(&info),
            id,
            info,
            suppressed_roles: Vec::new(),
            connection: None,
            active: false,
            recovered: false,
            registered_time: Some(now),
            reregistered_time: None,
            unregistered_time: None,
            failover_deadline: None,
            tasks: hasher.map(),
            completed_tasks: VecDeque::new(),
            unreachable_tasks: VecDeque::new(),
            offers: hasher.set(),
        }
    }

    pub fn connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Replaces the FrameworkInfo, keeping derived fields in step.
    pub fn set_info(&mut self, info: FrameworkInfo) {
        self.roles = roles_of(&info);
        self.capabilities = Capabilities::of(&info);
        self.info = info;
    }

    pub fn failover_timeout(&self) -> Duration {
        let seconds = self.info.failover_timeout();
        if seconds.is_finite() && seconds > 0.0 {
            Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
        } else {
            Duration::ZERO
        }
    }

    /// Moves a task to the completed list, keeping it bounded.
    pub fn complete_task(&mut self, task: Task, max_completed: usize) {
        self.completed_tasks.push_back(task);
        while self.completed_tasks.len() > max_completed {
            self.completed_tasks.pop_front();
        }
    }

    /// The `Task` records of every active task (for the operator API).
    pub fn task_records(&self) -> impl Iterator<Item = &v1::Task> {
        self.tasks.values().map(|t| &*t.record)
    }

    /// What the allocator needs to know of this framework.
    pub fn allocator_spec(&self) -> mesos_allocator::FrameworkSpec {
        let framework = self;
        let caps = framework.capabilities;
        let mut min_allocatable = std::collections::BTreeMap::new();
        for (role, filters) in &framework.info.offer_filters {
            if let Some(min) = &filters.min_allocatable_resources {
                let sets = min
                    .quantities
                    .iter()
                    .map(|q| {
                        q.quantities
                            .iter()
                            .map(|(name, scalar)| (name.clone(), mesos_resources::Scalar::from_f64(scalar.value)))
                            .collect()
                    })
                    .collect();
                min_allocatable.insert(role.clone(), sets);
            }
        }
        mesos_allocator::FrameworkSpec {
            roles: framework.roles.clone(),
            suppressed_roles: framework.suppressed_roles.clone(),
            capabilities: mesos_allocator::FrameworkCapabilities {
                gpu_resources: caps.gpu_resources,
                revocable_resources: caps.revocable_resources,
                shared_resources: caps.shared_resources,
                reservation_refinement: caps.reservation_refinement,
            },
            min_allocatable_resources: min_allocatable,
        }
    }
}
