"""The nightly flow: thin Prefect wrappers around the plain steps in pipeline.steps.

Tasks take and return paths and plain data, never database connections (a DuckDB connection
cannot cross tasks). Retries only where a retry can help: a database file briefly locked.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.alerts import alert_failed_run
from flows.operations import fingerprint_inputs, finish_night, unchanged_since_last_run
from pipeline import steps
from pipeline.findings import ERROR, Finding
from pipeline.privacy import load_or_create_key
from pipeline.profile import load_profile


@dataclass
class NightlySummary:
    run_id: str
    as_of: dt.date
    analytics_path: Path
    files_read: int
    files_rejected: int
    rows_loaded: int
    findings: int
    errors: int
    skipped: bool = False  # inputs unchanged since the last publish: nothing read or computed


def retry_only_when_locked(task, task_run, state) -> bool:
    """A locked database file is worth a retry; a bad file or a bug is not."""
    try:
        state.result()
    except Exception as exc:
        return "låst" in str(exc) or "lock" in str(exc).lower()
    return False


@task(name="read-and-validate", task_run_name="read {source}: {path.name}", cache_policy=NO_CACHE)
def read_file(
    path: Path, source: str, profile_path: Path, key: bytes, known_units: set[str] | None
) -> steps.LoadedFile:
    started = time.perf_counter()
    loaded = steps.read_and_validate(path, source, load_profile(profile_path), key, known_units)
    log = get_run_logger()
    if loaded.rejected_reason:
        log.warning("%s rejected: %s", path.name, loaded.rejected_reason)
    else:
        errors = sum(1 for f in loaded.findings if f.severity == ERROR)
        log.info(
            "%s: %d rows read, %d loaded, %d findings (%d errors) in %.2f s",
            path.name,
            loaded.rows_read,
            loaded.rows_loaded,
            len(loaded.findings),
            errors,
            time.perf_counter() - started,
        )
    return loaded


@task(
    name="load-and-transform",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=retry_only_when_locked,
)
def load_and_transform(
    ctx: steps.RunContext, profile_path: Path, loaded: list[steps.LoadedFile]
) -> list[Finding]:
    started = time.perf_counter()
    by_source: dict[str, list[steps.LoadedFile]] = {}
    for lf in loaded:
        by_source.setdefault(lf.source, []).append(lf)
    frames = steps.staging_frames(by_source)
    steps.build_internal(ctx, load_profile(profile_path), frames)
    quality = steps.quality_findings(ctx)
    get_run_logger().info(
        "warehouse built: %s staged rows, %d data-quality findings in %.2f s",
        {k: len(v) for k, v in frames.items()},
        len(quality),
        time.perf_counter() - started,
    )
    return quality


@task(
    name="publish",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=retry_only_when_locked,
)
def publish(ctx: steps.RunContext, findings: list[Finding], loaded: list[steps.LoadedFile]) -> Path:
    started = time.perf_counter()
    path = steps.publish_analytics(ctx, findings, loaded)
    get_run_logger().info("published %s in %.2f s", path, time.perf_counter() - started)
    return path


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
    mask_threshold: int = 5,
    municipality_name: str = "Hele kommunen",
    profile_path: Path | None = None,
    force: bool = False,
) -> NightlySummary:
    """Read every export under raw_dir, validate, load, compute and publish analytics.duckdb."""
    profile = load_profile(profile_path)
    ctx = steps.RunContext(
        Path(raw_dir),
        Path(warehouse_dir),
        as_of or dt.date.today(),
        mask_threshold,
        municipality_name,
    )
    steps.check_directories(ctx.raw_dir, ctx.warehouse_dir)
    fingerprint = fingerprint_inputs(ctx, profile.path)
    if not force and unchanged_since_last_run(ctx, fingerprint):
        summary = NightlySummary(ctx.run_id, ctx.as_of, ctx.analytics_path, 0, 0, 0, 0, 0, True)
        finish_night(ctx, summary, [], [], fingerprint)
        return summary
    key = load_or_create_key()
    files = steps.discover(ctx.raw_dir, profile, steps.AGRESSO_SOURCES)
    loaded: list[steps.LoadedFile] = []
    org = [read_file(p, "organisation", profile.path, key, None) for p in files["organisation"]]
    loaded += org
    units = steps.known_units_from(org)
    for source in ("employments", "absences"):
        loaded += [read_file(p, source, profile.path, key, units) for p in files[source]]
    findings = [f for lf in loaded for f in lf.findings]
    findings += load_and_transform(ctx, profile.path, loaded)
    path = publish(ctx, findings, loaded)
    summary = NightlySummary(
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        analytics_path=path,
        files_read=len(loaded),
        files_rejected=sum(1 for lf in loaded if lf.rejected_reason),
        rows_loaded=sum(lf.rows_loaded for lf in loaded),
        findings=len(findings),
        errors=sum(1 for f in findings if f.severity == ERROR),
    )
    finish_night(ctx, summary, loaded, findings, fingerprint)
    return summary
