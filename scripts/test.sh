#!/usr/bin/env bash
# The test suite: install the locked environment (and Chromium for the report's browser check),
# check lint, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium (Debian package) for the browser check of the HTML report..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "Chromium is not installed: the browser check of the HTML report will be skipped." >&2
  fi
fi
uv run --frozen ruff check pipeline flows tests
exec uv run --frozen pytest "$@"
