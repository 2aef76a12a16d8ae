//! Members of the masters' group: the children of the ZooKeeper path whose
//! names end in a ten-digit sequence number. `json.info_` members hold a
//! `MasterInfo` as JSON (what masters write, and what tools read); older
//! `info_` members hold it as binary protobuf, and unlabeled ones a
//! `master@ip:port` pid. The member with the lowest sequence leads.

use std::net::Ipv4Addr;

use mesos_proto::Message;
use mesos_proto::v1::{Address, MasterInfo};

use crate::error::ZkError;

/// The label of members this project writes.
pub const JSON_LABEL: &str = "json.info_";

/// How a member's data is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Protobuf,
    Pid,
}

/// A child of the group path that is a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub sequence: u64,
    pub encoding: Encoding,
}

impl Member {
    /// Reads a child name; `None` for children that are not members.
    pub fn parse(name: &str) -> Option<Member> {
        let (encoding, digits) = if let Some(digits) = name.strip_prefix(JSON_LABEL) {
            (Encoding::Json, digits)
        } else if let Some(digits) = name.strip_prefix("info_") {
            (Encoding::Protobuf, digits)
        } else {
            (Encoding::Pid, name)
        };
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Member { name: name.to_owned(), sequence: digits.parse().ok()?, encoding })
    }
}

/// The leading member among `children`: the lowest sequence.
pub fn leader_of(children: &[String]) -> Option<Member> {
    children.iter().filter_map(|name| Member::parse(name)).min_by_key(|m| m.sequence)
}

/// A master's data as this project writes it: `MasterInfo` in Mesos's JSON.
pub fn encode_master_info(info: &MasterInfo) -> Vec<u8> {
    mesos_proto::json::to_string(info).into_bytes()
}

/// Reads a member's data.
pub fn decode_member(member: &Member, data: &[u8]) -> Result<MasterInfo, ZkError> {
    let bad = |reason: String| ZkError::Member { name: member.name.clone(), reason };
    match member.encoding {
        Encoding::Json => mesos_proto::json::from_slice::<MasterInfo>(data).map_err(|e| bad(e.to_string())),
        Encoding::Protobuf => MasterInfo::decode(data).map_err(|e| bad(e.to_string())),
        Encoding::Pid => {
            let pid = std::str::from_utf8(data).map_err(|e| bad(e.to_string()))?.trim();
            let address = pid.split_once('@').map(|(_, a)| a).ok_or_else(|| bad(format!("'{pid}' is not a pid")))?;
            let (ip, port) = address.rsplit_once(':').ok_or_else(|| bad(format!("'{pid}' has no port")))?;
            let ip: Ipv4Addr = ip.parse().map_err(|_| bad(format!("'{pid}' has no IPv4 address")))?;
            let port: u16 = port.parse().map_err(|_| bad(format!("'{pid}' has no valid port")))?;
            Ok(MasterInfo {
                id: String::new(),
                ip: u32::from_le_bytes(ip.octets()),
                port: u32::from(port),
                pid: Some(pid.to_owned()),
                hostname: Some(ip.to_string()),
                address: Some(Address {
                    hostname: Some(ip.to_string()),
                    ip: Some(ip.to_string()),
                    port: i32::from(port),
                }),
                ..Default::default()
            })
        }
    }
}

/// `host:port` to reach a master: its address's IP (or hostname), else
/// its packed IP, with its port.
pub fn http_address(info: &MasterInfo) -> String {
    let port = info.address.as_ref().map(|a| a.port as u32).filter(|p| *p != 0).unwrap_or(info.port);
    let host = info
        .address
        .as_ref()
        .and_then(|a| a.ip.clone().or_else(|| a.hostname.clone()))
        .unwrap_or_else(|| Ipv4Addr::from(info.ip.to_le_bytes()).to_string());
    format!("{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_sequence_leads_and_other_children_are_ignored() {
        let children: Vec<String> =
            ["json.info_0000000007", "log_replicas", "json.info_0000000003", "info_0000000005", "registry"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let leader = leader_of(&children).unwrap();
        assert_eq!(leader.name, "json.info_0000000003");
        assert_eq!(leader.encoding, Encoding::Json);
        assert!(Member::parse("json.info_12").is_none());
        assert_eq!(Member::parse("0000000001").unwrap().encoding, Encoding::Pid);
    }

    #[test]
    fn every_encoding_reads_back_an_address() {
        let info = MasterInfo {
            id: "m1".into(),
            ip: u32::from_le_bytes([10, 0, 0, 5]),
            port: 5050,
            pid: Some("master@10.0.0.5:5050".into()),
            hostname: Some("m1.example".into()),
            address: Some(Address { hostname: Some("m1.example".into()), ip: Some("10.0.0.5".into()), port: 5050 }),
            ..Default::default()
        };
        let json = Member::parse("json.info_0000000001").unwrap();
        let text = String::from_utf8(encode_master_info(&info)).unwrap();
        assert!(text.contains("\"pid\":\"master@10.0.0.5:5050\"") && text.contains("\"ip\":83886090"), "{text}");
        assert_eq!(decode_member(&json, text.as_bytes()).unwrap(), info);
        let binary = Member::parse("info_0000000002").unwrap();
        assert_eq!(decode_member(&binary, &info.encode_to_vec()).unwrap(), info);
        let pid = Member::parse("0000000003").unwrap();
        assert_eq!(http_address(&decode_member(&pid, b"master@10.0.0.5:5050").unwrap()), "10.0.0.5:5050");
        assert_eq!(http_address(&info), "10.0.0.5:5050");
        assert!(decode_member(&json, b"{not json").is_err());
    }
}
