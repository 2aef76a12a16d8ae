//! The executors' life: subscribe, run the commands of the tasks they are
//! given, report their states, kill them on request, and leave once every
//! task is over and its terminal update acknowledged.
//!
//! Two flavours share this runner:
//! - the command executor takes one task (LAUNCH) and leaves after it;
//! - the default executor takes task groups (LAUNCH_GROUP); when a task of a
//!   group fails or is killed, the rest of its group is killed too.

use std::collections::HashMap;
use std::process::{ExitCode, ExitStatus};
use std::time::Duration;

use mesos_client::executor::{Executor, ExecutorEnv, ExecutorEvent, ExecutorHandle};
use mesos_proto::ContentType;
use mesos_proto::v1::executor::event;
use mesos_proto::v1::{
    FrameworkInfo, KillPolicy, TaskId, TaskInfo, TaskState, TaskStatus, framework_info::capability, task_status,
};
use nix::sys::signal::Signal;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::checks::{self, HealthPolicy, HealthVerdict, Outcome};
use crate::process;

/// Which probe an outcome comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeKind {
    Health,
    Check,
}

type ProbeResult = ((TaskId, ProbeKind), Outcome);

/// Grace period of a kill when the task names none, as Mesos's command
/// executor has it.
const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(3);

/// How long to wait for the agent to acknowledge terminal updates before
/// leaving anyway.
const TERMINAL_ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Which executor this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Command,
    Default,
}

#[derive(Debug)]
struct RunningTask {
    info: TaskInfo,
    pid: Option<u32>,
    /// Tasks launched together, killed together (default executor).
    group: usize,
    killing: bool,
    kill_deadline: Option<Instant>,
    terminal_uuid: Option<Vec<u8>>,
    acknowledged: bool,
    launched_at: Instant,
    health: Option<HealthPolicy>,
    healthy: Option<bool>,
    check_status: Option<mesos_proto::v1::CheckStatusInfo>,
    killed_by_health: bool,
    probes: Vec<tokio::task::JoinHandle<()>>,
}

pub struct Runner {
    flavour: Flavour,
    env: ExecutorEnv,
    framework: Option<FrameworkInfo>,
    tasks: HashMap<TaskId, RunningTask>,
    groups: usize,
    shutting_down: bool,
    leave_deadline: Option<Instant>,
    probe_results: Option<mpsc::UnboundedSender<ProbeResult>>,
    container: crate::Container,
}

impl Runner {
    pub fn new(flavour: Flavour, env: ExecutorEnv, container: crate::Container) -> Runner {
        Runner {
            container,
            flavour,
            env,
            framework: None,
            tasks: HashMap::new(),
            groups: 0,
            shutting_down: false,
            leave_deadline: None,
            probe_results: None,
        }
    }

    pub async fn run(mut self) -> ExitCode {
        let (handle, mut events) = Executor::start(self.env.clone(), ContentType::Protobuf);
        let (exited_tx, mut exited) = mpsc::unbounded_channel::<(TaskId, ExitStatus)>();
        let (probe_tx, mut probes) = mpsc::unbounded_channel::<ProbeResult>();
        self.probe_results = Some(probe_tx);
        loop {
            let kill_at = self.tasks.values().filter_map(|t| t.kill_deadline).min();
            let leave_at = self.leave_deadline;
            tokio::select! {
                event = events.recv() => match event {
                    Some(ExecutorEvent::Event(event)) => self.handle_event(&handle, *event, &exited_tx).await,
                    Some(ExecutorEvent::AgentLost(reason)) => {
                        eprintln!("Agent lost: {reason}; killing the tasks and exiting");
                        self.kill_all_now();
                        return ExitCode::FAILURE;
                    }
                    None => return ExitCode::FAILURE,
                },
                Some((task_id, status)) = exited.recv() => self.report_exit(&handle, &task_id, status).await,
                Some(((task_id, kind), outcome)) = probes.recv() => self.probed(&handle, &task_id, kind, outcome).await,
                () = sleep_until(kill_at) => self.escalate_kills(),
                () = sleep_until(leave_at) => return ExitCode::SUCCESS,
            }
            if self.done() {
                return ExitCode::SUCCESS;
            }
        }
    }

    /// Every task is over and its terminal update acknowledged (or there
    /// were none and a shutdown came).
    fn done(&self) -> bool {
        if self.tasks.is_empty() { self.shutting_down } else { self.tasks.values().all(|t| t.acknowledged) }
    }

    async fn handle_event(
        &mut self,
        handle: &ExecutorHandle,
        event: mesos_proto::v1::executor::Event,
        exited: &mpsc::UnboundedSender<(TaskId, ExitStatus)>,
    ) {
        match event.r#type.and_then(|t| event::Type::try_from(t).ok()) {
            Some(event::Type::Subscribed) => self.framework = event.subscribed.map(|s| s.framework_info),
            Some(event::Type::Launch) => {
                if let Some(launch) = event.launch {
                    if self.flavour == Flavour::Command && !self.tasks.is_empty() {
                        let status = status(
                            &launch.task.task_id,
                            TaskState::TaskFailed,
                            "Attempted to run multiple tasks using a command executor",
                        );
                        let _ = handle.update(status).await;
                    } else {
                        let group = self.next_group();
                        self.launch(handle, launch.task, group, exited).await;
                    }
                }
            }
            Some(event::Type::LaunchGroup) => {
                if let Some(launch) = event.launch_group {
                    let group = self.next_group();
                    for task in launch.task_group.tasks {
                        self.launch(handle, task, group, exited).await;
                    }
                }
            }
            Some(event::Type::Kill) => {
                if let Some(kill) = event.kill {
                    let group = self.tasks.get(&kill.task_id).map(|t| t.group);
                    let members: Vec<TaskId> = match (self.flavour, group) {
                        (Flavour::Default, Some(group)) => {
                            self.tasks.values().filter(|t| t.group == group).map(|t| t.info.task_id.clone()).collect()
                        }
                        _ => vec![kill.task_id.clone()],
                    };
                    for task in members {
                        self.kill(handle, &task, kill.kill_policy).await;
                    }
                }
            }
            Some(event::Type::Shutdown) => {
                self.shutting_down = true;
                let grace = self
                    .env
                    .shutdown_grace_period
                    .saturating_sub(Duration::from_secs(1))
                    .max(Duration::from_millis(100));
                let policy = KillPolicy {
                    grace_period: Some(mesos_proto::v1::DurationInfo { nanoseconds: grace.as_nanos() as i64 }),
                };
                let ids: Vec<TaskId> = self.tasks.keys().cloned().collect();
                for task in ids {
                    self.kill(handle, &task, Some(policy)).await;
                }
            }
            Some(event::Type::Acknowledged) => {
                if let Some(ack) = event.acknowledged
                    && let Some(task) = self.tasks.get_mut(&ack.task_id)
                    && task.terminal_uuid.as_deref() == Some(ack.uuid.as_slice())
                {
                    task.acknowledged = true;
                }
            }
            Some(event::Type::Error) => {
                eprintln!("Error from the agent: {}", event.error.map(|e| e.message).unwrap_or_default())
            }
            _ => {}
        }
    }

    fn next_group(&mut self) -> usize {
        self.groups += 1;
        self.groups
    }

    async fn launch(
        &mut self,
        handle: &ExecutorHandle,
        task: TaskInfo,
        group: usize,
        exited: &mpsc::UnboundedSender<(TaskId, ExitStatus)>,
    ) {
        let task_id = task.task_id.clone();
        if self.tasks.contains_key(&task_id) {
            return;
        }
        let _ = handle.update(status(&task_id, TaskState::TaskStarting, "")).await;
        let command = self.container.task_command.clone().or_else(|| task.command.clone()).unwrap_or_default();
        self.tasks.insert(
            task_id.clone(),
            RunningTask {
                health: task.health_check.as_ref().map(HealthPolicy::new),
                info: task,
                pid: None,
                group,
                killing: false,
                kill_deadline: None,
                terminal_uuid: None,
                acknowledged: false,
                launched_at: Instant::now(),
                healthy: None,
                check_status: None,
                killed_by_health: false,
                probes: Vec::new(),
            },
        );
        match process::spawn_in(&command, self.container.rootfs.as_ref()) {
            Ok(mut child) => {
                if let Some(task) = self.tasks.get_mut(&task_id) {
                    task.pid = child.id();
                }
                println!("Starting task {}", task_id.value);
                let mut running = status(&task_id, TaskState::TaskRunning, "");
                self.start_probes(&task_id);
                if let Some(task) = self.tasks.get(&task_id) {
                    running.check_status = task.check_status;
                }
                let _ = handle.update(running).await;
                let exited = exited.clone();
                let id = task_id.clone();
                tokio::spawn(async move {
                    if let Ok(status) = child.wait().await {
                        let _ = exited.send((id, status));
                    }
                });
            }
            Err(error) => {
                let update = status(&task_id, TaskState::TaskFailed, &format!("Failed to launch the command: {error}"));
                self.send_terminal(handle, update).await;
                self.fail_group(handle, group, &task_id).await;
            }
        }
    }

    /// Starts the task's health check and generic check, if it has them.
    fn start_probes(&mut self, task_id: &TaskId) {
        let Some(results) = self.probe_results.clone() else { return };
        let Some(task) = self.tasks.get_mut(task_id) else { return };
        if let Some((probe, schedule)) = task.info.health_check.as_ref().and_then(checks::health_probe) {
            task.probes.push(tokio::spawn(checks::probe_loop(
                probe,
                schedule,
                (task_id.clone(), ProbeKind::Health),
                results.clone(),
            )));
        }
        if let Some(check) = &task.info.check
            && let Some((probe, schedule)) = checks::check_probe(check)
        {
            // Until the first result, the check status only names its type.
            task.check_status = Some(mesos_proto::v1::CheckStatusInfo { r#type: check.r#type, ..Default::default() });
            task.probes.push(tokio::spawn(checks::probe_loop(
                probe,
                schedule,
                (task_id.clone(), ProbeKind::Check),
                results,
            )));
        }
    }

    /// A probe result: reported when it changes what the framework knows;
    /// a task failing its health checks too often is killed.
    async fn probed(&mut self, handle: &ExecutorHandle, task_id: &TaskId, kind: ProbeKind, outcome: Outcome) {
        let Some(task) = self.tasks.get_mut(task_id) else { return };
        if task.killing || task.terminal_uuid.is_some() {
            return;
        }
        let (report, reason, kill) = match kind {
            ProbeKind::Health => {
                let Some(policy) = task.health.as_mut() else { return };
                match policy.observe(outcome.healthy(), task.launched_at.elapsed()) {
                    HealthVerdict::Quiet => return,
                    HealthVerdict::Report(healthy) => {
                        task.healthy = Some(healthy);
                        (true, task_status::Reason::TaskHealthCheckStatusUpdated, false)
                    }
                    HealthVerdict::Kill => {
                        task.healthy = Some(false);
                        task.killed_by_health = true;
                        (true, task_status::Reason::TaskHealthCheckStatusUpdated, true)
                    }
                }
            }
            ProbeKind::Check => {
                let check_status = outcome.check_status();
                let changed = task.check_status.as_ref() != Some(&check_status);
                task.check_status = Some(check_status);
                (changed, task_status::Reason::TaskCheckStatusUpdated, false)
            }
        };
        if report {
            let mut update = status(task_id, TaskState::TaskRunning, "");
            update.reason = Some(reason as i32);
            update.healthy = task.healthy;
            update.check_status = task.check_status;
            let _ = handle.update(update).await;
        }
        if kill {
            self.kill(handle, task_id, None).await;
        }
    }

    async fn kill(&mut self, handle: &ExecutorHandle, task_id: &TaskId, policy: Option<KillPolicy>) {
        let killing_state = self.framework.as_ref().is_some_and(|f| {
            f.capabilities.iter().any(|c| c.r#type == Some(capability::Type::TaskKillingState as i32))
        });
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        if task.killing || task.terminal_uuid.is_some() {
            return;
        }
        task.killing = true;
        let grace = policy
            .or(task.info.kill_policy)
            .and_then(|p| p.grace_period)
            .map(|g| Duration::from_nanos(g.nanoseconds.max(0) as u64))
            .unwrap_or(DEFAULT_KILL_GRACE);
        if let Some(pid) = task.pid {
            process::signal_group(pid, Signal::SIGTERM);
            task.kill_deadline = Some(Instant::now() + grace);
        }
        if killing_state {
            let _ = handle.update(status(task_id, TaskState::TaskKilling, "")).await;
        }
    }

    /// SIGKILL for tasks whose grace period ran out.
    fn escalate_kills(&mut self) {
        let now = Instant::now();
        for task in self.tasks.values_mut() {
            if task.kill_deadline.is_some_and(|d| d <= now) {
                task.kill_deadline = None;
                if let Some(pid) = task.pid {
                    process::signal_group(pid, Signal::SIGKILL);
                }
            }
        }
    }

    fn kill_all_now(&mut self) {
        for task in self.tasks.values() {
            if let Some(pid) = task.pid {
                process::signal_group(pid, Signal::SIGKILL);
            }
        }
    }

    async fn report_exit(&mut self, handle: &ExecutorHandle, task_id: &TaskId, exit: ExitStatus) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        // Whatever the task left in its process group goes with it.
        if let Some(pid) = task.pid {
            process::signal_group(pid, Signal::SIGKILL);
        }
        task.kill_deadline = None;
        let state = if task.killing {
            TaskState::TaskKilled
        } else if exit.success() {
            TaskState::TaskFinished
        } else {
            TaskState::TaskFailed
        };
        let group = task.group;
        for probe in task.probes.drain(..) {
            probe.abort();
        }
        let mut terminal = status(task_id, state, &process::describe(&exit));
        if task.killed_by_health {
            terminal.healthy = Some(false);
            terminal.message =
                Some(format!("Task killed after failing its health check: {}", process::describe(&exit)));
        }
        self.send_terminal(handle, terminal).await;
        if state != TaskState::TaskFinished {
            self.fail_group(handle, group, task_id).await;
        }
    }

    /// A task of a group ended badly: the default executor kills the rest.
    async fn fail_group(&mut self, handle: &ExecutorHandle, group: usize, failed: &TaskId) {
        if self.flavour != Flavour::Default {
            return;
        }
        let others: Vec<TaskId> = self
            .tasks
            .values()
            .filter(|t| t.group == group && t.info.task_id != *failed)
            .map(|t| t.info.task_id.clone())
            .collect();
        for task in others {
            self.kill(handle, &task, None).await;
        }
    }

    async fn send_terminal(&mut self, handle: &ExecutorHandle, update: TaskStatus) {
        let task_id = update.task_id.clone();
        match handle.update(update).await {
            Ok(uuid) => {
                if let Some(task) = self.tasks.get_mut(&task_id) {
                    task.terminal_uuid = Some(uuid);
                }
            }
            Err(error) => eprintln!("Failed to send the terminal update of {}: {error}", task_id.value),
        }
        if self.tasks.values().all(|t| t.terminal_uuid.is_some()) {
            self.leave_deadline = Some(Instant::now() + TERMINAL_ACK_TIMEOUT);
        }
    }
}

fn status(task_id: &TaskId, state: TaskState, message: &str) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: (!message.is_empty()).then(|| message.to_owned()),
        ..Default::default()
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
