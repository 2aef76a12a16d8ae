//! Reading a `--master` value into the base URL of a master.

/// Why a master address is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid master '{0}': expected host:port, master@host:port or http://host:port")]
pub struct MasterAddressError(pub String);

/// `http://host:port` for `host:port`, `master@host:port` or `http://host:port`.
pub fn base_url(master: &str) -> Result<String, MasterAddressError> {
    let trimmed = master.trim().trim_end_matches('/');
    let authority =
        trimmed.strip_prefix("http://").or_else(|| trimmed.split_once('@').map(|(_, rest)| rest)).unwrap_or(trimmed);
    let valid = !authority.is_empty()
        && authority.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if valid { Ok(format!("http://{authority}")) } else { Err(MasterAddressError(master.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_values() {
        assert_eq!(base_url("127.0.0.1:5050").unwrap(), "http://127.0.0.1:5050");
        assert_eq!(base_url("master@h:5050").unwrap(), "http://h:5050");
        assert!(base_url("h").is_err());
        assert!(base_url("zk://h:2181/mesos").is_err());
    }
}
