//! Reading a `--master` value: a master's address, or a ZooKeeper URL to
//! follow the leading master.

pub use mesos_zk::MasterSource;

/// Why a master value is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid master '{0}': expected host:port, master@host:port, http://host:port or zk://host:port/path")]
pub struct MasterAddressError(pub String);

/// Where `master` points: `host:port`, `master@host:port`, `http://host:port`,
/// or `zk://...`/`file://...` for the leader in ZooKeeper.
pub fn source(master: &str) -> Result<MasterSource, MasterAddressError> {
    let trimmed = master.trim().trim_end_matches('/');
    if trimmed.starts_with("zk://") || trimmed.starts_with("file://") {
        return MasterSource::parse(trimmed).map_err(|_| MasterAddressError(master.to_owned()));
    }
    let authority =
        trimmed.strip_prefix("http://").or_else(|| trimmed.split_once('@').map(|(_, rest)| rest)).unwrap_or(trimmed);
    let valid = !authority.is_empty()
        && authority.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if valid { Ok(MasterSource::Address(authority.to_owned())) } else { Err(MasterAddressError(master.to_owned())) }
}

/// `http://host:port` for a fixed master address.
pub fn base_url(master: &str) -> Result<String, MasterAddressError> {
    match source(master)? {
        MasterSource::Address(address) => Ok(format!("http://{address}")),
        MasterSource::ZooKeeper(_) => Err(MasterAddressError(master.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_values() {
        assert_eq!(base_url("127.0.0.1:5050").unwrap(), "http://127.0.0.1:5050");
        assert_eq!(base_url("master@h:5050").unwrap(), "http://h:5050");
        assert!(base_url("h").is_err());
        assert!(matches!(source("zk://h:2181/mesos").unwrap(), MasterSource::ZooKeeper(_)));
        assert!(source("zk://h:2181").is_err());
    }
}
