//! ACCEPT and DECLINE.
//!
//! An ACCEPT is all or nothing. When any offer or operation in it is invalid
//! the master answers 400 with the reason and changes nothing: the offers stay
//! outstanding. So that frameworks which only watch status updates are not
//! left waiting, every task of a refused call is also reported as Mesos
//! reports such tasks: TASK_ERROR for an invalid task (except one whose id
//! belongs to another active task), TASK_DROPPED (TASK_LOST for frameworks
//! that are not partition-aware) for the others and for invalid offers.
//! Apache Mesos answers such calls with 202 and the same updates.

use mesos_proto::collections::{Map, Set};
use std::time::Duration;

use mesos_proto::internal::{AgentEvent, agent_event};
use mesos_proto::v1::scheduler::call;
use mesos_proto::v1::{FrameworkId, OfferId, TaskId, TaskState, offer::operation, task_status::Reason};
use mesos_resources::Resources;

use super::launch::{LaunchContext, LaunchError, PlannedLaunch};
use super::operations::Conversion;

/// An operation of an ACCEPT, validated and ready to carry out.
enum Planned {
    Launch(Box<PlannedLaunch>),
    Convert(Conversion),
}
use crate::error::ApiError;
use crate::master::Master;
use crate::task::{Task, master_status};

/// `Filters.refuse_seconds` is capped at a year, as Mesos caps it.
const MAX_REFUSE: Duration = Duration::from_secs(31_536_000);

/// The refusal filter of a DECLINE or ACCEPT (5 seconds when unset).
pub(crate) fn refuse_duration(filters: Option<&mesos_proto::v1::Filters>) -> Option<Duration> {
    let seconds = filters.map_or(5.0, |f| f.refuse_seconds());
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(seconds).unwrap_or(MAX_REFUSE).min(MAX_REFUSE))
}

impl Master {
    pub(crate) fn decline(&mut self, framework: &FrameworkId, decline: call::Decline, now: Duration) {
        let refuse = refuse_duration(decline.filters.as_ref());
        for id in &decline.offer_ids {
            if self.offers.get(id).is_some_and(|o| o.framework == *framework) {
                self.discard_offer(id, refuse, now);
                self.counters.offers_declined += 1;
            }
        }
    }

    pub(crate) fn accept(
        &mut self,
        framework_id: &FrameworkId,
        accept: call::Accept,
        now: Duration,
    ) -> Result<(), ApiError> {
        let (agent_id, role) = match self.check_offers(framework_id, &accept.offer_ids) {
            Ok(found) => found,
            Err(reason) => {
                self.report_refused_tasks(framework_id, &accept, None, &reason, now);
                return Err(ApiError::bad_request(reason));
            }
        };
        let offered = accept.offer_ids.iter().fold(Resources::new(), |mut sum, id| {
            sum.add(&self.offers[id].resources);
            sum
        });
        let plans = match self.plan_operations(framework_id, &agent_id, &role, offered, &accept) {
            Ok(plans) => plans,
            Err(error) => {
                self.report_refused_tasks(framework_id, &accept, Some(&error), &error.message, now);
                return Err(ApiError::bad_request(error.message));
            }
        };
        let (plans, remaining) = plans;
        for id in &accept.offer_ids {
            self.take_offer(id);
        }
        self.counters.offers_accepted += accept.offer_ids.len() as u64;
        for plan in plans {
            match plan {
                Planned::Launch(launch) => self.launch(framework_id, &agent_id, &role, *launch, now),
                Planned::Convert(conversion) => self.apply_offer_conversion(framework_id, &agent_id, conversion),
            }
        }
        if !remaining.is_empty() {
            let refuse = refuse_duration(accept.filters.as_ref());
            self.allocator.recover_resources(framework_id, &agent_id, &remaining, refuse, now);
        }
        self.allocation_wanted = true;
        Ok(())
    }

    /// The offers must exist, belong to the framework, and share one agent
    /// and one role.
    fn check_offers(
        &self,
        framework: &FrameworkId,
        offer_ids: &[OfferId],
    ) -> Result<(mesos_proto::v1::AgentId, String), String> {
        let Some(first) = offer_ids.first() else {
            return Err("No offers specified".into());
        };
        let mut seen = Set::default();
        let mut agent_and_role = None;
        for id in offer_ids {
            if !seen.insert(id) {
                return Err(format!("Duplicate offer {} in the call", id.value));
            }
            let offer = self.offers.get(id).ok_or_else(|| format!("Offer {} is no longer valid", id.value))?;
            if offer.framework != *framework {
                return Err(format!("Offer {} is not for this framework", id.value));
            }
            match &agent_and_role {
                None => agent_and_role = Some((offer.agent.clone(), offer.role.clone())),
                Some((agent, role)) => {
                    if *agent != offer.agent {
                        return Err(format!(
                            "Aggregated offers must belong to one agent: offer {} is on another agent than offer {}",
                            id.value, first.value
                        ));
                    }
                    if *role != offer.role {
                        return Err(format!(
                            "Aggregated offers must be allocated to one role: offer {} is for role '{}', not '{role}'",
                            id.value, offer.role
                        ));
                    }
                }
            }
        }
        let (agent, role) = agent_and_role.expect("at least one offer");
        if !self.agents.get(&agent).is_some_and(|a| a.connected()) {
            return Err(format!("Agent {} is not connected", agent.value));
        }
        Ok((agent, role))
    }

    /// Validates every operation in order; returns what to carry out and
    /// what is left of the offers.
    fn plan_operations(
        &self,
        framework_id: &FrameworkId,
        agent_id: &mesos_proto::v1::AgentId,
        role: &str,
        offered: Resources,
        accept: &call::Accept,
    ) -> Result<(Vec<Planned>, Resources), LaunchError> {
        let mut context = LaunchContext {
            framework: &self.frameworks[framework_id],
            agent: &self.agents[agent_id],
            role,
            remaining: offered,
            seen_tasks: Set::default(),
            new_executors: Map::default(),
        };
        let mut launches = Vec::new();
        for op in &accept.operations {
            let kind = operation::Type::try_from(op.r#type.unwrap_or(0)).unwrap_or(operation::Type::Unknown);
            let unsupported = |what: &str| LaunchError { task: None, message: what.to_owned(), duplicate: false };
            match kind {
                operation::Type::Launch => {
                    let launch = op.launch.as_ref().ok_or_else(|| unsupported("Expecting 'launch' to be present"))?;
                    for task in &launch.task_infos {
                        launches.push(Planned::Launch(Box::new(context.launch(task)?)));
                    }
                }
                operation::Type::LaunchGroup => {
                    let group = op
                        .launch_group
                        .as_ref()
                        .ok_or_else(|| unsupported("Expecting 'launch_group' to be present"))?;
                    launches.push(Planned::Launch(Box::new(context.launch_group(group)?)));
                }
                operation::Type::Reserve => {
                    let reserve =
                        op.reserve.as_ref().ok_or_else(|| unsupported("Expecting 'reserve' to be present"))?;
                    launches.push(Planned::Convert(context.reserve(reserve)?));
                }
                operation::Type::Unreserve => {
                    let unreserve =
                        op.unreserve.as_ref().ok_or_else(|| unsupported("Expecting 'unreserve' to be present"))?;
                    launches.push(Planned::Convert(context.unreserve(unreserve)?));
                }
                operation::Type::Create => {
                    let create = op.create.as_ref().ok_or_else(|| unsupported("Expecting 'create' to be present"))?;
                    launches.push(Planned::Convert(context.create(create)?));
                }
                operation::Type::Destroy => {
                    let destroy =
                        op.destroy.as_ref().ok_or_else(|| unsupported("Expecting 'destroy' to be present"))?;
                    launches.push(Planned::Convert(context.destroy(destroy)?));
                }
                operation::Type::Unknown => return Err(unsupported("Unknown offer operation")),
                other => {
                    return Err(unsupported(&format!(
                        "Offer operation {} is not supported by this master",
                        other.as_str_name()
                    )));
                }
            }
        }
        Ok((launches, context.remaining))
    }

    /// Carries out a planned launch: records the tasks and the executor and
    /// sends them to the agent.
    fn launch(
        &mut self,
        framework_id: &FrameworkId,
        agent_id: &mesos_proto::v1::AgentId,
        role: &str,
        launch: PlannedLaunch,
        now: Duration,
    ) {
        let framework_info = self.frameworks[framework_id].info.clone();
        let hasher = self.hasher();
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        if let (Some(executor), Some(resources)) = (&launch.executor, &launch.new_executor_resources) {
            agent.add_used(framework_id, resources);
            agent
                .executors
                .entry(framework_id.clone())
                .or_insert_with(|| hasher.map())
                .insert(executor.executor_id.clone(), executor.clone());
        }
        for planned in &launch.tasks {
            agent.add_used(framework_id, &planned.resources);
            agent.tasks.insert((framework_id.clone(), planned.info.task_id.clone()));
        }
        let framework = self.frameworks.get_mut(framework_id).expect("checked by the caller");
        let added: Vec<TaskId> = launch.tasks.iter().map(|t| t.info.task_id.clone()).collect();
        for planned in &launch.tasks {
            let mut task = Task::staging(&planned.info, &framework.info, planned.resources.clone(), role);
            if launch.group {
                task.record.executor_id = launch.executor.as_ref().map(|e| e.executor_id.clone());
            }
            framework.tasks.insert(planned.info.task_id.clone(), task);
            self.counters.tasks_launched += 1;
        }
        let _ = now;
        for task in &added {
            self.notify_task_added(framework_id, task);
        }
        let event = if launch.group {
            AgentEvent {
                r#type: Some(agent_event::Type::RunTaskGroup as i32),
                run_task_group: Some(agent_event::RunTaskGroup {
                    framework_info,
                    executor_info: launch.executor.clone().unwrap_or_default(),
                    task_group: mesos_proto::v1::TaskGroupInfo {
                        tasks: launch.tasks.into_iter().map(|t| t.info).collect(),
                    },
                }),
                ..Default::default()
            }
        } else {
            AgentEvent {
                r#type: Some(agent_event::Type::RunTask as i32),
                run_task: Some(agent_event::RunTask {
                    framework_info,
                    task: launch.tasks.into_iter().next().map(|t| t.info).unwrap_or_default(),
                }),
                ..Default::default()
            }
        };
        self.send_to_agent(agent_id, event);
    }

    /// Sends the updates that tell an update-driven framework what became of
    /// the tasks of a refused ACCEPT.
    fn report_refused_tasks(
        &mut self,
        framework_id: &FrameworkId,
        accept: &call::Accept,
        error: Option<&LaunchError>,
        reason: &str,
        now: Duration,
    ) {
        let Some(framework) = self.frameworks.get(framework_id) else {
            return;
        };
        let partition_aware = framework.capabilities.partition_aware;
        let not_launched = if partition_aware { TaskState::TaskDropped } else { TaskState::TaskLost };
        let mut updates = Vec::new();
        for op in &accept.operations {
            let tasks: Vec<&mesos_proto::v1::TaskInfo> = op
                .launch
                .iter()
                .flat_map(|l| l.task_infos.iter())
                .chain(op.launch_group.iter().flat_map(|g| g.task_group.tasks.iter()))
                .collect();
            for task in tasks {
                let culprit: Option<&TaskId> = error.and_then(|e| e.task.as_ref());
                let status = match error {
                    None => master_status(
                        &task.task_id,
                        Some(&task.agent_id),
                        not_launched,
                        Reason::InvalidOffers,
                        reason,
                        now,
                    ),
                    Some(e) if culprit == Some(&task.task_id) => {
                        if e.duplicate {
                            continue;
                        }
                        let why =
                            if op.launch_group.is_some() { Reason::TaskGroupInvalid } else { Reason::TaskInvalid };
                        master_status(&task.task_id, Some(&task.agent_id), TaskState::TaskError, why, reason, now)
                    }
                    Some(_) => {
                        if framework.tasks.contains_key(&task.task_id) {
                            continue;
                        }
                        let message = format!("Not launched because the ACCEPT call was refused: {reason}");
                        master_status(
                            &task.task_id,
                            Some(&task.agent_id),
                            not_launched,
                            Reason::TaskInvalid,
                            message,
                            now,
                        )
                    }
                };
                updates.push(status);
            }
        }
        for status in updates {
            self.counters.count_terminal(&status);
            self.send_update_event(framework_id, status);
        }
    }
}
