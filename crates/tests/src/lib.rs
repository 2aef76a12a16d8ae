//! The harness of the end-to-end tests: real `mesos-master` and
//! `mesos-agent` processes on free loopback ports, each in a temporary
//! directory, stopped (with every executor they started) when dropped.
//! Waiting is always polling with a deadline, never sleeping for a guess.
//!
//! The binaries must be built first (`cargo build --workspace --bins`); the
//! harness finds them beside the test executable's `deps` directory.

pub mod cluster;
pub mod ha;
pub mod images;
pub mod netns;
pub mod raw_http;
pub mod wait;
pub mod webdriver;
pub mod zookeeper;

use std::path::PathBuf;

/// Path of a workspace binary in the same target profile as the tests.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first with `cargo build --workspace --bins`",
        path.display()
    );
    path
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}
