//! A simulated agent: the real agent core, an in-memory checkpoint store,
//! and executors simulated in-process. It can crash (losing the core but
//! keeping its disk and the executors of checkpointing frameworks), restart
//! (recovering from the disk, executors re-subscribing), and be shut down
//! by the master, after which the operator wipes the machine and the agent
//! starts again as a new one.

use std::collections::BTreeMap;

use mesos_agent_core::{Agent, AgentConfig, ExecutorStream};
use mesos_master_core::StreamId;
use mesos_proto::v1::{FrameworkId, TaskState, TaskStatus};
use mesos_resources::Resources;

use crate::disk::MemDisk;

/// An executor running on a simulated agent.
#[derive(Debug, Clone)]
pub struct SimExecutor {
    pub framework_id: FrameworkId,
    pub executor_id: mesos_proto::v1::ExecutorId,
    pub stream: Option<ExecutorStream>,
    /// Latest state of each task the executor runs.
    pub tasks: BTreeMap<String, TaskState>,
    /// The task groups it was given (a default executor's tasks fail and
    /// are killed together).
    pub groups: Vec<Vec<String>>,
    /// Updates the agent has not acknowledged yet.
    pub unacked: Vec<TaskStatus>,
    /// Set once the executor was told to shut down.
    pub exiting: bool,
}

impl SimExecutor {
    pub fn new(framework_id: FrameworkId, executor_id: mesos_proto::v1::ExecutorId) -> SimExecutor {
        SimExecutor {
            framework_id,
            executor_id,
            stream: None,
            tasks: BTreeMap::new(),
            groups: Vec::new(),
            unacked: Vec::new(),
            exiting: false,
        }
    }

    /// The tasks that share `task`'s group (itself alone outside a group).
    pub fn group_of(&self, task: &str) -> Vec<String> {
        self.groups.iter().find(|g| g.iter().any(|t| t == task)).cloned().unwrap_or_else(|| vec![task.to_owned()])
    }
}

/// One simulated agent.
pub struct SimAgent {
    pub config: AgentConfig,
    pub total: Resources,
    /// `None` while the agent is crashed (or its machine is off).
    pub core: Option<Agent>,
    pub disk: MemDisk,
    /// The master's stream to this agent, and its `Mesos-Stream-Id`.
    pub stream: Option<(StreamId, String)>,
    /// Cut off from the master.
    pub partitioned: bool,
    /// Powered off for maintenance: it starts only once the operator
    /// brings the machine back.
    pub machine_off: bool,
    /// Containers by id.
    pub executors: BTreeMap<String, SimExecutor>,
    pub next_executor_stream: u64,
    /// Which process of the agent this is (bumped at every restart), so
    /// that writes in flight at a crash are lost.
    pub incarnation: u64,
    /// Times the master shut it down and the machine was wiped.
    pub wipes: u32,
}

impl SimAgent {
    pub fn new(config: AgentConfig, total: Resources) -> SimAgent {
        SimAgent {
            core: Some(Agent::new(config.clone())),
            config,
            total,
            disk: MemDisk::default(),
            stream: None,
            partitioned: false,
            machine_off: false,
            executors: BTreeMap::new(),
            next_executor_stream: 1,
            incarnation: 0,
            wipes: 0,
        }
    }

    pub fn up(&self) -> bool {
        self.core.is_some()
    }

    pub fn new_executor_stream(&mut self) -> ExecutorStream {
        self.next_executor_stream += 1;
        ExecutorStream(self.next_executor_stream)
    }

    /// The container whose executor holds `stream`.
    pub fn container_of(&self, stream: ExecutorStream) -> Option<String> {
        self.executors.iter().find(|(_, e)| e.stream == Some(stream)).map(|(c, _)| c.clone())
    }

    /// The agent's id as its core knows it (while it is up).
    pub fn agent_id(&self) -> Option<&mesos_proto::v1::AgentId> {
        self.core.as_ref().and_then(|core| core.agent_id())
    }
}
