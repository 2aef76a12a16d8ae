//! The flags every daemon (master and agent) has alike, with Mesos's names
//! and `MESOS_<NAME>` environment fallbacks: where it listens and what it
//! advertises, how it logs, and how long a stop may take. Each daemon
//! flattens [`DaemonFlags`] into its own flags.

use std::net::IpAddr;
use std::path::PathBuf;

use mesos_flags::MesosDuration;

/// Boolean flags among these, which also accept Mesos's `--no-<name>`.
pub const BOOLEAN_FLAGS: &[&str] = &["hostname_lookup", "quiet"];

#[derive(Debug, Clone, clap::Args)]
#[command(rename_all = "snake_case")]
pub struct DaemonFlags {
    /// IP address to listen on (all interfaces when unset; the advertised
    /// address is then the one the hostname resolves to).
    #[arg(long, env = "MESOS_IP")]
    pub ip: Option<IpAddr>,

    /// Once listening, write the bound port (decimal, then a newline) to this
    /// file, atomically (a temporary file renamed over it): how a supervisor
    /// or test learns the port chosen with --port=0. Not an Apache Mesos flag.
    #[arg(long, env = "MESOS_PORT_FILE")]
    pub port_file: Option<PathBuf>,

    /// IP address advertised to peers (frameworks, agents, masters,
    /// executors) when it differs from the one bound (behind NAT, in
    /// containers).
    #[arg(long, env = "MESOS_ADVERTISE_IP")]
    pub advertise_ip: Option<IpAddr>,

    /// Port advertised to peers.
    #[arg(long, env = "MESOS_ADVERTISE_PORT")]
    pub advertise_port: Option<u16>,

    /// Hostname to advertise (default: this machine's hostname, or its IP
    /// address with --no-hostname_lookup).
    #[arg(long, env = "MESOS_HOSTNAME")]
    pub hostname: Option<String>,

    /// Whether to look up this machine's hostname when --hostname is unset.
    #[arg(long, env = "MESOS_HOSTNAME_LOOKUP", default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub hostname_lookup: bool,

    /// Logging level: ERROR, WARNING, INFO (default) or a tracing filter.
    #[arg(long, env = "MESOS_LOGGING_LEVEL", default_value = "INFO")]
    pub logging_level: String,

    /// Directory for the daemon's log file, `<log_dir>/<program>.INFO`
    /// (besides standard error), reopened on SIGHUP for logrotate. Unset:
    /// nothing is written to disk.
    #[arg(long, env = "MESOS_LOG_DIR")]
    pub log_dir: Option<PathBuf>,

    /// Log nothing to standard error.
    #[arg(long, env = "MESOS_QUIET", default_value_t = false, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub quiet: bool,

    /// Longest a stop on SIGTERM or SIGINT may take: the daemon stops
    /// accepting connections, ends every event stream (peers see their
    /// connection end), makes durable what it was writing, and drops
    /// connections still open after this long. A second signal exits at
    /// once. (An addition of this project.)
    #[arg(long, env = "MESOS_SHUTDOWN_TIMEOUT", default_value = "5secs")]
    pub shutdown_timeout: MesosDuration,
}

impl DaemonFlags {
    /// These flags as `(name, value)` strings, for `/flags` (unset ones
    /// left out).
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let set = [
            ("hostname_lookup", Some(self.hostname_lookup.to_string())),
            ("logging_level", Some(self.logging_level.clone())),
            ("quiet", Some(self.quiet.to_string())),
            ("shutdown_timeout", Some(self.shutdown_timeout.to_string())),
            ("ip", self.ip.map(|v| v.to_string())),
            ("port_file", self.port_file.as_ref().map(|v| v.display().to_string())),
            ("advertise_ip", self.advertise_ip.map(|v| v.to_string())),
            ("advertise_port", self.advertise_port.map(|v| v.to_string())),
            ("hostname", self.hostname.clone()),
            ("log_dir", self.log_dir.as_ref().map(|p| p.display().to_string())),
        ];
        set.into_iter().filter_map(|(name, value)| Some((name.to_owned(), value?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Daemon {
        #[command(flatten)]
        daemon: DaemonFlags,
    }

    #[test]
    fn flattened_flags_keep_mesos_names() {
        let parsed = Daemon::try_parse_from(["d", "--port_file=/run/p", "--hostname_lookup=false", "--log_dir", "/l"])
            .expect("Mesos's snake_case names");
        assert_eq!(parsed.daemon.port_file, Some(PathBuf::from("/run/p")));
        assert!(!parsed.daemon.hostname_lookup);
        let pairs = parsed.daemon.to_pairs();
        assert!(pairs.contains(&("log_dir".to_owned(), "/l".to_owned())), "{pairs:?}");
        assert!(pairs.contains(&("shutdown_timeout".to_owned(), "5secs".to_owned())), "{pairs:?}");
        assert!(Daemon::try_parse_from(["d", "--port-file=/x"]).is_err(), "kebab-case is not a Mesos name");
    }
}
