#!/usr/bin/env bash
# Starts the Docker Engine for the Docker containerizer's tests when it is
# not answering yet, and waits until it does.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null; then
  echo "dockerd is not installed (scripts/install-test-deps.sh installs docker.io)" >&2
  exit 1
fi
log=/var/log/dockerd.log
[ -w /var/log ] || log=/tmp/dockerd.log
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not answer within 60 seconds; see $log" >&2
exit 1
