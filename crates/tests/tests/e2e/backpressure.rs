//! Backpressure with real processes: an event-stream subscriber that stops
//! reading is disconnected once its backlog is full, and the master's
//! memory stays bounded however much happens meanwhile; other subscribers
//! are unaffected.

use mesos_proto::v1::scheduler::{Call, call};
use mesos_proto::v1::{Label, Labels};
use mesos_tests::cluster::Cluster;
use mesos_tests::wait::{DEADLINE, until};
use tokio::io::AsyncWriteExt;

use crate::scheduler::{TestScheduler, framework};

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// Opens an operator SUBSCRIBE on a socket with a tiny receive buffer, and
/// never reads from it.
async fn stalled_operator(address: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small receive buffer");
    let mut stream = socket.connect(address.parse().expect("address")).await.expect("connected");
    let body = r#"{"type":"SUBSCRIBE"}"#;
    let request = format!(
        "POST /api/v1 HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("request sent");
    stream
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_disconnected_and_memory_stays_bounded() {
    let cluster = Cluster::start_with(&["--event_stream_backlog=16"], 0, &[]).await;
    let address = cluster.master_address();
    let pid = cluster.master.pid().expect("the master runs");
    let _stalled = stalled_operator(&address).await;
    let scheduler = TestScheduler::subscribe(&address, framework("chatty")).await;
    let before = rss_kib(pid);

    // Each update of the framework's info is an operator event carrying
    // it: 400 of 256 KiB would hold ~100 MiB if the stalled stream queued
    // them all.
    let mut info = framework("chatty");
    info.id = Some(scheduler.framework_id.clone());
    for round in 0..400 {
        let label = Label { key: "round".into(), value: Some(format!("{round}:{}", "x".repeat(256 * 1024))) };
        info.labels = Some(Labels { labels: vec![label] });
        let update = Call {
            r#type: Some(call::Type::UpdateFramework as i32),
            update_framework: Some(call::UpdateFramework { framework_info: info.clone(), ..Default::default() }),
            ..Default::default()
        };
        scheduler.call(update).await.expect("UPDATE_FRAMEWORK taken");
    }

    let log = cluster.master.log.clone();
    until("the master to close the stalled stream", DEADLINE, || {
        let log = log.clone();
        async move {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains("an operator stopped reading its event stream").then_some(())
        }
    })
    .await;
    let grown = rss_kib(pid).saturating_sub(before);
    assert!(grown < 48 * 1024, "the master grew by {grown} KiB while a subscriber did not read");

    // The framework, reading its own stream, is still subscribed, and a
    // new operator subscription works.
    let state = cluster.get_json("/master/state").await;
    assert_eq!(state["frameworks"][0]["active"], true, "{}", state["frameworks"]);
    let answer = mesos_tests::raw_http::request(
        &address,
        "POST",
        "/api/v1",
        &[("Content-Type", "application/json"), ("Accept", "application/json")],
        br#"{"type":"GET_HEALTH"}"#,
    )
    .await;
    assert_eq!(answer.status, 200);
}
