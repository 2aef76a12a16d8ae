//! Health checks and generic checks run by the command executor.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{
    CheckInfo, CommandInfo, HealthCheck, Offer, Resource, TaskId, TaskInfo, TaskState, check_info, health_check,
    task_status, value,
};
use mesos_tests::cluster::Cluster;

use crate::scheduler::{TestScheduler, framework};

fn task(id: &str, offer: &Offer) -> TaskInfo {
    let scalar = |name: &str, amount: f64| Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    };
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", 0.5), scalar("mem", 64.0)],
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        ..Default::default()
    }
}

fn health(command: &str) -> HealthCheck {
    HealthCheck {
        r#type: Some(health_check::Type::Command as i32),
        command: Some(CommandInfo { value: Some(command.into()), ..Default::default() }),
        delay_seconds: Some(0.0),
        interval_seconds: Some(0.2),
        timeout_seconds: Some(5.0),
        grace_period_seconds: Some(0.0),
        consecutive_failures: Some(2),
        ..Default::default()
    }
}

fn launch(offer: &Offer, tasks: Vec<TaskInfo>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![Operation {
                r#type: Some(operation::Type::Launch as i32),
                launch: Some(operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: None,
        }),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_failing_its_health_check_is_killed_and_a_healthy_one_reported() {
    let cluster = Cluster::start(1).await;
    let mut scheduler = TestScheduler::subscribe(&cluster.master_address(), framework("health")).await;
    let offer = scheduler.offer().await;
    let mut sick = task("sick", &offer);
    sick.health_check = Some(health("exit 1"));
    let mut fine = task("fine", &offer);
    fine.health_check = Some(health("true"));
    let mut checked = task("checked", &offer);
    checked.check = Some(CheckInfo {
        r#type: Some(check_info::Type::Command as i32),
        command: Some(check_info::Command {
            command: CommandInfo { value: Some("exit 2".into()), ..Default::default() },
        }),
        delay_seconds: Some(0.0),
        interval_seconds: Some(0.2),
        timeout_seconds: Some(5.0),
        ..Default::default()
    });
    scheduler.call(launch(&offer, vec![sick, fine, checked])).await.expect("launch");

    let of = |statuses: &[mesos_proto::v1::TaskStatus], task: &str| -> Vec<mesos_proto::v1::TaskStatus> {
        statuses.iter().filter(|s| s.task_id.value == task).cloned().collect()
    };
    let all = scheduler
        .updates_until(|all| {
            let sick_done = of(all, "sick").iter().any(|s| s.state == TaskState::TaskKilled as i32);
            let fine_healthy = of(all, "fine").iter().any(|s| s.healthy == Some(true));
            let checked = of(all, "checked").iter().any(|s| {
                s.check_status.as_ref().and_then(|c| c.command.as_ref()).is_some_and(|c| c.exit_code == Some(2))
            });
            sick_done && fine_healthy && checked
        })
        .await;

    let sick = of(&all, "sick");
    let unhealthy = sick
        .iter()
        .find(|s| s.healthy == Some(false) && s.state == TaskState::TaskRunning as i32)
        .expect("an unhealthy update");
    assert_eq!(unhealthy.reason, Some(task_status::Reason::TaskHealthCheckStatusUpdated as i32));
    let last = sick.last().unwrap();
    assert_eq!(last.state, TaskState::TaskKilled as i32, "{sick:?}");
    assert_eq!(last.healthy, Some(false));

    let fine = of(&all, "fine");
    let healthy = fine.iter().find(|s| s.healthy == Some(true)).unwrap();
    assert_eq!(healthy.reason, Some(task_status::Reason::TaskHealthCheckStatusUpdated as i32));
    assert!(fine.iter().all(|s| s.state != TaskState::TaskKilled as i32), "a healthy task is left alone");

    let checked = of(&all, "checked");
    let check = checked.iter().find(|s| s.check_status.as_ref().and_then(|c| c.command.as_ref()).is_some()).unwrap();
    assert_eq!(check.reason, Some(task_status::Reason::TaskCheckStatusUpdated as i32));
}
