//! What the master knows of an agent: its info and address, resources in
//! use and on offer, tasks and executors it runs, and its connection.

use mesos_proto::collections::{Map, Set};
use std::time::Duration;

use mesos_proto::v1::{self, AgentId, AgentInfo, ExecutorId, ExecutorInfo, FrameworkId, TaskId};
use mesos_resources::Resources;

use crate::StreamId;

/// The agent's live stream to the master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConnection {
    pub stream: StreamId,
    pub stream_id: String,
}

/// A registered agent.
#[derive(Debug, Clone)]
pub struct Agent {
    pub id: AgentId,
    /// AgentInfo with `id` set.
    pub info: AgentInfo,
    /// Where the agent serves HTTP (hostname, ip, port).
    pub address: v1::Address,
    pub version: String,
    pub capabilities: Vec<v1::agent_info::Capability>,
    pub total: Resources,
    /// Resources held by each framework's tasks and executors.
    pub used: Map<FrameworkId, Resources>,
    /// Resources in outstanding offers.
    pub offered: Resources,
    pub connection: Option<AgentConnection>,
    /// False once the operator deactivated it.
    pub active: bool,
    /// Set while the operator drains it (and once drained).
    pub drain_info: Option<v1::DrainInfo>,
    pub registered_time: Duration,
    pub reregistered_time: Option<Duration>,
    pub tasks: Set<(FrameworkId, TaskId)>,
    pub executors: Map<FrameworkId, Map<ExecutorId, ExecutorInfo>>,
    /// Pings sent without a pong since the last pong.
    pub missed_pings: u32,
    /// When the next ping is due.
    pub next_ping: Duration,
    /// When a disconnected agent is given up on (marked unreachable).
    pub disconnected_deadline: Option<Duration>,
}

impl Agent {
    /// `slave(1)@ip:port`, as Mesos names an agent's process.
    pub fn pid(&self) -> String {
        format!("slave(1)@{}:{}", self.address.ip.as_deref().unwrap_or(&self.info.hostname), self.address.port)
    }

    pub fn connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Resources used by tasks and executors of all frameworks.
    pub fn used_total(&self) -> Resources {
        let mut total = Resources::new();
        for resources in self.used.values() {
            total.add(resources);
        }
        total
    }

    pub fn add_used(&mut self, framework: &FrameworkId, resources: &Resources) {
        self.used.entry(framework.clone()).or_default().add(resources);
    }

    pub fn remove_used(&mut self, framework: &FrameworkId, resources: &Resources) {
        if let Some(used) = self.used.get_mut(framework) {
            used.subtract(resources);
            if used.is_empty() {
                self.used.remove(framework);
            }
        }
    }

    /// The executor `executor` of `framework` on this agent, if running.
    pub fn executor(&self, framework: &FrameworkId, executor: &ExecutorId) -> Option<&ExecutorInfo> {
        self.executors.get(framework).and_then(|e| e.get(executor))
    }

    /// The URL frameworks use to reach this agent (`Offer.url`).
    pub fn url(&self) -> v1::Url {
        v1::Url {
            scheme: "http".to_owned(),
            address: self.address.clone(),
            path: Some("/slave(1)".to_owned()),
            query: Vec::new(),
            fragment: None,
        }
    }
}
