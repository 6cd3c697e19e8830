#!/usr/bin/env bash
# The main job on the sample municipality: install, generate the sample exports if data/raw is
# empty, run the nightly flow once through Prefect (no server needed), print where results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec uv run --frozen sickleave demo "$@"
