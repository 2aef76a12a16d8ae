//! Where the master is: the one place that turns `--master` (or
//! `MESOS_MASTER`) into the address requests go to, following a
//! non-leading master's redirect to the leader.
//!
//! Accepted: `host:port`, `master@host:port`, `http://host:port`, and
//! `zk://host:port[,...]/path` (or `file://` holding one) for the leader
//! that ZooKeeper names.

use std::time::Duration;

use mesos_zk::MasterSource;

use crate::error::CliError;

/// How long to wait for ZooKeeper to name a leader.
const LEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// `host:port` of the master named by `spec`, asking ZooKeeper for the
/// leader when `spec` is a `zk://` or `file://` URL.
pub async fn locate(spec: &str) -> Result<String, CliError> {
    let trimmed = spec.trim();
    if !(trimmed.starts_with("zk://") || trimmed.starts_with("file://")) {
        return resolve(trimmed);
    }
    let source = MasterSource::parse(trimmed).map_err(|error| CliError::Usage(format!("'{trimmed}': {error}")))?;
    mesos_zk::leader_address(&source, LEADER_TIMEOUT).await.ok_or_else(|| {
        CliError::Usage(format!("no leading master found in ZooKeeper at '{trimmed}' within {LEADER_TIMEOUT:?}"))
    })
}

/// The default master, as Mesos's tools have it.
pub const DEFAULT: &str = "127.0.0.1:5050";

/// `host:port` of the master named by a fixed address `spec`.
fn resolve(spec: &str) -> Result<String, CliError> {
    let spec = spec.trim();
    let address =
        spec.strip_prefix("master@").or_else(|| spec.strip_prefix("http://")).unwrap_or(spec).trim_end_matches('/');
    let valid = address.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !valid {
        return Err(CliError::Usage(format!("'{spec}' is not a master address (expected host:port)")));
    }
    Ok(address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(resolve("10.0.0.1:5050").unwrap(), "10.0.0.1:5050");
        assert_eq!(resolve("master@m1:5050").unwrap(), "m1:5050");
        assert_eq!(resolve("http://m1:5050/").unwrap(), "m1:5050");
        assert!(resolve("m1").is_err());
        assert!(resolve(":5050").is_err());
    }
}
