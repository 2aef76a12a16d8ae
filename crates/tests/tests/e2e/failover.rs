//! A framework that disconnects and re-subscribes within its failover
//! timeout keeps its running tasks; one that stays away is torn down.

use mesos_proto::ContentType;
use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call, event};
use mesos_proto::v1::{CommandInfo, Resource, TaskId, TaskInfo, TaskState, value};
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::{DEADLINE, until};

use crate::scheduler::{TestScheduler, framework};

fn sleeper(id: &str, offer: &mesos_proto::v1::Offer) -> Call {
    let resources = vec![
        Resource {
            name: "cpus".into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: 0.5 }),
            ..Default::default()
        },
        Resource {
            name: "mem".into(),
            r#type: value::Type::Scalar as i32,
            scalar: Some(value::Scalar { value: 32.0 }),
            ..Default::default()
        },
    ];
    let task = TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources,
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        ..Default::default()
    };
    Call {
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
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resubscribing_within_the_failover_timeout_keeps_tasks() {
    let cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let mut info = framework("failover");
    info.failover_timeout = Some(300.0);
    let mut first = TestScheduler::subscribe_as(&master, info.clone(), ContentType::Protobuf).await;
    let offer = first.offer().await;
    first.call(sleeper("long", &offer)).await.expect("launch");
    first.update("long", TaskState::TaskRunning).await;
    let framework_id = first.framework_id.clone();

    // The scheduler goes away; the master keeps the framework and its task.
    drop(first);
    until("the framework to be disconnected", DEADLINE, || async {
        let state = cluster.state().await;
        (state["frameworks"][0]["connected"] == false).then_some(())
    })
    .await;
    assert_eq!(cluster.task_state("long").await.as_deref(), Some("TASK_RUNNING"));

    // It comes back with its id and finds its task running.
    info.id = Some(framework_id.clone());
    let mut second = TestScheduler::subscribe_as(&master, info.clone(), ContentType::Json).await;
    assert_eq!(second.framework_id, framework_id);
    second
        .call(Call {
            r#type: Some(call::Type::Reconcile as i32),
            reconcile: Some(call::Reconcile { tasks: vec![] }),
            ..Default::default()
        })
        .await
        .expect("reconcile");
    let reconciled = second.update("long", TaskState::TaskRunning).await;
    assert_eq!(reconciled.reason, Some(mesos_proto::v1::task_status::Reason::Reconciliation as i32));
    assert!(reconciled.uuid.is_none(), "reconciliation updates are not acknowledged");

    // A third subscription with the same id takes over: the second stream
    // gets an ERROR and ends.
    let third = TestScheduler::subscribe_as(&master, info, ContentType::Json).await;
    let events = second.until_closed().await;
    let error = events.iter().find(|e| e.r#type == Some(event::Type::Error as i32)).expect("an ERROR event");
    assert_eq!(error.error.as_ref().map(|e| e.message.as_str()), Some("Framework failed over"));
    assert_eq!(cluster.task_state("long").await.as_deref(), Some("TASK_RUNNING"));
    drop(third);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_framework_gone_past_its_failover_timeout_is_torn_down() {
    let cluster = Cluster::start(1).await;
    let mut info = framework("short-failover");
    info.failover_timeout = Some(1.0);
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), info).await;
    let offer = scheduler.offer().await;
    scheduler.call(sleeper("doomed", &offer)).await.expect("launch");
    scheduler.update("doomed", TaskState::TaskRunning).await;
    drop(scheduler);
    until("the framework to be torn down", DEADLINE, || async {
        let state = cluster.state().await;
        (state["frameworks"].as_array().is_some_and(Vec::is_empty)
            && state["completed_frameworks"].as_array().map(Vec::len) == Some(1))
        .then_some(())
    })
    .await;
    assert_eq!(cluster.task_state("doomed").await.as_deref(), Some("TASK_KILLED"));
    // The agent killed the task's executor too.
    until("the executor to be gone from the agent", DEADLINE, || async {
        let url = format!("http://127.0.0.1:{}/state", cluster.agents[0].port);
        let (_, body) = mesos_http::client::Client::new().get(&url).await.ok()?;
        let state: serde_json::Value = serde_json::from_slice(&body).ok()?;
        state["frameworks"].as_array().is_some_and(Vec::is_empty).then_some(())
    })
    .await;
}
