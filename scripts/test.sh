#!/usr/bin/env bash
# Runs the whole test suite: installs missing prerequisites, builds every
# binary, runs every test (unit, property, end-to-end with real processes,
# third-party client compatibility), and runs every benchmark once in test
# mode so none of them rots.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
scripts/start-docker.sh
# Everything the end-to-end tests need is now installed and running: a test
# that finds a prerequisite missing (root, ZooKeeper, Docker, Chromium)
# fails instead of skipping.
export MESOS_TESTS_REQUIRE_ALL=1
cargo build --workspace --bins
cargo test --workspace
# Crash-consistency tests need the fault-injection points compiled in.
cargo test -p mesos-agent --features failpoints --test crash_consistency
cargo bench --workspace -- --test
