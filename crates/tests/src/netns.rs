//! Network namespaces for partition tests: a namespace joined to the host by
//! a veth pair, whose link can be cut and healed. Needs root and iproute2.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A namespace with one veth link to the host.
pub struct NetNs {
    pub name: String,
    /// The host's address on the link.
    pub host_ip: String,
    /// The namespace's address on the link.
    pub inner_ip: String,
    host_if: String,
}

fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().unwrap_or_else(|e| panic!("cannot run ip (iproute2): {e}"));
    assert!(
        output.status.success(),
        "ip {} failed (partition tests need root): {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl NetNs {
    pub fn create() -> NetNs {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = std::process::id() % 10_000;
        let name = format!("mesos-e2e-{id}-{n}");
        let (host_if, inner_if) = (format!("mh{id}x{n}"), format!("mi{id}x{n}"));
        // A /30 per namespace in 10.200/16, from the process id and counter.
        let block = (id * 8 + n) % 16_384;
        let (third, fourth) = (block / 64, (block % 64) * 4);
        let (host_ip, inner_ip) = (format!("10.200.{third}.{}", fourth + 1), format!("10.200.{third}.{}", fourth + 2));
        ip(&["netns", "add", &name]);
        let netns = NetNs {
            name: name.clone(),
            host_ip: host_ip.clone(),
            inner_ip: inner_ip.clone(),
            host_if: host_if.clone(),
        };
        ip(&["link", "add", &host_if, "type", "veth", "peer", "name", &inner_if]);
        ip(&["link", "set", &inner_if, "netns", &name]);
        ip(&["addr", "add", &format!("{host_ip}/30"), "dev", &host_if]);
        ip(&["link", "set", &host_if, "up"]);
        ip(&["netns", "exec", &name, "ip", "addr", "add", &format!("{inner_ip}/30"), "dev", &inner_if]);
        ip(&["netns", "exec", &name, "ip", "link", "set", &inner_if, "up"]);
        ip(&["netns", "exec", &name, "ip", "link", "set", "lo", "up"]);
        netns
    }

    /// Cuts the link: nothing crosses until [`NetNs::heal`].
    pub fn cut(&self) {
        ip(&["link", "set", &self.host_if, "down"]);
    }

    pub fn heal(&self) {
        ip(&["link", "set", &self.host_if, "up"]);
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the veth pair, and with
        // it the host's end.
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
        let _ = Command::new("ip").args(["link", "del", &self.host_if]).output();
    }
}
