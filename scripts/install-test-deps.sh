#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain, when it is
# missing: Python's venv module and headers (to build pymesos's http-parser),
# the archive tools the fetcher calls, ZooKeeper (with Java) for the
# high-availability tests, iproute2 for network namespaces, Chromium with
# its WebDriver for the web UI's browser test, the Docker Engine (Debian's
# docker.io) for the Docker containerizer's tests, and busybox-static to
# build test images locally.
set -euo pipefail

missing=()
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
python3 - <<'PY' 2>/dev/null || missing+=(python3-dev)
import os, sysconfig, sys
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
command -v gcc >/dev/null || missing+=(gcc)
command -v tar >/dev/null || missing+=(tar)
command -v gzip >/dev/null || missing+=(gzip)
command -v unzip >/dev/null || missing+=(unzip)
command -v curl >/dev/null || missing+=(curl)
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v ip >/dev/null || missing+=(iproute2)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v dockerd >/dev/null || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v setsid >/dev/null || missing+=(util-linux)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
