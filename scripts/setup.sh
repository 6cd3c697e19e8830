#!/usr/bin/env bash
# Installs exactly the locked environment (uv.lock) into .venv. Needs only Python 3.11 and access
# to the package registry; uv itself is installed with pip when it is not already there.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet "uv==${UV_VERSION}"
fi
# Bytecode is compiled at install time: machines that set PYTHONDONTWRITEBYTECODE=1 (and a service
# account that may not write into the code) would otherwise recompile every import on every run
# (Great Expectations alone: about 12 s of CPU per process instead of 4 s).
uv sync --frozen --quiet --compile-bytecode
# The project's own modules are installed editable, which uv does not compile: compile them too.
.venv/bin/python -m compileall -q -j 0 pipeline flows >/dev/null
