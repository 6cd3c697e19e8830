#!/usr/bin/env bash
# Installs exactly the locked environment (uv.lock) into .venv. Needs only Python 3.11 and access
# to the package registry; uv itself is installed with pip when it is not already there.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet "uv==${UV_VERSION}"
fi
uv sync --frozen --quiet
