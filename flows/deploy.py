"""The nightly flow as a scheduled deployment, served by one long-running process.

`serve` rather than a work pool: the pipeline runs on one machine, one run at a time (DuckDB has a
single writer), and `serve` is one process next to the Prefect server: no worker, no work pool,
no image or code storage to install or keep in step. The serve process registers the deployment
with its cron schedule, polls the server and runs each flow run in a child process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.nightly import nightly
from pipeline.errors import UserError
from pipeline.settings import Settings

DEPLOYMENT_NAME = "nightly"
# Prefect's runner asks the server for due runs every 10 s unless told otherwise: a run started
# by hand (prefect deployment run, the UI's «Run») waited up to 10 s before it began. Each poll
# is one small query to the local server. PREFECT_RUNNER_POLL_FREQUENCY, when set, decides.
RUNNER_POLL_SECONDS = 1
FULL_NAME = f"{nightly.name}/{DEPLOYMENT_NAME}"


def nightly_deployment(raw_dir: Path, warehouse_dir: Path, settings: Settings) -> RunnerDeployment:
    """The nightly deployment: cron and time zone from the settings, folders as parameters.

    The module path entrypoint ("flows.nightly.nightly") loads the flow from the installed
    package, whatever the working directory of the serve process.
    """
    return nightly.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(settings.schedule_cron, timezone=settings.schedule_timezone),
        parameters={
            "raw_dir": str(Path(raw_dir).resolve()),
            "warehouse_dir": str(Path(warehouse_dir).resolve()),
            "mask_threshold": settings.mask_threshold,
            "municipality_name": settings.municipality_name,
        },
        description=(
            "Sykefravær: les Agresso-uttrekkene, valider, last inn, beregn og publiser "
            "analytics.duckdb. Hopper over arbeidet når ingenting er endret (force=true tvinger)."
        ),
        tags=["sickleave"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def wait_for_server(api_url: str, timeout_s: float = 180) -> None:
    """Wait until the Prefect server answers: at boot the server migrates its database and may
    need half a minute after the serve process has started."""
    deadline = time.monotonic() + timeout_s
    health = api_url.rstrip("/") + "/health"
    while True:
        try:
            if httpx.get(health, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise UserError(
                f"Prefect-serveren svarer ikke på {api_url} etter {timeout_s:.0f} s. Start den "
                "(prefect server start, eller systemd-tjenesten sickleave-prefect-server) og "
                "sjekk PREFECT_API_URL."
            )
        time.sleep(2)


def serve_nightly(raw_dir: Path, warehouse_dir: Path, settings: Settings, api_url: str) -> None:
    """Register the nightly deployment and run its scheduled runs until stopped (one at a time)."""
    wait_for_server(api_url)
    poll = float(os.environ.get("PREFECT_RUNNER_POLL_FREQUENCY", RUNNER_POLL_SECONDS))
    serve(nightly_deployment(raw_dir, warehouse_dir, settings), limit=1, query_seconds=poll)
