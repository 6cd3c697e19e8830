"""The stages the night calls, each a Prefect task under the flow: read (with validate and
protect) one file, read NAV's, SSB's and the manual inputs, load, transform, publish, deliver
(pipeline.night runs them in order).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pipeline import (
    build,
    discovery,
    intake,
    publishing,
    reference_folder,
    run_context,
    staging,
)
from pipeline.deliver import write_deliverables
from pipeline.findings import ERROR, Finding
from pipeline.manual import read_manual_measurements
from pipeline.nav import read_nav_folder
from pipeline.plan import load_plan

# The same logger as the night's: one log for the whole night.
log = logging.getLogger("sickleave.night")

FINDINGS_LOGGED_PER_FILE = 20


def read_file(
    path: Path,
    source: str,
    profile,
    key: bytes,
    known_units: set[str] | None,
    digest: str | None,
    measure: run_context.Measure = run_context.unmeasured,
) -> run_context.LoadedFile:
    """Read, validate and protect one Agresso file, and log what it gave."""
    started = time.perf_counter()
    loaded = intake.read_and_validate(
        path, source, profile, key, known_units, digest, measure=measure
    )
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
        log.warning("%s avvist: %s", path.name, loaded.rejected_reason)
    else:
        errors = sum(1 for f in loaded.findings if f.severity == ERROR)
        log.info(
            "%s: %d rader lest, %d besto valideringen, %d funn (%d feil) på %.2f s",
            path.name,
            loaded.rows_read,
            loaded.rows_loaded,
            len(loaded.findings),
            errors,
            time.perf_counter() - started,
        )
    return loaded


def read_nav(raw_dir: Path, profile) -> tuple:
    """NAV's diagnosis statistics (aggregates only: nothing here is per person)."""
    frame, findings = read_nav_folder(raw_dir / profile.source("nav_diagnosis").folder, profile)
    log.info("NAV-diagnoser: %d rader, %d funn", len(frame), len(findings))
    return frame, findings


def read_references(raw_dir: Path) -> tuple:
    frame, findings = reference_folder.read_reference_folder(raw_dir / discovery.REFERENCE_FOLDER)
    log.info("referansetall: %d verdier, %d funn", len(frame), len(findings))
    return frame, findings


def read_manual(raw_dir: Path, plan_path: Path, profile) -> tuple:
    frame, findings = read_manual_measurements(
        raw_dir / discovery.MANUAL_FOLDER, load_plan(plan_path), profile.dialect, profile.limits
    )
    log.info("manuelle målinger: %d verdier, %d funn", len(frame), len(findings))
    return frame, findings


def load(
    ctx: run_context.RunContext,
    profile,
    plan_path: Path | None,
    loaded: list[run_context.LoadedFile],
    extra_frames: dict,
    measure: run_context.Measure = run_context.unmeasured,
) -> list[Finding]:
    """Stage the good rows (the replacement rule) and load them, with NAV's, SSB's and the manual
    inputs, into the night's private database file. Returns the findings made while loading."""
    started = time.perf_counter()
    by_source: dict[str, list[run_context.LoadedFile]] = {}
    for lf in loaded:
        by_source.setdefault(lf.source, []).append(lf)
    with measure("load"):
        frames = {**staging.staging_frames(by_source, profile), **extra_frames}
    staged_rows = {k: len(v) for k, v in frames.items()}
    plan = load_plan(plan_path) if plan_path else None
    findings = build.load_warehouse(ctx, profile, frames, plan, measure=measure)
    del frames
    run_context.release_rows(loaded)  # the rows are in the warehouse now
    log.info(
        "lastet inn: %s rader i staging på %.2f s",
        staged_rows,
        time.perf_counter() - started,
    )
    return findings


def transform(
    ctx: run_context.RunContext,
    plan_path: Path | None,
    load_findings: list[Finding],
    measure: run_context.Measure = run_context.unmeasured,
) -> list[Finding]:
    """Compute the person-level warehouse (the SQL project) and return the data-quality findings
    of the load and the transform."""
    started = time.perf_counter()
    plan = load_plan(plan_path) if plan_path else None
    build.transform_warehouse(ctx, plan, load_findings, measure=measure)
    with measure("transform"):
        quality = publishing.quality_findings(ctx)
    log.info(
        "databasen er bygd: %d datakvalitetsfunn på %.2f s",
        len(quality),
        time.perf_counter() - started,
    )
    return quality


def publish(ctx: run_context.RunContext, findings: list[Finding], loaded: list) -> Path:
    started = time.perf_counter()
    path = publishing.publish_analytics(ctx, findings, loaded)
    log.info("publisert %s på %.2f s", path, time.perf_counter() - started)
    return path


def deliver(analytics_path: Path, out_dir: Path, municipality: str | None) -> Path:
    """HR's deliverables from the published database: the gevinstrapport (Excel and HTML) for the
    latest complete quarter, CSV and Parquet per mart; the folder is swapped in atomically."""
    started = time.perf_counter()
    result = write_deliverables(analytics_path, out_dir, municipality=municipality)
    log.info(
        "rapporter for %s skrevet til %s på %.2f s",
        result.report_quarter,
        result.out_dir,
        time.perf_counter() - started,
    )
    return result.out_dir
