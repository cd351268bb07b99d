#!/usr/bin/env bash
# Set up a fresh machine for chartgate: a virtualenv with chartgate + tox, and the pinned
# tools built from Go modules into the cache (~/.cache/chartgate or $CHARTGATE_CACHE).
# Idempotent: a warm machine finishes in seconds. Needs python3 >= 3.11 and go >= 1.24.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null || { echo "bootstrap: Go >= 1.24 is required (pinned tools are built from Go modules)" >&2; exit 2; }
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "bootstrap: Python >= 3.11 is required" >&2; exit 2; }

if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv"
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "bootstrap: installing pinned tools (built once, then cached)"
.venv/bin/chartgate tools install "$@"
