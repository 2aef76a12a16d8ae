//! Waiting for a condition with a deadline, polling.

use std::future::Future;
use std::time::Duration;

/// How long tests wait for anything on a busy two-core machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it yields a value, or panics with `what` after `deadline`.
pub async fn until<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
