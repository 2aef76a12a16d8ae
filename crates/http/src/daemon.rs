//! What every daemon's `main` does the same way: logging set up from Mesos's
//! `--logging_level` and `--quiet`, and waiting for SIGINT or SIGTERM; and
//! the logging verbosity operators read and raise for a while
//! (GET_LOGGING_LEVEL, SET_LOGGING_LEVEL, `/logging/toggle`).
//!
//! Verbosity follows glog's numbering, as Mesos reports it: level 0 is the
//! configured `--logging_level`, 1 adds debug messages, 2 and above trace
//! messages. Logging is per process, so a `mesos-local` process shares one
//! level between its master and agents.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

struct Verbosity {
    base: String,
    handle: reload::Handle<EnvFilter, Registry>,
    level: AtomicU32,
    /// Bumped by every change, so that an expiring change does not undo a
    /// later one.
    generation: AtomicU64,
}

static VERBOSITY: OnceLock<Verbosity> = OnceLock::new();

/// Logs to standard error at Mesos's levels (ERROR, WARNING, INFO) or any
/// tracing filter; nothing with `quiet`.
pub fn init_logging(level: &str, quiet: bool) {
    let base = match level.to_ascii_uppercase().as_str() {
        _ if quiet => "off".to_owned(),
        "INFO" => "info".to_owned(),
        "WARNING" | "WARN" => "warn".to_owned(),
        "ERROR" => "error".to_owned(),
        _ => level.to_owned(),
    };
    let (filter, handle) = reload::Layer::new(EnvFilter::new(&base));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .try_init()
        .is_ok();
    if installed {
        let _ = VERBOSITY.set(Verbosity { base, handle, level: AtomicU32::new(0), generation: AtomicU64::new(0) });
    }
}

/// The current verbosity level (0 unless raised).
pub fn logging_level() -> u32 {
    VERBOSITY.get().map_or(0, |v| v.level.load(Ordering::SeqCst))
}

/// Sets the verbosity to `level` for `duration`, then back to 0. Must be
/// called within a Tokio runtime (the revert is a timer task).
pub fn set_logging_level(level: u32, duration: Duration) {
    let Some(verbosity) = VERBOSITY.get() else { return };
    let generation = verbosity.generation.fetch_add(1, Ordering::SeqCst) + 1;
    apply(verbosity, level);
    tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        if let Some(verbosity) = VERBOSITY.get()
            && verbosity.generation.load(Ordering::SeqCst) == generation
        {
            apply(verbosity, 0);
        }
    });
}

fn apply(verbosity: &Verbosity, level: u32) {
    let filter = match level {
        0 => verbosity.base.clone(),
        1 => "debug,hyper=info,h2=info".to_owned(),
        _ => "trace".to_owned(),
    };
    if verbosity.handle.reload(EnvFilter::new(filter)).is_ok() {
        verbosity.level.store(level, Ordering::SeqCst);
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
