//! Compiles the `.proto` files under `proto/` with the pure-Rust `protox`
//! compiler (no system `protoc`), writes the descriptor set used by the JSON
//! mapping, and generates the Rust types with `prost-build`.

use std::path::PathBuf;

const FILES: &[&str] = &[
    "mesos/v1/mesos.proto",
    "mesos/v1/scheduler.proto",
    "mesos/v1/executor.proto",
    "mesos/v1/allocator.proto",
    "mesos/v1/maintenance.proto",
    "mesos/v1/quota.proto",
    "mesos/v1/master.proto",
    "mesos/v1/agent.proto",
    "mesos/internal/agent_protocol.proto",
    "mesos/internal/checkpoint.proto",
    "mesos/internal/registry.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let file_descriptors = protox::compile(FILES, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("descriptors.bin"), prost::Message::encode_to_vec(&file_descriptors))?;
    let mut config = prost_build::Config::new();
    config.enable_type_names();
    // Ordered maps keep JSON output deterministic.
    config.btree_map(["."]);
    config.compile_fds(file_descriptors)?;
    Ok(())
}
