//! Health checks and generic checks of a task, as the built-in executors
//! run them: COMMAND (exit code), HTTP (status code) and TCP (connection)
//! probes against the task, every `interval_seconds` after `delay_seconds`,
//! each within `timeout_seconds`.
//!
//! [`HealthPolicy`] interprets health results: failures within
//! `grace_period_seconds` of the launch are ignored until the first success;
//! every unhealthy result and the first healthy one after a start or an
//! unhealthy spell are reported; `consecutive_failures` failures in a row
//! mean the task must be killed.

use std::time::Duration;

use mesos_proto::v1::{
    CheckInfo, CheckStatusInfo, CommandInfo, HealthCheck, check_info, check_status_info, health_check,
};
use tokio::sync::mpsc;

/// One kind of probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Command(CommandInfo),
    Http { scheme: String, port: u32, path: String },
    Tcp { port: u32 },
}

/// When and how often to probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub delay: Duration,
    pub interval: Duration,
    pub timeout: Duration,
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A command's exit code (`None` when it could not run or timed out).
    Exited(Option<i32>),
    /// An HTTP status code (`None` when the request failed or timed out).
    Http(Option<u32>),
    /// Whether a TCP connection could be made.
    Tcp(bool),
}

impl Outcome {
    /// Success as health checks define it: exit 0, HTTP 200 to 399, a
    /// connection.
    pub fn healthy(&self) -> bool {
        match self {
            Outcome::Exited(code) => *code == Some(0),
            Outcome::Http(code) => code.is_some_and(|c| (200..400).contains(&c)),
            Outcome::Tcp(connected) => *connected,
        }
    }

    /// The check status a generic check reports.
    pub fn check_status(&self) -> CheckStatusInfo {
        match self {
            Outcome::Exited(code) => CheckStatusInfo {
                r#type: Some(check_info::Type::Command as i32),
                command: Some(check_status_info::Command { exit_code: *code }),
                ..Default::default()
            },
            Outcome::Http(code) => CheckStatusInfo {
                r#type: Some(check_info::Type::Http as i32),
                http: Some(check_status_info::Http { status_code: *code }),
                ..Default::default()
            },
            Outcome::Tcp(connected) => CheckStatusInfo {
                r#type: Some(check_info::Type::Tcp as i32),
                tcp: Some(check_status_info::Tcp { succeeded: Some(*connected) }),
                ..Default::default()
            },
        }
    }
}

fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or(Duration::ZERO)
}

/// The probe and schedule of a health check, if it is one this executor runs.
pub fn health_probe(check: &HealthCheck) -> Option<(Probe, Schedule)> {
    let probe = match health_check::Type::try_from(check.r#type.unwrap_or(0)).ok()? {
        health_check::Type::Command => Probe::Command(check.command.clone()?),
        health_check::Type::Http => {
            let http = check.http.as_ref()?;
            Probe::Http {
                scheme: http.scheme.clone().unwrap_or_else(|| "http".into()),
                port: http.port,
                path: http.path.clone().unwrap_or_else(|| "/".into()),
            }
        }
        health_check::Type::Tcp => Probe::Tcp { port: check.tcp.as_ref()?.port },
        health_check::Type::Unknown => return None,
    };
    let schedule = Schedule {
        delay: seconds(check.delay_seconds()),
        interval: seconds(check.interval_seconds()),
        timeout: seconds(check.timeout_seconds()),
    };
    Some((probe, schedule))
}

/// The probe and schedule of a generic check.
pub fn check_probe(check: &CheckInfo) -> Option<(Probe, Schedule)> {
    let probe = match check_info::Type::try_from(check.r#type.unwrap_or(0)).ok()? {
        check_info::Type::Command => Probe::Command(check.command.as_ref()?.command.clone()),
        check_info::Type::Http => {
            let http = check.http.as_ref()?;
            Probe::Http {
                scheme: "http".into(),
                port: http.port,
                path: http.path.clone().unwrap_or_else(|| "/".into()),
            }
        }
        check_info::Type::Tcp => Probe::Tcp { port: check.tcp.as_ref()?.port },
        check_info::Type::Unknown => return None,
    };
    let schedule = Schedule {
        delay: seconds(check.delay_seconds()),
        interval: seconds(check.interval_seconds()),
        timeout: seconds(check.timeout_seconds()),
    };
    Some((probe, schedule))
}

/// Runs one probe.
pub async fn run_probe(probe: &Probe, timeout: Duration) -> Outcome {
    match probe {
        Probe::Command(command) => {
            let Ok(mut child) = crate::process::spawn(command) else { return Outcome::Exited(None) };
            match tokio::time::timeout(timeout, child.wait()).await {
                Ok(Ok(status)) => Outcome::Exited(status.code()),
                _ => {
                    if let Some(pid) = child.id() {
                        crate::process::signal_group(pid, nix::sys::signal::Signal::SIGKILL);
                    }
                    Outcome::Exited(None)
                }
            }
        }
        Probe::Http { scheme, port, path } => {
            let path = if path.starts_with('/') { path.clone() } else { format!("/{path}") };
            let url = format!("{scheme}://127.0.0.1:{port}{path}");
            let client = mesos_http::client::Client::new().with_timeout(timeout);
            match client.get(&url).await {
                Ok((status, _)) => Outcome::Http(Some(u32::from(status.as_u16()))),
                Err(error) => Outcome::Http(error.status().map(|s| u32::from(s.as_u16()))),
            }
        }
        Probe::Tcp { port } => {
            let connect = tokio::net::TcpStream::connect(("127.0.0.1", *port as u16));
            Outcome::Tcp(matches!(tokio::time::timeout(timeout, connect).await, Ok(Ok(_))))
        }
    }
}

/// Probes forever on `schedule`, sending each outcome tagged with `tag`.
pub async fn probe_loop<T: Clone + Send + 'static>(
    probe: Probe,
    schedule: Schedule,
    tag: T,
    results: mpsc::UnboundedSender<(T, Outcome)>,
) {
    tokio::time::sleep(schedule.delay).await;
    loop {
        let outcome = run_probe(&probe, schedule.timeout).await;
        if results.send((tag.clone(), outcome)).is_err() {
            return;
        }
        tokio::time::sleep(schedule.interval).await;
    }
}

/// What to do after a health result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthVerdict {
    /// Nothing to report.
    Quiet,
    /// Report TASK_RUNNING with `healthy` set to this.
    Report(bool),
    /// Report unhealthy and kill the task.
    Kill,
}

/// Interprets a task's health results.
#[derive(Debug, Clone)]
pub struct HealthPolicy {
    grace_ends: Duration,
    consecutive_failures: u32,
    failures: u32,
    in_grace: bool,
    reported_healthy: bool,
}

impl HealthPolicy {
    /// `elapsed` in [`HealthPolicy::observe`] counts from the task's launch.
    pub fn new(check: &HealthCheck) -> HealthPolicy {
        HealthPolicy {
            grace_ends: seconds(check.grace_period_seconds()),
            consecutive_failures: check.consecutive_failures().max(1),
            failures: 0,
            in_grace: true,
            reported_healthy: false,
        }
    }

    /// Takes a result observed `elapsed` after the launch.
    pub fn observe(&mut self, healthy: bool, elapsed: Duration) -> HealthVerdict {
        if healthy {
            self.in_grace = false;
            self.failures = 0;
            if self.reported_healthy {
                return HealthVerdict::Quiet;
            }
            self.reported_healthy = true;
            return HealthVerdict::Report(true);
        }
        if self.in_grace && elapsed < self.grace_ends {
            return HealthVerdict::Quiet;
        }
        self.failures += 1;
        self.reported_healthy = false;
        if self.failures >= self.consecutive_failures { HealthVerdict::Kill } else { HealthVerdict::Report(false) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(grace: f64, failures: u32) -> HealthCheck {
        HealthCheck { grace_period_seconds: Some(grace), consecutive_failures: Some(failures), ..Default::default() }
    }

    #[test]
    fn failures_within_the_grace_period_are_ignored_until_the_first_success() {
        let mut policy = HealthPolicy::new(&check(10.0, 2));
        let at = Duration::from_secs;
        assert_eq!(policy.observe(false, at(1)), HealthVerdict::Quiet);
        assert_eq!(policy.observe(true, at(2)), HealthVerdict::Report(true));
        assert_eq!(policy.observe(true, at(3)), HealthVerdict::Quiet, "only the first healthy result is reported");
        // The grace period no longer applies after a success.
        assert_eq!(policy.observe(false, at(4)), HealthVerdict::Report(false));
        assert_eq!(policy.observe(true, at(5)), HealthVerdict::Report(true));
        assert_eq!(policy.observe(false, at(6)), HealthVerdict::Report(false));
        assert_eq!(policy.observe(false, at(7)), HealthVerdict::Kill);
    }

    #[test]
    fn failures_after_the_grace_period_count_without_a_success() {
        let mut policy = HealthPolicy::new(&check(2.0, 3));
        let at = Duration::from_secs;
        assert_eq!(policy.observe(false, at(1)), HealthVerdict::Quiet);
        assert_eq!(policy.observe(false, at(3)), HealthVerdict::Report(false));
        assert_eq!(policy.observe(false, at(4)), HealthVerdict::Report(false));
        assert_eq!(policy.observe(false, at(5)), HealthVerdict::Kill);
    }

    #[test]
    fn outcomes_and_check_statuses() {
        assert!(
            Outcome::Exited(Some(0)).healthy()
                && !Outcome::Exited(Some(1)).healthy()
                && !Outcome::Exited(None).healthy()
        );
        assert!(Outcome::Http(Some(302)).healthy() && !Outcome::Http(Some(500)).healthy());
        assert_eq!(Outcome::Tcp(true).check_status().tcp.unwrap().succeeded, Some(true));
    }

    #[tokio::test]
    async fn probes_work_against_real_things() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = u32::from(listener.local_addr().unwrap().port());
        assert_eq!(run_probe(&Probe::Tcp { port }, Duration::from_secs(5)).await, Outcome::Tcp(true));
        drop(listener);
        assert_eq!(run_probe(&Probe::Tcp { port }, Duration::from_secs(5)).await, Outcome::Tcp(false));
        let command = CommandInfo { value: Some("exit 3".into()), ..Default::default() };
        assert_eq!(run_probe(&Probe::Command(command), Duration::from_secs(5)).await, Outcome::Exited(Some(3)));
        let slow = CommandInfo { value: Some("sleep 10".into()), ..Default::default() };
        assert_eq!(run_probe(&Probe::Command(slow), Duration::from_millis(200)).await, Outcome::Exited(None));
    }
}
