//! What every daemon's `main` does the same way: logging set up from Mesos's
//! `--logging_level`, `--quiet` and `--log_dir`, the runtime it runs on,
//! announcing the port it listens on (`--port_file`), and the logging
//! verbosity operators read and raise for a while
//! (GET_LOGGING_LEVEL, SET_LOGGING_LEVEL, `/logging/toggle`).
//!
//! Log lines are plain text, one per event: timestamp, level, target (the
//! component), message and `key=value` fields. Colour is used only when
//! standard error is a terminal and no `--log_dir` is given, so logs that
//! land in a file or a pipe hold no escape sequences.
//!
//! Verbosity follows glog's numbering, as Mesos reports it: level 0 is the
//! configured `--logging_level`, 1 adds debug messages, 2 and above trace
//! messages. Logging is per process, so a `mesos-local` process shares one
//! level between its master and agents.

use std::future::Future;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::log_file::LogFile;

struct Verbosity {
    base: String,
    handle: reload::Handle<EnvFilter, Registry>,
    level: AtomicU32,
    /// Bumped by every change, so that an expiring change does not undo a
    /// later one.
    generation: AtomicU64,
}

static VERBOSITY: OnceLock<Verbosity> = OnceLock::new();

/// How a daemon logs.
#[derive(Debug, Clone, Copy)]
pub struct Logging<'a> {
    /// Names the log file: `<log_dir>/<program>.INFO`.
    pub program: &'a str,
    /// Mesos's levels (ERROR, WARNING, INFO) or any tracing filter.
    pub level: &'a str,
    /// Nothing to standard error (the log file is still written).
    pub quiet: bool,
    /// Also log to a file in this directory, reopened on SIGHUP.
    pub log_dir: Option<&'a Path>,
}

impl Logging<'_> {
    /// Installs the logger. With a `log_dir` this must run inside a Tokio
    /// runtime (SIGHUP is watched by a task). Fails only when the log file
    /// cannot be created.
    pub fn init(&self) -> std::io::Result<()> {
        let base = match self.level.to_ascii_uppercase().as_str() {
            "INFO" => "info".to_owned(),
            "WARNING" | "WARN" => "warn".to_owned(),
            "ERROR" => "error".to_owned(),
            _ => self.level.to_owned(),
        };
        let file = self.log_dir.map(|dir| LogFile::create(dir, self.program)).transpose()?;
        let colour = use_colour(std::io::stderr().is_terminal(), self.log_dir.is_some());
        let stderr =
            (!self.quiet).then(|| tracing_subscriber::fmt::layer().with_ansi(colour).with_writer(std::io::stderr));
        let to_file = file.clone().map(|file| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(file));
        let (filter, handle) = reload::Layer::new(EnvFilter::new(&base));
        let installed = tracing_subscriber::registry().with(filter).with(stderr).with(to_file).try_init().is_ok();
        if installed {
            let _ = VERBOSITY.set(Verbosity { base, handle, level: AtomicU32::new(0), generation: AtomicU64::new(0) });
            if let Some(file) = file {
                crate::signals::reopen_on_hangup(file);
            }
        }
        Ok(())
    }
}

/// Whether log lines on standard error carry colour: only for a person at
/// a terminal, and never when a log directory is kept.
pub fn use_colour(stderr_is_terminal: bool, log_dir: bool) -> bool {
    stderr_is_terminal && !log_dir
}

/// Runs a daemon's `main` on a multi-threaded Tokio runtime. Once it
/// returns, work still running off the runtime's threads (blocking calls)
/// gets a moment to end and is then left behind, so the process exits in a
/// bounded time.
pub fn block_on<F: Future>(main: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let output = runtime.block_on(main);
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(output)
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

/// Says where a daemon listens once it serves: the log line
/// `<daemon> listening on <ip>:<port>` (INFO), and, with `--port_file`, the
/// bound port in decimal followed by a newline, written to a temporary file
/// beside `port_file` and renamed over it, so that a reader never sees a
/// partial file. With `--port=0` the port is the one the kernel chose.
pub fn announce_listening(
    daemon: &str,
    bound: std::net::SocketAddr,
    port_file: Option<&std::path::Path>,
) -> std::io::Result<()> {
    tracing::info!("{daemon} listening on {bound}");
    let Some(path) = port_file else { return Ok(()) };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = std::path::PathBuf::from(temporary);
    std::fs::write(&temporary, format!("{}\n", bound.port())).and_then(|()| std::fs::rename(&temporary, path)).map_err(
        |error| {
            let _ = std::fs::remove_file(&temporary);
            std::io::Error::new(error.kind(), format!("cannot write --port_file {}: {error}", path.display()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::use_colour;

    #[test]
    fn colour_only_for_a_terminal_without_a_log_directory() {
        assert!(use_colour(true, false));
        assert!(!use_colour(false, false), "a pipe or a file gets plain text");
        assert!(!use_colour(true, true), "never with --log_dir");
        assert!(!use_colour(false, true));
    }
}
