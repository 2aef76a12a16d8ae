//! Master failover: a fresh leader recovers a registry of N agents, then
//! every agent re-registers with 10 running tasks of 10 labels each. The
//! measured work is the core's: recovery plus every re-registration and the
//! actions it queues (what the daemon's event loop does between reading the
//! calls and writing the answers). The calls are built beforehand, as the
//! HTTP layer would have decoded them.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mesos_master_core::input::AgentRequest;
use mesos_master_core::{Action, Input, Master, MasterConfig, StreamId};
use mesos_proto::internal::{AgentCall, agent_call};
use mesos_proto::v1::{
    AgentId, AgentInfo, CommandInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, Label, Labels, MasterInfo,
    Resource, Task, TaskId, TaskState, TaskStatus, executor_info, value,
};
use mesos_registry::{Operation, Registry};

const TASKS_PER_AGENT: usize = 10;
const LABELS_PER_TASK: usize = 10;

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn agent_info(index: usize) -> AgentInfo {
    AgentInfo {
        hostname: format!("agent-{index}.example"),
        id: Some(AgentId { value: format!("A-S{index}") }),
        port: Some(5051),
        resources: vec![scalar("cpus", 32.0), scalar("mem", 65536.0), scalar("disk", 1_000_000.0)],
        ..Default::default()
    }
}

fn framework() -> FrameworkInfo {
    FrameworkInfo {
        user: "root".into(),
        name: "failover-bench".into(),
        id: Some(FrameworkId { value: "F-0000".into() }),
        checkpoint: Some(true),
        failover_timeout: Some(3600.0),
        ..Default::default()
    }
}

/// The REREGISTER call agent `index` sends the new leader.
fn reregister(index: usize) -> AgentCall {
    let info = agent_info(index);
    let agent_id = info.id.clone().expect("set");
    let framework = framework();
    let framework_id = framework.id.clone().expect("set");
    let mut tasks = Vec::with_capacity(TASKS_PER_AGENT);
    let mut executors = Vec::with_capacity(TASKS_PER_AGENT);
    for t in 0..TASKS_PER_AGENT {
        let task_id = TaskId { value: format!("task-{index}-{t}") };
        let executor_id = ExecutorId { value: format!("task-{index}-{t}") };
        let labels = (0..LABELS_PER_TASK)
            .map(|l| Label { key: format!("key-{l}"), value: Some(format!("value-{index}-{t}-{l}")) })
            .collect();
        let status = TaskStatus {
            task_id: task_id.clone(),
            state: TaskState::TaskRunning as i32,
            agent_id: Some(agent_id.clone()),
            timestamp: Some(1_000.0),
            ..Default::default()
        };
        tasks.push(Task {
            name: task_id.value.clone(),
            task_id: task_id.clone(),
            framework_id: framework_id.clone(),
            executor_id: Some(executor_id.clone()),
            agent_id: agent_id.clone(),
            state: TaskState::TaskRunning as i32,
            resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
            statuses: vec![status],
            status_update_state: Some(TaskState::TaskRunning as i32),
            labels: Some(Labels { labels }),
            ..Default::default()
        });
        executors.push(ExecutorInfo {
            r#type: Some(executor_info::Type::Default as i32),
            executor_id,
            framework_id: Some(framework_id.clone()),
            command: Some(CommandInfo { value: Some("sleep 1000".into()), ..Default::default() }),
            resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
            ..Default::default()
        });
    }
    AgentCall {
        agent_id: Some(agent_id),
        r#type: Some(agent_call::Type::Reregister as i32),
        reregister: Some(agent_call::Reregister {
            agent_info: info,
            tasks,
            executor_infos: executors,
            frameworks: vec![framework],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A leader that has just recovered a registry of `agents` agents, and the
/// calls of those agents.
fn recovered_leader(agents: usize) -> (Master, Vec<AgentCall>, Registry) {
    let now = Duration::from_secs(1_000_000);
    let info = MasterInfo { id: "leader".into(), ip: 16_777_343, port: 5050, ..Default::default() };
    let master = Master::new(MasterConfig::new(info), now);
    let mut registry = Registry::new();
    for index in 0..agents {
        registry.apply(&Operation::AdmitAgent(agent_info(index))).expect("a new agent");
    }
    let calls = (0..agents).map(reregister).collect();
    (master, calls, registry)
}

/// What the daemon's loop does: recover, take every call, carry out the
/// actions (registry writes acknowledged at once, events dropped).
fn failover(mut master: Master, calls: Vec<AgentCall>, registry: Registry) -> Master {
    let now = Duration::from_secs(1_000_000);
    master.recover(registry, now);
    for (index, call) in calls.into_iter().enumerate() {
        let stream = StreamId(index as u64 + 1);
        let Ok(AgentRequest::Reregister(reregister)) = AgentRequest::parse(call, None) else { panic!("a REREGISTER") };
        let input = Input::AgentReregister { stream, stream_id: format!("stream-{index}"), reregister };
        master.handle(now, input).expect("re-registered");
        settle(&mut master, now);
    }
    settle(&mut master, now);
    master
}

fn settle(master: &mut Master, now: Duration) {
    loop {
        let actions = master.take_actions();
        if actions.is_empty() {
            return;
        }
        for action in actions {
            if let Action::Registry { ticket, .. } = action {
                master.handle(now, Input::RegistryApplied { ticket, result: Ok(()) }).expect("taken");
            } else {
                black_box(action);
            }
        }
    }
}

fn bench_failover(c: &mut Criterion) {
    let mut group = c.benchmark_group("master_failover_reregistration");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for agents in [10_000, 40_000] {
        let name = format!("{agents}_agents_{}_tasks", agents * TASKS_PER_AGENT);
        group.bench_function(&name, |b| {
            b.iter_batched(
                || recovered_leader(agents),
                |(master, calls, registry)| failover(master, calls, registry),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_failover);
criterion_main!(benches);
