//! Where the master is: the one place that turns `--master` (or
//! `MESOS_MASTER`) into the address requests go to, following a
//! non-leading master's redirect to the leader.
//!
//! Accepted: `host:port`, `master@host:port`, `http://host:port`. A
//! `zk://...` address needs ZooKeeper leader detection, which the client
//! library does not offer yet; it is refused with a clear message.

use crate::error::CliError;

/// The default master, as Mesos's tools have it.
pub const DEFAULT: &str = "127.0.0.1:5050";

/// `host:port` of the master named by `spec`.
pub fn resolve(spec: &str) -> Result<String, CliError> {
    let spec = spec.trim();
    if spec.starts_with("zk://") {
        return Err(CliError::Usage(format!(
            "'{spec}': finding the leading master in ZooKeeper is not supported yet; give the master as host:port"
        )));
    }
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
        assert!(resolve("zk://z1:2181/mesos").is_err());
        assert!(resolve("m1").is_err());
        assert!(resolve(":5050").is_err());
    }
}
