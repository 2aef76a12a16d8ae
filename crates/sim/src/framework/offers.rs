//! How a simulated framework answers an offer: command tasks (LAUNCH) and
//! now and then a group of two tasks on a default executor with its own
//! resources (LAUNCH_GROUP), each taking its resources from what the offer
//! holds (reserved ones first, for a framework in a role with
//! reservations); DECLINE when nothing fits.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{
    CommandInfo, ExecutorId, ExecutorInfo, Filters, Offer, TaskGroupInfo, TaskId, TaskInfo, executor_info,
};
use mesos_resources::{ResourceFormat, ResourceValue, Resources, Scalar};
use rand::Rng;
use rand::rngs::StdRng;

use super::SimFramework;

/// What every simulated task uses: (cpus, mem).
pub const TASK: (f64, f64) = (0.5, 64.0);
/// What a task group's default executor uses by itself: (cpus, mem).
pub const GROUP_EXECUTOR: (f64, f64) = (0.1, 32.0);
/// The command of a task that runs until it is killed.
pub const SERVE: &str = "serve";
/// Tasks in a group.
const GROUP_SIZE: usize = 2;
/// Chance that a launch is a task group.
const GROUP_CHANCE: f64 = 0.25;
/// Live tasks a framework keeps at most.
const MAX_LIVE: usize = 5;

/// Takes `cpus` and `mem` out of `available` (reserved resources first,
/// persistent volumes never), as the resources of a task or executor.
fn take(available: &mut Resources, (cpus, mem): (f64, f64)) -> Option<Resources> {
    let mut taken = Resources::new();
    for (name, amount) in [("cpus", cpus), ("mem", mem)] {
        let mut wanted = Scalar::from_f64(amount);
        let mut entries: Vec<_> =
            available.iter().filter(|r| r.name == name && r.disk.is_none() && !r.revocable).cloned().collect();
        entries.sort_by_key(|r| r.is_unreserved());
        for entry in entries {
            if wanted.is_zero() {
                break;
            }
            let ResourceValue::Scalar(has) = entry.value else { continue };
            let part = has.min(wanted);
            let mut piece = entry.clone();
            piece.value = ResourceValue::Scalar(part);
            wanted -= part;
            taken.add_resource(piece);
        }
        if !wanted.is_zero() {
            return None;
        }
    }
    *available = available.checked_minus(&taken)?;
    Some(taken)
}

impl SimFramework {
    /// The format its resources are in (it has no RESERVATION_REFINEMENT).
    fn format(&self) -> ResourceFormat {
        ResourceFormat::PreRefinement
    }

    fn task_info(&mut self, offer: &Offer, resources: &Resources, command: bool) -> TaskInfo {
        let id = format!("t{}", self.next_task);
        self.next_task += 1;
        self.launched.insert(id.clone(), offer.agent_id.value.clone());
        TaskInfo {
            name: id.clone(),
            task_id: TaskId { value: id },
            agent_id: offer.agent_id.clone(),
            resources: resources.to_proto(self.format()),
            command: command.then(|| CommandInfo { value: Some(self.command().into()), ..Default::default() }),
            ..Default::default()
        }
    }

    /// What its tasks run: the short-lived framework's serve until they are
    /// killed, the others' finish after a while.
    fn command(&self) -> &'static str {
        if self.ephemeral { SERVE } else { "simulated" }
    }

    /// A LAUNCH of one command task, if it fits.
    fn launch(&mut self, offer: &Offer, available: &mut Resources) -> Option<Operation> {
        let resources = take(available, TASK)?;
        let task = self.task_info(offer, &resources, true);
        self.executor_of.insert(task.task_id.value.clone(), task.task_id.value.clone());
        Some(Operation {
            r#type: Some(operation::Type::Launch as i32),
            launch: Some(operation::Launch { task_infos: vec![task] }),
            ..Default::default()
        })
    }

    /// A LAUNCH_GROUP of two tasks on a new default executor, if it fits.
    fn launch_group(&mut self, offer: &Offer, available: &mut Resources) -> Option<Operation> {
        let mut left = available.clone();
        let executor_resources = take(&mut left, GROUP_EXECUTOR)?;
        let task_resources: Vec<Resources> = (0..GROUP_SIZE).map(|_| take(&mut left, TASK)).collect::<Option<_>>()?;
        *available = left;
        let executor_id = format!("g{}", self.next_task);
        let tasks: Vec<TaskInfo> = task_resources.iter().map(|r| self.task_info(offer, r, true)).collect();
        for task in &tasks {
            self.executor_of.insert(task.task_id.value.clone(), executor_id.clone());
        }
        let executor = ExecutorInfo {
            r#type: Some(executor_info::Type::Default as i32),
            executor_id: ExecutorId { value: executor_id },
            resources: executor_resources.to_proto(self.format()),
            ..Default::default()
        };
        Some(Operation {
            r#type: Some(operation::Type::LaunchGroup as i32),
            launch_group: Some(operation::LaunchGroup { executor, task_group: TaskGroupInfo { tasks } }),
            ..Default::default()
        })
    }

    /// What to do with an offer: launch tasks and groups that fit, or
    /// decline.
    pub fn answer_offer(&mut self, offer: &Offer, rng: &mut StdRng) -> Call {
        let mut available = Resources::from_proto(&offer.resources).unwrap_or_default().unallocated();
        let mut operations = Vec::new();
        // Tasks count as live from their launch on.
        while operations.len() < 2 && self.next_task < self.max_tasks && self.live_tasks() < MAX_LIVE {
            let group = rng.random_bool(GROUP_CHANCE)
                && self.next_task + GROUP_SIZE as u64 <= self.max_tasks
                && self.live_tasks() + GROUP_SIZE <= MAX_LIVE;
            let operation = if group { self.launch_group(offer, &mut available) } else { None };
            let Some(operation) = operation.or_else(|| self.launch(offer, &mut available)) else { break };
            operations.push(operation);
        }
        let filters = Some(Filters { refuse_seconds: Some(1.0) });
        if operations.is_empty() {
            return Call {
                r#type: Some(call::Type::Decline as i32),
                decline: Some(call::Decline { offer_ids: vec![offer.id.clone()], filters }),
                ..Default::default()
            };
        }
        Call {
            r#type: Some(call::Type::Accept as i32),
            accept: Some(call::Accept { offer_ids: vec![offer.id.clone()], operations, filters }),
            ..Default::default()
        }
    }
}
