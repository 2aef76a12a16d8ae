#!/usr/bin/env bash
# Builds every binary (release) and starts a local cluster: a master on
# 127.0.0.1:5050 and one agent, in one process (mesos-local). Extra
# arguments go to mesos-local (for example --num_slaves=3).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --workspace --bins
exec target/release/mesos-local "$@"
