//! The signals a daemon answers: SIGTERM and SIGINT (Ctrl-C) stop it in a
//! bounded time, and a second one while it stops exits at once; SIGHUP
//! reopens the `--log_dir` file after logrotate moved it.

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::log_file::LogFile;

/// The exit status after a second stop signal: 128 plus the signal's
/// number, as a shell reports a process killed by it.
pub fn forced_exit_status(signal_number: i32) -> i32 {
    128 + signal_number
}

/// Completes on the first SIGTERM or SIGINT. From then on a second one ends
/// the process at once (status 128 + the signal's number), whatever the
/// stop is waiting for. Must run inside a Tokio runtime.
pub async fn shutdown_signal() {
    let (Ok(mut terminate), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::warn!("cannot watch SIGTERM and SIGINT; stopping only on request");
        return std::future::pending().await;
    };
    let first = next_stop(&mut terminate, &mut interrupt).await;
    tracing::info!(signal = name(first), "stopping (a second signal exits at once)");
    tokio::spawn(async move {
        let second = next_stop(&mut terminate, &mut interrupt).await;
        tracing::warn!(signal = name(second), "second stop signal: exiting at once");
        eprintln!("received a second {}: exiting at once", name(second));
        std::process::exit(forced_exit_status(second));
    });
}

/// The number of the next SIGTERM or SIGINT.
async fn next_stop(terminate: &mut Signal, interrupt: &mut Signal) -> i32 {
    tokio::select! {
        _ = terminate.recv() => SignalKind::terminate().as_raw_value(),
        _ = interrupt.recv() => SignalKind::interrupt().as_raw_value(),
    }
}

fn name(number: i32) -> &'static str {
    if number == SignalKind::terminate().as_raw_value() {
        "SIGTERM"
    } else if number == SignalKind::interrupt().as_raw_value() {
        "SIGINT"
    } else {
        "signal"
    }
}

/// Reopens `file` on every SIGHUP, for logrotate. Does nothing outside a
/// Tokio runtime.
pub fn reopen_on_hangup(file: LogFile) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot watch SIGHUP; the log file will not be reopened");
        return;
    };
    runtime.spawn(async move {
        while hangups.recv().await.is_some() {
            match file.reopen() {
                Ok(()) => tracing::info!(path = %file.path().display(), "reopened the log file (SIGHUP)"),
                Err(error) => {
                    tracing::error!(path = %file.path().display(), %error, "cannot reopen the log file; still writing the old one")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forced_exit_reports_the_signal_as_a_shell_does() {
        assert_eq!(forced_exit_status(SignalKind::terminate().as_raw_value()), 143);
        assert_eq!(forced_exit_status(SignalKind::interrupt().as_raw_value()), 130);
    }
}
