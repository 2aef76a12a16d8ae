//! Bad input gets the right 4xx with a one-line reason, and the master keeps
//! serving everyone else.

use mesos_proto::v1::offer::{Operation, operation};
use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{CommandInfo, OfferId, Resource, TaskId, TaskInfo, TaskState, value};
use mesos_tests::cluster::Cluster;
use mesos_tests::raw_http::post;

use crate::scheduler::{TestScheduler, framework};

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn scalar(name: &str, amount: f64) -> Resource {
    Resource {
        name: name.into(),
        r#type: value::Type::Scalar as i32,
        scalar: Some(value::Scalar { value: amount }),
        ..Default::default()
    }
}

fn task(id: &str, offer: &mesos_proto::v1::Offer, cpus: f64) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: TaskId { value: id.into() },
        agent_id: offer.agent_id.clone(),
        resources: vec![scalar("cpus", cpus), scalar("mem", 32.0)],
        command: Some(CommandInfo { value: Some("sleep 600".into()), ..Default::default() }),
        ..Default::default()
    }
}

fn accept(offers: Vec<OfferId>, tasks: Vec<TaskInfo>) -> Call {
    Call {
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: offers,
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
async fn malformed_requests_are_refused_with_the_right_status() {
    let cluster = Cluster::start(1).await;
    let master = cluster.master_address();
    let path = "/api/v1/scheduler";

    let broken = post(&master, path, &[JSON], b"{\"type\": \"SUBSCRIBE\",").await;
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert!(broken.body.contains("Failed to parse body into JSON"), "{}", broken.body);

    let missing =
        post(&master, path, &[JSON], br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"x"}}}"#).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("Missing required fields: subscribe.framework_info.user"), "{}", missing.body);

    let charset = post(&master, path, &[("Content-Type", "application/json; charset=utf-8")], b"{}").await;
    assert_eq!(charset.status, 415, "{}", charset.body);

    let no_type = post(&master, path, &[], b"{}").await;
    assert_eq!(no_type.status, 400, "{}", no_type.body);

    let not_acceptable = post(&master, path, &[JSON, ("Accept", "text/html")], br#"{"type":"TEARDOWN"}"#).await;
    assert_eq!(not_acceptable.status, 406, "{}", not_acceptable.body);

    let wrong_method = mesos_http::client::Client::new().get(&format!("http://{master}{path}")).await;
    assert_eq!(wrong_method.unwrap_err().status().map(|s| s.as_u16()), Some(405));

    // Stream id rules.
    let mut scheduler = TestScheduler::subscribe(&master, framework("bad-input")).await;
    let body =
        format!(r#"{{"type":"REVIVE","framework_id":{{"value":"{}"}},"revive":{{}}}}"#, scheduler.framework_id.value);
    let no_stream = post(&master, path, &[JSON], body.as_bytes()).await;
    assert_eq!(no_stream.status, 400);
    assert!(no_stream.body.contains("Mesos-Stream-Id"), "{}", no_stream.body);
    let stale = post(&master, path, &[JSON, ("Mesos-Stream-Id", "not-the-stream")], body.as_bytes()).await;
    assert_eq!(stale.status, 400);
    assert!(stale.body.contains("didn't match"), "{}", stale.body);
    let subscribe_with_stream = post(
        &master,
        path,
        &[JSON, ("Mesos-Stream-Id", &scheduler.stream_id)],
        br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}"#,
    )
    .await;
    assert_eq!(subscribe_with_stream.status, 400);

    // Launch errors: more than offered, duplicate task ids, unknown offers.
    let offer = scheduler.offer().await;
    let too_big = scheduler.call(accept(vec![offer.id.clone()], vec![task("big", &offer, 64.0)])).await.unwrap_err();
    assert_eq!(too_big.status().map(|s| s.as_u16()), Some(400));
    assert!(too_big.to_string().contains("more resources"), "{too_big}");
    let error = scheduler.update("big", TaskState::TaskError).await;
    assert_eq!(error.reason, Some(mesos_proto::v1::task_status::Reason::TaskInvalid as i32));

    let twins = scheduler
        .call(accept(vec![offer.id.clone()], vec![task("twin", &offer, 0.1), task("twin", &offer, 0.1)]))
        .await
        .unwrap_err();
    assert_eq!(twins.status().map(|s| s.as_u16()), Some(400));
    assert!(twins.to_string().contains("duplicate ID"), "{twins}");

    let unknown = scheduler
        .call(accept(vec![OfferId { value: "no-such-offer".into() }], vec![task("lost", &offer, 0.1)]))
        .await
        .unwrap_err();
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(400));
    assert!(unknown.to_string().contains("no longer valid"), "{unknown}");
    let lost = scheduler.update("lost", TaskState::TaskLost).await;
    assert_eq!(lost.reason, Some(mesos_proto::v1::task_status::Reason::InvalidOffers as i32));

    let negative = Resource { scalar: Some(value::Scalar { value: -1.0 }), ..scalar("cpus", 0.0) };
    let mut invalid = task("negative", &offer, 0.1);
    invalid.resources = vec![negative];
    let bad_resources = scheduler.call(accept(vec![offer.id.clone()], vec![invalid])).await.unwrap_err();
    assert_eq!(bad_resources.status().map(|s| s.as_u16()), Some(400));

    // Nothing was lost: the offer is still good, and a valid launch works.
    scheduler.call(accept(vec![offer.id.clone()], vec![task("good", &offer, 0.5)])).await.expect("a valid launch");
    scheduler.update("good", TaskState::TaskRunning).await;

    // Everyone else is still served.
    let mut other = TestScheduler::subscribe(&master, framework("other")).await;
    let offer = other.offer().await;
    assert!(!offer.resources.is_empty());
    assert_eq!(cluster.get_json("/master/state").await["frameworks"].as_array().map(Vec::len), Some(2));
}
