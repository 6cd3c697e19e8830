#!/usr/bin/env bash
# The main job on the sample municipality: install, generate the sample exports if data/raw is
# empty, run the night once (in this process; through Prefect when PREFECT_API_URL is set), print
# where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec uv run --frozen sickleave demo "$@"
