//! RECONCILE: the latest state of tasks, explicit (named tasks) or implicit
//! (every task the master knows of the framework).
//!
//! Answers are master-generated (source MASTER, reason RECONCILIATION, no
//! uuid). For a task the master does not know, the state depends on what it
//! knows of the agent: registered agent, TASK_GONE; unreachable agent,
//! TASK_UNREACHABLE; unknown agent, TASK_UNKNOWN. Frameworks that are not
//! partition-aware get TASK_LOST instead of all three. Tasks on an agent
//! that may still re-register after a failover get no answer yet.

use std::time::Duration;

use mesos_proto::v1::scheduler::call;
use mesos_proto::v1::{FrameworkId, TaskState, TaskStatus, task_status::Reason, task_status::Source};

use crate::master::Master;
use crate::task::master_status;

impl Master {
    pub(crate) fn reconcile(&mut self, framework_id: &FrameworkId, reconcile: call::Reconcile, now: Duration) {
        let Some(framework) = self.frameworks.get(framework_id) else {
            return;
        };
        let partition_aware = framework.capabilities.partition_aware;
        let mut statuses: Vec<TaskStatus> = Vec::new();
        if reconcile.tasks.is_empty() {
            statuses.extend(framework.tasks.values().map(|t| reconciled(t.reconciliation_status(now), now)));
            statuses.extend(framework.unreachable_tasks.iter().map(|t| reconciled(t.reconciliation_status(now), now)));
        } else {
            for wanted in &reconcile.tasks {
                if let Some(task) = framework.tasks.get(&wanted.task_id) {
                    statuses.push(reconciled(task.reconciliation_status(now), now));
                    continue;
                }
                if let Some(task) = framework.unreachable_tasks.iter().find(|t| t.record.task_id == wanted.task_id) {
                    statuses.push(reconciled(task.reconciliation_status(now), now));
                    continue;
                }
                let state = match &wanted.agent_id {
                    // An agent that may still re-register after a failover
                    // decides: no answer until then, as Mesos does.
                    Some(agent) if self.recovered_agents.contains_key(agent) => continue,
                    Some(agent) if self.registry.is_gone(agent) => TaskState::TaskGoneByOperator,
                    Some(agent) if self.agents.contains_key(agent) => TaskState::TaskGone,
                    Some(agent) if self.registry.is_unreachable(agent) => TaskState::TaskUnreachable,
                    _ => TaskState::TaskUnknown,
                };
                let state = if partition_aware { state } else { TaskState::TaskLost };
                statuses.push(master_status(
                    &wanted.task_id,
                    wanted.agent_id.as_ref(),
                    state,
                    Reason::Reconciliation,
                    "Reconciliation: task is unknown",
                    now,
                ));
            }
        }
        for status in statuses {
            self.send_update_event(framework_id, status);
        }
    }
}

/// A task's latest status as a reconciliation answer.
fn reconciled(mut status: TaskStatus, now: Duration) -> TaskStatus {
    status.uuid = None;
    status.source = Some(Source::Master as i32);
    status.reason = Some(Reason::Reconciliation as i32);
    status.message = Some("Reconciliation: latest task status".to_owned());
    status.timestamp = Some(now.as_secs_f64());
    status
}
