//! Maintenance with real processes: a schedule makes the master send
//! inverse offers to the framework running on the machine, its answer shows
//! in the maintenance status (and the CLI), the machine goes down (its agent
//! is shut down, its task lost) and comes back up, and the schedule
//! survives a restart of the master.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesos_proto::v1::TaskState;
use mesos_proto::v1::scheduler::{Call, call};
use mesos_tests::cluster::Cluster;
use mesos_tests::raw_http;
use mesos_tests::wait::{DEADLINE, until};
use serde_json::{Value, json};

use crate::cli::mesos;
use crate::operator::{launch, operator};
use crate::scheduler::{TestScheduler, framework};

fn in_an_hour() -> u64 {
    (SystemTime::now().duration_since(UNIX_EPOCH).expect("after the epoch") + Duration::from_secs(3600)).as_nanos()
        as u64
}

#[tokio::test(flavor = "multi_thread")]
async fn maintenance_sends_inverse_offers_and_takes_machines_down_and_up() {
    let mut cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let mut scheduler = TestScheduler::subscribe(&master, framework("maintained")).await;
    let offer = scheduler.offer().await;
    scheduler.call(launch(&offer, "busy", "sleep 600")).await.expect("launch");
    scheduler.update("busy", TaskState::TaskRunning).await;

    let machine = json!({"hostname": "127.0.0.1", "ip": "127.0.0.1"});
    let start = in_an_hour();
    let schedule = json!({"windows": [{
        "machine_ids": [machine],
        "unavailability": {"start": {"nanoseconds": start}, "duration": {"nanoseconds": 3_600_000_000_000u64}},
    }]});
    operator(
        &master,
        json!({"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule": schedule}}),
    )
    .await;
    let got = operator(&master, json!({"type": "GET_MAINTENANCE_SCHEDULE"})).await;
    assert_eq!(got["get_maintenance_schedule"]["schedule"], schedule);

    // The framework is asked to give the machine back.
    let event = scheduler.expect(|e| e.inverse_offers.is_some()).await;
    let inverse = event.inverse_offers.unwrap().inverse_offers.remove(0);
    assert_eq!(inverse.unavailability.start.nanoseconds as u64, start);
    let decline = Call {
        r#type: Some(call::Type::DeclineInverseOffers as i32),
        decline_inverse_offers: Some(call::DeclineInverseOffers {
            inverse_offer_ids: vec![inverse.id.clone()],
            filters: None,
        }),
        ..Default::default()
    };
    scheduler.call(decline).await.expect("decline");
    let status = until("the framework's answer in the status", DEADLINE, || {
        let master = master.clone();
        async move {
            let response = raw_http::request(&master, "GET", "/master/maintenance/status", &[], b"").await;
            let status: Value = serde_json::from_slice(&response.body).ok()?;
            (status["draining_machines"][0]["statuses"][0]["status"] == "DECLINE").then_some(status)
        }
    })
    .await;
    assert_eq!(status["draining_machines"][0]["id"], machine);
    assert_eq!(
        status["draining_machines"][0]["statuses"][0]["framework_id"]["value"],
        scheduler.framework_id.value.as_str()
    );
    let table = mesos(&master, &["maintenance", "status"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("DRAINING") && text.contains("DECLINE"), "{text}");

    // Down: the agent is shut down, its task is lost; the machine is listed down.
    let down =
        raw_http::request(&master, "POST", "/master/machine/down", &[], json!([machine]).to_string().as_bytes()).await;
    assert_eq!(down.status, 200, "{}", String::from_utf8_lossy(&down.body));
    let lost = scheduler.updates_until_terminal("busy").await;
    assert_eq!(lost.last().unwrap().state, TaskState::TaskLost as i32);
    until("the agent to exit", DEADLINE, || {
        let exited = cluster.agents[0].exit_code().is_some();
        async move { exited.then_some(()) }
    })
    .await;
    let status = operator(&master, json!({"type": "GET_MAINTENANCE_STATUS"})).await;
    assert_eq!(status["get_maintenance_status"]["status"]["down_machines"], json!([machine]));

    // Up: nothing scheduled any more.
    let up =
        raw_http::request(&master, "POST", "/master/machine/up", &[], json!([machine]).to_string().as_bytes()).await;
    assert_eq!(up.status, 200, "{}", String::from_utf8_lossy(&up.body));
    let status = operator(&master, json!({"type": "GET_MAINTENANCE_STATUS"})).await;
    assert_eq!(status["get_maintenance_status"]["status"], json!({}));

    // A schedule survives a restart of the master.
    let posted =
        raw_http::request(&master, "POST", "/master/maintenance/schedule", &[], schedule.to_string().as_bytes()).await;
    assert_eq!(posted.status, 200, "{}", String::from_utf8_lossy(&posted.body));
    cluster.master.restart(&[]);
    let cluster = &cluster;
    let kept = until("the restarted master's schedule", DEADLINE, || async move {
        let schedule = cluster.get_json("/master/maintenance/schedule").await;
        (!schedule.is_null()).then_some(schedule)
    })
    .await;
    assert_eq!(kept, schedule);
    let refused = raw_http::request(
        &master,
        "POST",
        "/master/machine/up",
        &[],
        b"[{\"hostname\":\"127.0.0.1\",\"ip\":\"127.0.0.1\"}]",
    )
    .await;
    assert_eq!(refused.status, 400, "the machine is draining, not down");
}
