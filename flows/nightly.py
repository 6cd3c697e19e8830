"""The nightly flow: the night's sequence (pipeline.night.run_night) as a Prefect flow.

Each step of the night becomes a task through the stage hook, so the Prefect UI shows one task per
input file, then load, transform, publish and deliver, with the night's log and artifacts.
Tasks take and return paths and plain data, never database connections (a DuckDB connection
cannot cross tasks). Retries only where a retry can help: a database file briefly locked.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import signal
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal

from flows.alerts import alert_failed_run
from flows.artifacts import create_night_artifacts
from pipeline.cli_help import signals_received
from pipeline.night import NightlySummary, run_night

__all__ = ["NightlySummary", "nightly"]

# The night's own log lines (pipeline.night, INFO and up) go into the flow run's log through
# Prefect's handlers (PREFECT_LOGGING_EXTRA_LOGGERS=sickleave, pipeline.settings).
logging.getLogger("sickleave").setLevel(logging.INFO)


def retry_only_when_locked(task, task_run, state) -> bool:
    """A locked database file is worth a retry; a bad file or a bug is not."""
    try:
        state.result()
    except Exception as exc:
        return "låst" in str(exc) or "lock" in str(exc).lower()
    return False


# Prefect options per stage of the night; every stage is a task named after it.
STAGE_OPTIONS = {
    "load": {
        "retries": 2,
        "retry_delay_seconds": [5, 30],
        "retry_condition_fn": retry_only_when_locked,
    },
    "transform": {
        "retries": 2,
        "retry_delay_seconds": [5, 30],
        "retry_condition_fn": retry_only_when_locked,
    },
    "publish": {
        "retries": 3,
        "retry_delay_seconds": [2, 10, 30],
        "retry_condition_fn": retry_only_when_locked,
    },
}


def signals_stay_signals(fn):
    """A signal that lands while DuckDB runs a query comes back as DuckDB's «Query interrupted»
    error, which Prefect would log as a failure with a traceback and which would leave Prefect's
    SIGTERM handling (stop the run, hand the signal on) undone: raise the signal again instead."""

    @functools.wraps(fn)
    def step(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if "Query interrupted" not in str(exc):
                raise
            if signal.SIGINT in signals_received():
                raise KeyboardInterrupt() from exc
            raise TerminationSignal(signal=signal.SIGTERM) from exc

    return step


def as_task(stage: str, fn, *args, label: str | None = None, **kwargs):
    """The stage hook: run one step of the night as a Prefect task."""
    run_name = label or stage
    step = task(
        signals_stay_signals(fn),
        name=stage,
        task_run_name=lambda: run_name,  # a callable: file names may hold braces
        cache_policy=NO_CACHE,
        **STAGE_OPTIONS.get(stage, {}),
    )
    return step(*args, **kwargs)


@flow(
    name="sickleave-nightly",
    log_prints=True,
    on_failure=[alert_failed_run],
    on_crashed=[alert_failed_run],
)
def nightly(
    raw_dir: Path,
    warehouse_dir: Path,
    as_of: dt.date | None = None,
    mask_threshold: int | None = None,
    municipality_name: str | None = None,
    profile_path: Path | None = None,
    plan_path: Path | None = None,
    force: bool = False,
) -> NightlySummary:
    """Read every export under raw_dir, validate, load, compute and publish analytics.duckdb.

    What is not given comes from the settings (pipeline.settings, read once by run_night): the
    masking threshold, the municipality's name, the profile and the plan (plan.yaml; without a
    plan file the indicator tables are simply not built)."""
    return run_night(
        Path(raw_dir),
        Path(warehouse_dir),
        as_of,
        mask_threshold=mask_threshold,
        municipality_name=municipality_name,
        profile_path=profile_path,
        plan_path=plan_path,
        force=force,
        on_stage=as_task,
        artifacts=create_night_artifacts,
    )
