//! End-to-end tests with real processes over loopback sockets. Build the
//! binaries first: `cargo build --workspace --bins`.

mod agent_recovery;
mod backpressure;
mod bad_input;
mod cli;
mod containers;
mod example_framework;
mod execute;
mod failover;
mod health;
mod high_availability;
mod maintenance;
mod operator;
mod partition;
mod ports;
mod pymesos;
mod registry;
mod registry_full_disk;
mod registry_zookeeper;
mod sandbox_gc;
mod scheduler;
mod service;
mod shapes;
mod volumes;
mod webui;
