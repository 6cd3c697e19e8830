"""The nightly flow's bookends: before anything is read, decide whether anything changed; after the
publish, leave artifacts, send alerts and record what was published.

A quiet night (inputs byte for byte those of the last publish, database still there) reads
nothing and computes nothing: it logs "ingen endringer" and still leaves a summary artifact.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.alerts import alert_night_warnings, alert_rejected_files
from flows.artifacts import create_night_artifacts
from pipeline import fingerprint as fp
from pipeline import night_report
from pipeline.findings import Finding


@task(name="fingerprint-inputs", cache_policy=NO_CACHE)
def fingerprint_inputs(ctx, profile_path: Path) -> dict[str, Any]:
    """Fingerprint of the night's inputs (raw files, as-of, profile, plan, code, settings)."""
    return fp.input_fingerprint(
        ctx.raw_dir,
        ctx.as_of,
        profile_path,
        settings={
            "mask_threshold": ctx.mask_threshold,
            "municipality_name": ctx.municipality_name,
        },
    )


def unchanged_since_last_run(ctx, fingerprint: dict[str, Any]) -> bool:
    """True (and logged as "ingen endringer") when the last publish saw exactly these inputs."""
    last_run = fp.read_last_run(ctx.warehouse_dir)
    log = get_run_logger()
    if fp.is_unchanged(fingerprint, last_run, ctx.analytics_path):
        log.info(
            "ingen endringer i inndata siden kjøring %s (%d filer): hopper over lesing og "
            "beregning; publiserte tall er uendret.",
            last_run.get("run_id"),
            len(fingerprint["raw_files"]),
        )
        return True
    if last_run and not ctx.analytics_path.is_file():
        log.info("%s mangler: beregner alt på nytt.", ctx.analytics_path.name)
    else:
        log.info(
            "endringer siden forrige kjøring: %s",
            "; ".join(fp.changed_parts(fingerprint, last_run)),
        )
    return False


@task(name="record-publish", cache_policy=NO_CACHE)
def record_publish(
    ctx, summary, fingerprint: dict[str, Any], figures: dict[str, Any] | None
) -> Path:
    """Write last_run.json: the fingerprint of what was just published, its counts and figures."""
    return fp.write_last_run(
        ctx.warehouse_dir,
        {
            "run_id": ctx.run_id,
            "started_at": ctx.started_at.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "as_of": ctx.as_of.isoformat(),
            "summary": {
                "files_read": summary.files_read,
                "files_rejected": summary.files_rejected,
                "rows_loaded": summary.rows_loaded,
                "findings": summary.findings,
                "errors": summary.errors,
            },
            "headline": figures,
            "fingerprint": fingerprint,
        },
    )


def finish_night(
    ctx, summary, loaded: list, findings: list[Finding], fingerprint: dict[str, Any]
) -> None:
    """Artifacts for every night; for a night that published: the rejected-files alert and the
    record that makes the next unchanged night quiet (written last, so it only exists when
    everything before it succeeded)."""
    previous_run = fp.read_last_run(ctx.warehouse_dir)
    figures = (
        night_report.latest_figures(ctx.analytics_path) if ctx.analytics_path.is_file() else None
    )
    rejected = [(lf.path.name, lf.rejected_reason) for lf in loaded if lf.rejected_reason]
    markdown = night_report.summary_markdown(
        night=f"{ctx.started_at.astimezone():%d.%m.%Y}",
        run_id=ctx.run_id,
        as_of=f"{ctx.as_of:%d.%m.%Y}",
        skipped=bool(getattr(summary, "skipped", False)),
        files_read=summary.files_read,
        rejected=rejected,
        rows_loaded=summary.rows_loaded,
        findings=findings,
        current=figures,
        previous=(previous_run or {}).get("headline"),
        previous_run=previous_run,
        warnings=getattr(summary, "warnings", []),
    )
    create_night_artifacts(
        night_report.status_table(figures) if figures else [],
        markdown,
        ctx.analytics_path,
        figures["quarter"] if figures else None,
    )
    if getattr(summary, "warnings", []):
        alert_night_warnings(ctx.as_of, ctx.run_id, summary.warnings)
    if getattr(summary, "skipped", False):
        return
    alert_rejected_files(ctx.as_of, ctx.run_id, rejected, summary.files_read)
    record_publish(ctx, summary, fingerprint, figures)
