//! Removing a framework (TEARDOWN, or its failover timeout ran out): its
//! offers are withdrawn, its tasks killed, its executors shut down, and it
//! moves to the completed frameworks.

use mesos_proto::collections::Set;
use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::{AgentId, FrameworkId, TaskState, task_status::Reason};

use crate::master::{Action, Master};
use crate::task::master_status;

impl Master {
    /// The operator's TEARDOWN of a framework.
    pub(crate) fn teardown_framework(&mut self, id: &FrameworkId, now: Duration) -> Result<(), crate::ApiError> {
        if !self.frameworks.contains_key(id) {
            return Err(crate::ApiError::bad_request(format!("No framework found with specified ID {}", id.value)));
        }
        self.remove_framework(id, now);
        Ok(())
    }

    pub(crate) fn remove_framework(&mut self, id: &FrameworkId, now: Duration) {
        let Some(framework) = self.frameworks.get(id) else {
            return;
        };
        let offers: Vec<_> = framework.offers.iter().cloned().collect();
        let tasks: Vec<_> = framework
            .tasks
            .values()
            .map(|t| (t.record.task_id.clone(), t.record.agent_id.clone(), t.is_terminal()))
            .collect();
        let connection = framework.connection.clone();
        for offer in offers {
            self.take_offer(&offer);
        }
        let mut agents: Set<AgentId> = Set::default();
        for (task_id, agent_id, terminal) in tasks {
            agents.insert(agent_id.clone());
            if terminal {
                self.complete_task(id, &task_id, now);
            } else {
                let status = master_status(
                    &task_id,
                    Some(&agent_id),
                    TaskState::TaskKilled,
                    Reason::FrameworkRemoved,
                    "Framework removed",
                    now,
                );
                self.terminate_task(id, status, now, false);
            }
        }
        for agent in self.agents.values_mut() {
            if agent.executors.remove(id).is_some() {
                agents.insert(agent.id.clone());
            }
            agent.used.remove(id);
        }
        for agent in agents {
            let event = AgentEvent {
                r#type: Some(agent_event::Type::ShutdownFramework as i32),
                shutdown_framework: Some(agent_event::ShutdownFramework { framework_id: id.clone() }),
                ..Default::default()
            };
            self.send_to_agent(&agent, event);
        }
        if let Some(connection) = connection {
            self.scheduler_streams.remove(&connection.stream);
            self.actions.push(Action::CloseFramework { stream: connection.stream });
        }
        self.allocator.remove_framework(id);
        self.forget_inverse_offers_of(id);
        if let Some(mut framework) = self.frameworks.remove(id) {
            framework.connection = None;
            framework.active = false;
            framework.unregistered_time = Some(now);
            framework.failover_deadline = None;
            let info = framework.info.clone();
            self.completed_frameworks.push_back(framework);
            self.notify_framework_removed(&info);
            while self.completed_frameworks.len() > self.config.max_completed_frameworks {
                self.completed_frameworks.pop_front();
            }
        }
        self.removed_frameworks.insert(id.clone());
        self.counters.frameworks_removed += 1;
        self.allocation_wanted = true;
    }
}
