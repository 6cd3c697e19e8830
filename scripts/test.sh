#!/usr/bin/env bash
# The test suite: install the locked environment, check lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
uv run --frozen ruff check pipeline flows tests
exec uv run --frozen pytest "$@"
