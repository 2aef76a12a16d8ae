//! Ports of the processes a test starts, learnt from the processes that
//! bound them: never picked in advance and hoped free. The daemons take
//! `--port=0` and write the port the kernel gave them to `--port_file`;
//! for servers that cannot bind port 0 (ZooKeeper), [`listens_on`] tells
//! whether the process itself holds the port it was given. And a port
//! that refuses connections, held so that nothing else can take it.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use crate::wait::DEADLINE;

/// Waits until the daemon `child` wrote its port to `port_file`; panics
/// with the end of its log if it exits first or takes longer than
/// [`DEADLINE`].
pub async fn from_port_file(child: &mut Child, port_file: &Path, what: &str, log: &Path) -> u16 {
    let start = tokio::time::Instant::now();
    loop {
        // The daemon renames a complete file into place: what is there is whole.
        if let Some(port) = std::fs::read_to_string(port_file).ok().and_then(|text| text.trim().parse().ok()) {
            return port;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before it listened:\n{}", tail(log));
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{what} did not write {} within {DEADLINE:?}:\n{}",
            port_file.display(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether process `pid` has a TCP socket listening on `port` (any
/// address), from `/proc/<pid>/net/tcp{,6}` and the process's descriptors.
pub fn listens_on(pid: u32, port: u16) -> bool {
    let listening: Vec<String> = ["tcp", "tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
        .flat_map(|text| text.lines().skip(1).filter_map(|line| listening_inode(line, port)).collect::<Vec<_>>())
        .collect();
    if listening.is_empty() {
        return false;
    }
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    descriptors.flatten().filter_map(|fd| std::fs::read_link(fd.path()).ok()).any(|target| {
        let target = target.to_string_lossy();
        listening.iter().any(|inode| target == format!("socket:[{inode}]"))
    })
}

/// The socket inode of a `/proc/net/tcp` line listening on `port`.
fn listening_inode(line: &str, port: u16) -> Option<String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let local = fields.get(1)?;
    let state = fields.get(3)?;
    let inode = fields.get(9)?;
    let local_port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
    // State 0A is LISTEN.
    (local_port == port && *state == "0A").then(|| (*inode).to_owned())
}

/// A loopback port on which connections are refused for as long as this
/// value lives: the local end of a connection whose listener is gone. No
/// one listens there, and no one can bind it while the connection holds it.
pub struct RefusedPort {
    pub port: u16,
    _held: (TcpStream, TcpStream),
}

impl RefusedPort {
    pub fn new() -> RefusedPort {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        let client = TcpStream::connect(listener.local_addr().expect("bound")).expect("a loopback connection");
        let (server, _) = listener.accept().expect("the connection accepted");
        let port = client.local_addr().expect("connected").port();
        RefusedPort { port, _held: (client, server) }
    }
}

impl Default for RefusedPort {
    fn default() -> Self {
        RefusedPort::new()
    }
}

/// The last lines of a log file.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
