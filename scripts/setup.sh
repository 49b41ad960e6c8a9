#!/usr/bin/env bash
# Set up thaigen from nothing on a Debian/Ubuntu machine with Python 3.11+:
#   system libraries (FriBiDi for Pillow's raqm layout; Tesseract Thai comes later), a virtualenv
#   in .venv, and thaigen installed into it (editable). `bash scripts/setup.sh test` adds test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v apt-get >/dev/null && ! ldconfig -p | grep -q libfribidi.so.0; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq libfribidi0 >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extra}"
.venv/bin/python -c "from thaigen.render import require_raqm; require_raqm()"
