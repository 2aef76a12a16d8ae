#!/usr/bin/env bash
# Creates, once, a virtualenv holding the Python client pymesos 0.3.15, which
# the compatibility tests drive unchanged. pymesos needs http-parser 0.9.0,
# whose shipped C file does not compile on Python 3.11: it is regenerated with
# Cython 0.29 (in a separate virtualenv) before installing.
set -euo pipefail
dest="${1:?usage: pymesos-venv.sh DIR}"
if [ -x "$dest/bin/python" ] && "$dest/bin/python" -c "import pymesos" 2>/dev/null; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/cython"
"$work/cython/bin/pip" install --quiet "cython==0.29.37"
(cd "$work" && "$work/cython/bin/pip" download --quiet --no-deps --no-binary :all: http-parser==0.9.0)
tar -C "$work" -xzf "$work/http-parser-0.9.0.tar.gz"
(cd "$work/http-parser-0.9.0" && "$work/cython/bin/cython" http_parser/parser.pyx)
rm -rf "$dest"
python3 -m venv "$dest"
"$dest/bin/pip" install --quiet "$work/http-parser-0.9.0"
"$dest/bin/pip" install --quiet pymesos==0.3.15
"$dest/bin/python" -c "import pymesos, http_parser.parser"
