"""The nightly flow: thin Prefect wrappers around the plain steps in pipeline.steps.

Tasks take and return paths and plain data, never database connections (a DuckDB connection
cannot cross tasks). Retries only where a retry can help: a database file briefly locked.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.alerts import alert_failed_run
from flows.operations import fingerprint_inputs, finish_night, unchanged_since_last_run
from pipeline import steps
from pipeline.deliver import write_deliverables
from pipeline.findings import ERROR, Finding
from pipeline.manual import read_manual_measurements
from pipeline.nav import read_nav_folder
from pipeline.plan import load_plan
from pipeline.privacy import open_night_key, record_night_key
from pipeline.profile import load_profile
from pipeline.settings import Settings


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
    reports_dir: Path | None = None  # HR's deliverables (gevinstrapport, CSV, Parquet)
    warnings: list[str] = field(default_factory=list)  # for log, summary and alert (lost key)


FINDINGS_LOGGED_PER_FILE = 20


def retry_only_when_locked(task, task_run, state) -> bool:
    """A locked database file is worth a retry; a bad file or a bug is not."""
    try:
        state.result()
    except Exception as exc:
        return "låst" in str(exc) or "lock" in str(exc).lower()
    return False


@task(name="read-and-validate", task_run_name="read {source}: {path.name}", cache_policy=NO_CACHE)
def read_file(
    path: Path,
    source: str,
    profile_path: Path,
    key: bytes,
    known_units: set[str] | None,
    previous_rows: int | None,
) -> steps.LoadedFile:
    started = time.perf_counter()
    loaded = steps.read_and_validate(
        path, source, load_profile(profile_path), key, known_units, previous_rows
    )
    log = get_run_logger()
    # Each finding in the run's log (values are never in a finding), a screenful per file;
    # the validation report and validation_findings hold them all.
    for finding in loaded.findings[:FINDINGS_LOGGED_PER_FILE]:
        log.warning(
            "%s linje %s, kolonne %s: %s [%s]",
            finding.file,
            finding.line or "-",
            finding.column or "-",
            finding.message,
            finding.rule,
        )
    if len(loaded.findings) > FINDINGS_LOGGED_PER_FILE:
        log.warning(
            "%s: %d funn til, se validering.html",
            path.name,
            len(loaded.findings) - FINDINGS_LOGGED_PER_FILE,
        )
    if loaded.rejected_reason:
        log.warning("%s rejected: %s", path.name, loaded.rejected_reason)
    else:
        errors = sum(1 for f in loaded.findings if f.severity == ERROR)
        log.info(
            "%s: %d rows read, %d passed validation, %d findings (%d errors) in %.2f s",
            path.name,
            loaded.rows_read,
            loaded.rows_loaded,
            len(loaded.findings),
            errors,
            time.perf_counter() - started,
        )
    return loaded


@task(name="read-nav-diagnosis", cache_policy=NO_CACHE)
def read_nav(raw_dir: Path, profile_path: Path) -> tuple:
    """NAV's diagnosis statistics (aggregates only: nothing here is per person)."""
    profile = load_profile(profile_path)
    frame, findings = read_nav_folder(raw_dir / profile.source("nav_diagnosis").folder, profile)
    get_run_logger().info("NAV diagnosis: %d rows, %d findings", len(frame), len(findings))
    return frame, findings


@task(name="read-reference-series", cache_policy=NO_CACHE)
def read_references(raw_dir: Path) -> tuple:
    frame, findings = steps.read_reference_folder(raw_dir / "ssb")
    get_run_logger().info("reference series: %d values, %d findings", len(frame), len(findings))
    return frame, findings


@task(name="read-manual-measurements", cache_policy=NO_CACHE)
def read_manual(raw_dir: Path, plan_path: Path) -> tuple:
    frame, findings = read_manual_measurements(raw_dir / "manual", load_plan(plan_path))
    get_run_logger().info("manual measurements: %d values, %d findings", len(frame), len(findings))
    return frame, findings


@task(
    name="load-and-transform",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=retry_only_when_locked,
)
def load_and_transform(
    ctx: steps.RunContext,
    profile_path: Path,
    plan_path: Path | None,
    loaded: list[steps.LoadedFile],
    extra_frames: dict,
) -> tuple[list[Finding], list[steps.LoadedFile]]:
    started = time.perf_counter()
    profile = load_profile(profile_path)
    by_source: dict[str, list[steps.LoadedFile]] = {}
    for lf in loaded:
        by_source.setdefault(lf.source, []).append(lf)
    frames = {**steps.staging_frames(by_source, profile), **extra_frames}
    plan = load_plan(plan_path) if plan_path else None
    steps.build_internal(ctx, profile, frames, plan)
    quality = steps.quality_findings(ctx)
    get_run_logger().info(
        "warehouse built: %s staged rows, %d data-quality findings in %.2f s",
        {k: len(v) for k, v in frames.items()},
        len(quality),
        time.perf_counter() - started,
    )
    return quality, loaded


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


@task(name="deliver-reports", cache_policy=NO_CACHE)
def deliver(analytics_path: Path, out_dir: Path, municipality: str | None) -> Path:
    """HR's deliverables from the published database: the gevinstrapport (Excel and HTML) for the
    latest complete quarter, CSV and Parquet per mart; the folder is swapped in atomically."""
    started = time.perf_counter()
    result = write_deliverables(analytics_path, out_dir, municipality=municipality)
    get_run_logger().info(
        "reports for %s written to %s in %.2f s",
        result.report_quarter,
        result.out_dir,
        time.perf_counter() - started,
    )
    return result.out_dir


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
    plan_path: Path | None = None,
    force: bool = False,
) -> NightlySummary:
    """Read every export under raw_dir, validate, load, compute and publish analytics.duckdb.

    plan_path defaults to the project's plan.yaml (SICKLEAVE_PLAN_PATH); without a plan file the
    indicator tables are simply not built."""
    profile = load_profile(profile_path)
    if plan_path is None and Settings().plan_path.exists():
        plan_path = Settings().plan_path
    ctx = steps.RunContext(
        Path(raw_dir),
        Path(warehouse_dir),
        as_of or dt.date.today(),
        mask_threshold,
        municipality_name,
    )
    steps.check_directories(ctx.raw_dir, ctx.warehouse_dir)
    for leftover in steps.remove_leftovers(ctx):
        get_run_logger().warning("removed %s, left by an interrupted run", leftover.name)
    night_key = open_night_key(ctx.warehouse_dir)
    warnings = [night_key.warning] if night_key.warning else []
    for warning in warnings:
        get_run_logger().warning(warning)
    key = night_key.key
    fingerprint = fingerprint_inputs(ctx, profile.path)
    if not force and unchanged_since_last_run(ctx, fingerprint):
        summary = NightlySummary(
            ctx.run_id, ctx.as_of, ctx.analytics_path, 0, 0, 0, 0, 0, True, warnings=warnings
        )
        finish_night(ctx, summary, [], [], fingerprint)
        return summary
    previous = steps.previous_load_log(ctx.analytics_path)
    files = steps.discover(ctx.raw_dir, profile, steps.AGRESSO_SOURCES)

    def read_all(source: str, units: set[str] | None) -> list[steps.LoadedFile]:
        return [
            read_file(
                path,
                source,
                profile.path,
                key,
                units,
                steps.previous_export_rows(previous, source, steps.file_digest(path)),
            )
            for path in files[source]
        ]

    loaded = steps.unexpected_files(ctx.raw_dir, profile)
    org = read_all("organisation", None)
    units = steps.known_units_from(org)
    loaded += org + read_all("employments", units) + read_all("absences", units)
    steps.settle_history(loaded, previous, ctx.started_at)
    for lf in loaded:
        if lf.rejected_reason:
            steps.move_rejected(lf, ctx.rejected_dir, ctx.run_id)
    findings = [f for lf in loaded for f in lf.findings]
    nav_frame, nav_findings = read_nav(ctx.raw_dir, profile.path)
    references, reference_findings = read_references(ctx.raw_dir)
    extra = {"stg_nav_diagnosis": nav_frame, "reference_series": references}
    findings += nav_findings + reference_findings
    if plan_path:
        extra["manual_measurements"], manual_findings = read_manual(ctx.raw_dir, plan_path)
        findings += manual_findings
    quality, loaded = load_and_transform(ctx, profile.path, plan_path, loaded, extra)
    findings += quality
    path = publish(ctx, findings, loaded)
    record_night_key(ctx.warehouse_dir, night_key)
    reports_dir = deliver(
        path,
        ctx.warehouse_dir.parent / "reports",
        load_plan(plan_path).municipality if plan_path else None,
    )
    summary = NightlySummary(
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        analytics_path=path,
        files_read=len(loaded),
        files_rejected=sum(1 for lf in loaded if lf.rejected_reason),
        rows_loaded=sum(lf.rows_loaded for lf in loaded),
        findings=len(findings),
        errors=sum(1 for f in findings if f.severity == ERROR),
        reports_dir=reports_dir,
        warnings=warnings,
    )
    finish_night(ctx, summary, loaded, findings, fingerprint)
    return summary
