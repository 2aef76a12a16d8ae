//! The harness of the end-to-end tests: real `mesos-master` and
//! `mesos-agent` processes on loopback ports they bind themselves
//! (`--port=0`, the port read back from `--port_file`), each in a temporary
//! directory, stopped (with every executor they started) when dropped.
//! Waiting is always polling with a deadline, never sleeping for a guess.
//! Tests that need root, ZooKeeper, Docker or Chromium say so with
//! [`require!`] (see [`prerequisites`]).
//!
//! The binaries must be built first (`cargo build --workspace --bins`); the
//! harness finds them beside the test executable's `deps` directory.

pub mod cluster;
pub mod ha;
pub mod images;
pub mod netns;
pub mod ports;
pub mod prerequisites;
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
