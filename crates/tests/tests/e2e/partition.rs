//! A real network partition between the master and an agent, made with
//! network namespaces (needs root): the agent is marked unreachable and its
//! task reported so; when the link heals the agent re-registers and the task
//! is reconciled; it is never reported twice or lost.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{CommandInfo, Resource, TaskId, TaskInfo, TaskState, framework_info, task_status, value};
use mesos_tests::cluster::{Cluster, command_name, is_running, processes_with_env};
use mesos_tests::netns::NetNs;
use mesos_tests::wait::{DEADLINE, until};

use crate::scheduler::{TestScheduler, framework};

#[tokio::test(flavor = "multi_thread")]
async fn a_partitioned_agent_is_unreachable_then_reconciled_when_it_heals_needs_root() {
    mesos_tests::require!(Root; "the partition is a network namespace whose link is cut");
    let netns = NetNs::create();
    let mut cluster =
        Cluster::start_on(&netns.host_ip, &["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=3"]).await;
    cluster.add_agent_in(Some(&netns), &[]).await;

    let mut info = framework("partition-aware");
    info.checkpoint = Some(true);
    info.failover_timeout = Some(3600.0);
    info.capabilities =
        vec![framework_info::Capability { r#type: Some(framework_info::capability::Type::PartitionAware as i32) }];
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;
    let scalar = |name: &str, amount: f64| Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    };
    let task = TaskInfo {
        name: "p".into(),
        task_id: TaskId { value: "p".into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        ..Default::default()
    };
    let accept = Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: vec![task] }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    };
    scheduler.call(accept).await.expect("launch");
    let mut statuses =
        scheduler.updates_until(|all| all.iter().any(|s| s.state == TaskState::TaskRunning as i32)).await;
    let executor: Vec<i32> = processes_with_env(cluster.dir.path(), "MESOS_EXECUTOR_ID", "p")
        .into_iter()
        .filter(|pid| command_name(*pid) == "mesos-executor")
        .collect();
    assert_eq!(executor.len(), 1);

    netns.cut();
    statuses
        .extend(scheduler.updates_until(|all| all.iter().any(|s| s.state == TaskState::TaskUnreachable as i32)).await);
    let state = cluster.state().await;
    assert_eq!(state["unreachable_slaves"], 1, "{state}");
    assert!(is_running(executor[0]), "the task runs on behind the partition");

    netns.heal();
    statuses.extend(
        scheduler
            .updates_until(|all| {
                all.iter().any(|s| {
                    s.state == TaskState::TaskRunning as i32
                        && s.reason == Some(task_status::Reason::AgentReregistered as i32)
                })
            })
            .await,
    );
    until("the agent to be active again", DEADLINE, || async {
        let state = cluster.state().await;
        (state["activated_slaves"] == 1 && state["unreachable_slaves"] == 0).then_some(())
    })
    .await;
    assert_eq!(cluster.task_state("p").await.as_deref(), Some("TASK_RUNNING"));
    assert!(is_running(executor[0]), "the same task is still running");

    // Running, unreachable, running again: nothing twice, nothing lost.
    let mut seen = std::collections::HashSet::new();
    let sequence: Vec<i32> = statuses
        .iter()
        .filter(|s| s.uuid.as_ref().is_none_or(|u| seen.insert(u.clone())))
        .map(|s| s.state)
        .filter(|s| *s != TaskState::TaskStarting as i32)
        .collect();
    assert_eq!(
        sequence,
        [TaskState::TaskRunning as i32, TaskState::TaskUnreachable as i32, TaskState::TaskRunning as i32],
        "{statuses:?}"
    );
}
