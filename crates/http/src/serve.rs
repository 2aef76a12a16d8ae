//! A daemon's HTTP server with a stop that takes a bounded time.
//!
//! A plain graceful shutdown waits for every open connection to finish its
//! request, and event streams (scheduler, executor and operator
//! subscriptions) never finish on their own, so a busy daemon would never
//! stop. [`Server`] stops in steps that the daemon orders around its own
//! work: [`Server::stop_accepting`] closes the listening socket at once;
//! [`Server::close`] ends every streaming answer (the client sees its stream
//! end cleanly), lets the other requests in flight finish, closes idle
//! keep-alive connections, and at the deadline drops whatever is still open
//! (a client that sends half a request, a slow reader).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// How far the server is in stopping; only ever moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Serving,
    /// No new connections; open ones are served as usual.
    Draining,
    /// Streams end and connections close once their request is answered.
    Closing,
}

/// A running HTTP server (see the module documentation).
pub struct Server {
    phase: watch::Sender<Phase>,
    open: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `router` on `listener` until told to stop.
    pub fn start(listener: TcpListener, router: Router) -> Server {
        let (phase, watching) = watch::channel(Phase::Serving);
        let cut = watching.clone();
        let router = router.layer(axum::middleware::map_response(move |response: Response| {
            let phase = cut.clone();
            async move { end_streams_when_closing(response, phase) }
        }));
        let open = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(serve(listener, router, watching, open.clone()));
        Server { phase, open, task }
    }

    /// Stops accepting connections: the listening socket closes now.
    pub fn stop_accepting(&self) {
        self.phase.send_if_modified(|phase| advance(phase, Phase::Draining));
    }

    /// Ends every event stream, closes connections as their requests are
    /// answered, and drops those still open at `deadline`. Returns how many
    /// were dropped.
    pub async fn close(self, deadline: Instant) -> usize {
        self.phase.send_if_modified(|phase| advance(phase, Phase::Closing));
        let mut task = self.task;
        match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(_) => 0,
            Err(_) => {
                task.abort();
                let _ = task.await;
                self.open.load(Ordering::SeqCst)
            }
        }
    }
}

fn advance(phase: &mut Phase, to: Phase) -> bool {
    let moved = *phase < to;
    if moved {
        *phase = to;
    }
    moved
}

/// Accepts connections until draining, then waits for the open ones to
/// end. Aborting this task drops every connection.
async fn serve(listener: TcpListener, router: Router, mut phase: watch::Receiver<Phase>, open: Arc<AtomicUsize>) {
    let mut connections = JoinSet::new();
    let mut listener = Some(listener);
    loop {
        let accepting = listener.is_some();
        tokio::select! {
            accepted = accept(listener.as_ref()), if accepting => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    open.fetch_add(1, Ordering::SeqCst);
                    let connection = connection(stream, router.clone(), phase.clone());
                    let open = open.clone();
                    connections.spawn(async move {
                        connection.await;
                        open.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Err(error) => {
                    // Out of file descriptors, most likely: try again once
                    // some are given back.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            changed = phase.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
        let now = *phase.borrow();
        if now >= Phase::Draining {
            listener = None;
        }
        if now == Phase::Closing && connections.is_empty() {
            return;
        }
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(tokio::net::TcpStream, std::net::SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

/// Serves one connection; asks it to close once its request is answered
/// when the server starts closing.
async fn connection(stream: tokio::net::TcpStream, router: Router, mut phase: watch::Receiver<Phase>) {
    let service = TowerToHyperService::new(router);
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut asked = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::trace!(%error, "connection ended with an error");
                }
                return;
            }
            closing = phase.wait_for(|p| *p == Phase::Closing), if !asked => {
                asked = true;
                if closing.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A streaming answer (marked by [`crate::gzip::Streaming`]) ends when the
/// server starts closing; other answers pass unchanged.
fn end_streams_when_closing(response: Response, mut phase: watch::Receiver<Phase>) -> Response {
    if response.extensions().get::<crate::gzip::Streaming>().is_none() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let closing = async move {
        let _ = phase.wait_for(|p| *p == Phase::Closing).await;
    };
    Response::from_parts(parts, Body::from_stream(body.into_data_stream().take_until(closing)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phase_only_moves_forward() {
        let mut phase = Phase::Serving;
        assert!(advance(&mut phase, Phase::Closing));
        assert!(!advance(&mut phase, Phase::Draining));
        assert_eq!(phase, Phase::Closing);
    }
}
