//! The daemons' HTTP server stops in a bounded time with streams, idle
//! keep-alive connections and long polls open.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use mesos_http::serve::Server;
use mesos_http::server::{EventStream, stream_response};
use mesos_proto::ContentType;
use mesos_proto::v1::scheduler::{Event, event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A router whose `/stream` never ends on its own (the stream holds its own
/// sender), whose `/echo` reads a body, and whose `/hold` answers only
/// after an hour (a long poll), saying on `held` that it started.
fn router_with(held: mpsc::Sender<()>) -> Router {
    Router::new()
        .route(
            "/hold",
            get(move || {
                let held = held.clone();
                async move {
                    let _ = held.send(()).await;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }
            }),
        )
        .route(
            "/stream",
            get(|| async {
                let (sender, receiver) = mpsc::channel(16);
                let _ = sender.try_send(Event { r#type: Some(event::Type::Heartbeat as i32), ..Default::default() });
                let body = EventStream::new(receiver, ContentType::Json).on_close(move || drop(sender));
                stream_response(body, None)
            }),
        )
        .route("/echo", post(|body: String| async move { body }))
}

fn router() -> Router {
    router_with(mpsc::channel(1).0)
}

async fn request(port: u16, text: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    stream.write_all(text.as_bytes()).await.expect("write");
    stream
}

/// Reads one answer whose body is `body`, leaving the connection idle.
async fn read_answer(stream: &mut TcpStream, body: &str) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !String::from_utf8_lossy(&received).ends_with(&format!("\r\n\r\n{body}")) {
        let read = stream.read(&mut buffer).await.expect("read");
        assert!(read > 0, "closed before the answer");
        received.extend_from_slice(&buffer[..read]);
    }
}

/// Reads until the peer closes; the text read.
async fn read_to_end(mut stream: TcpStream) -> String {
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text).await;
    String::from_utf8_lossy(&text).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_end_cleanly_and_stuck_connections_are_dropped_at_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (held, mut holding) = mpsc::channel(1);
    let server = Server::start(listener, router_with(held));

    let mut stream = request(port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut first = [0u8; 64];
    let read = stream.read(&mut first).await.expect("the stream's first bytes");
    assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"), "a stream is open");
    let streamed = tokio::spawn(read_to_end(stream));
    // An idle keep-alive connection (answered once, so surely taken by the
    // server), and a long poll whose handler is surely running.
    let mut idle = request(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok").await;
    read_answer(&mut idle, "ok").await;
    let idle = tokio::spawn(read_to_end(idle));
    let stuck = request(port, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n").await;
    holding.recv().await.expect("the long poll's handler started");
    let stuck = tokio::spawn(read_to_end(stuck));

    server.stop_accepting();
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "no new connections once the server stops accepting");

    let started = Instant::now();
    let dropped = server.close(started + Duration::from_secs(2)).await;
    let elapsed = started.elapsed();
    assert_eq!(dropped, 1, "only the long poll was still open at the deadline");
    assert!(elapsed < Duration::from_secs(10), "closed in {elapsed:?}");

    let streamed = streamed.await.expect("stream reader");
    assert!(streamed.ends_with("0\r\n\r\n"), "the stream ended with the last chunk: {streamed:?}");
    assert!(idle.await.expect("idle reader").is_empty(), "the idle keep-alive connection was closed");
    assert!(!stuck.await.expect("stuck reader").contains("200 OK"), "the long poll was dropped unanswered");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_with_nothing_open_closes_at_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = Server::start(listener, router());
    server.stop_accepting();
    let dropped = tokio::time::timeout(Duration::from_secs(10), server.close(Instant::now() + Duration::from_secs(60)))
        .await
        .expect("no wait for the deadline when nothing is open");
    assert_eq!(dropped, 0);
}
