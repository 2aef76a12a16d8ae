//! Who this master is: the `MasterInfo` frameworks, agents and ZooKeeper
//! readers see.

use std::net::{IpAddr, Ipv4Addr};

use mesos_proto::v1::{Address, MasterInfo, master_info};

/// The version this project reports, as a plain dotted version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The IPv4 address packed as Mesos packs `MasterInfo.ip`: the address in
/// network byte order read as a little-endian integer (127.0.1.1 is 16842879).
pub fn packed_ip(ip: Ipv4Addr) -> u32 {
    u32::from_le_bytes(ip.octets())
}

/// Builds the MasterInfo for a master reachable at `ip:port` as `hostname`.
pub fn master_info(id: &str, ip: IpAddr, port: u16, hostname: &str) -> MasterInfo {
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
    };
    MasterInfo {
        id: id.to_owned(),
        ip: packed_ip(v4),
        port: u32::from(port),
        pid: Some(format!("master@{ip}:{port}")),
        hostname: Some(hostname.to_owned()),
        version: Some(VERSION.to_owned()),
        address: Some(Address { hostname: Some(hostname.to_owned()), ip: Some(ip.to_string()), port: i32::from(port) }),
        domain: None,
        capabilities: [
            master_info::capability::Type::AgentUpdate,
            master_info::capability::Type::AgentDraining,
            master_info::capability::Type::QuotaV2,
        ]
        .into_iter()
        .map(|t| master_info::Capability { r#type: Some(t as i32) })
        .collect(),
    }
}

/// The address to advertise when the master listens on all interfaces: the
/// one this machine's hostname resolves to, else loopback.
pub fn advertised_ip(bound: IpAddr, hostname: &str) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    use std::net::ToSocketAddrs;
    (hostname, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// This machine's hostname.
pub fn system_hostname() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_is_packed_as_mesos_packs_it() {
        assert_eq!(packed_ip(Ipv4Addr::new(127, 0, 1, 1)), 16_842_879);
        let info = master_info("id", IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)), 5050, "m1");
        assert_eq!(info.pid.as_deref(), Some("master@10.0.0.5:5050"));
        assert_eq!(info.address.unwrap().port, 5050);
        assert_eq!(info.capabilities.len(), 3);
    }
}
