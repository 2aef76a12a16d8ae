//! A simulated agent: the real agent core, an in-memory checkpoint store,
//! and executors simulated in-process. It can crash (losing the core but
//! keeping its disk and the executors of checkpointing frameworks) and
//! restart (recovering from the disk, executors re-subscribing).

use std::collections::{BTreeMap, BTreeSet};

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
    /// Updates the agent has not acknowledged yet.
    pub unacked: Vec<TaskStatus>,
    /// Set once the executor was told to shut down.
    pub exiting: bool,
}

/// One simulated agent.
pub struct SimAgent {
    pub config: AgentConfig,
    pub total: Resources,
    /// `None` while the agent is crashed.
    pub core: Option<Agent>,
    pub disk: MemDisk,
    /// The master's stream to this agent, and its `Mesos-Stream-Id`.
    pub stream: Option<(StreamId, String)>,
    /// Cut off from the master.
    pub partitioned: bool,
    /// Containers by id.
    pub executors: BTreeMap<String, SimExecutor>,
    pub next_executor_stream: u64,
    /// Tasks this agent was asked to run, for the end-of-run checks.
    pub launched: BTreeSet<String>,
    /// Which process of the agent this is (bumped at every restart), so
    /// that writes in flight at a crash are lost.
    pub incarnation: u64,
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
            executors: BTreeMap::new(),
            next_executor_stream: 1,
            launched: BTreeSet::new(),
            incarnation: 0,
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
}
