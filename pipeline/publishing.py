"""Publishing a night: the published database with the run's own tables (load_log,
validation_findings, run_info) and the validation report beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.findings import FINDING_COLUMNS, Finding, findings_frame
from pipeline.run_context import LoadedFile, RunContext
from pipeline.sample_marker import is_sample_data
from pipeline.validation_report import write_validation_report
from pipeline.warehouse import (
    connect,
    publish,
)


def quality_findings(ctx: RunContext) -> list[Finding]:
    con = connect(ctx.internal_path, read_only=True)
    try:
        rows = con.execute(
            f"SELECT {', '.join(chr(34) + c + chr(34) for c in FINDING_COLUMNS)} "
            "FROM core_quality_findings ORDER BY file, line, rule"
        ).fetchall()
    finally:
        con.close()
    return [Finding(*row) for row in rows]


def load_log_frame(ctx: RunContext, loaded: list[LoadedFile]) -> pd.DataFrame:
    rows = []
    for lf in loaded:
        # Every row read and not loaded has an ERROR finding (one finding may stand for many).
        quarantined = lf.rows_read - len(lf.frame) if lf.frame is not None else 0
        rows.append(
            {
                "run_id": ctx.run_id,
                "run_started_at": ctx.started_at.replace(tzinfo=None),
                "as_of": ctx.as_of,
                "source": lf.source,
                "file": lf.path.name,
                "content_sha256": lf.content_sha256,
                "first_seen_at": (lf.first_seen_at or ctx.started_at).replace(tzinfo=None),
                "encoding": lf.encoding,
                "rows_read": lf.rows_read,
                "rows_loaded": lf.rows_loaded,
                "rows_quarantined": quarantined,
                "rows_superseded": lf.rows_superseded,
                "outcome": lf.outcome,
                "reason": lf.rejected_reason,
            }
        )
    return pd.DataFrame(rows)


def findings_table(ctx: RunContext, findings: list[Finding]) -> pd.DataFrame:
    frame = findings_frame(findings)
    frame.insert(0, "run_id", ctx.run_id)
    return frame.astype({"line": "Int64"})


def run_info_frame(ctx: RunContext) -> pd.DataFrame:
    """The published run_info row: what the run was told (as-of, masking threshold, the
    municipality's name) and whether its input is the generator's sample (its marker file in
    the raw folder), so every report made from the database can say so."""
    return pd.DataFrame(
        {
            "run_id": [ctx.run_id],
            "run_started_at": [ctx.started_at.replace(tzinfo=None)],
            "as_of": [ctx.as_of],
            "mask_threshold": [ctx.mask_threshold],
            "municipality_name": [ctx.municipality_name],
            "is_sample_data": [is_sample_data(ctx.raw_dir)],
        }
    )


def publish_analytics(ctx: RunContext, findings: list[Finding], loaded: list[LoadedFile]) -> Path:
    """Publish analytics.duckdb, then the validation report beside it (validering.html)."""
    log = load_log_frame(ctx, loaded)
    table = findings_table(ctx, findings)
    path = publish(
        ctx.internal_path,
        ctx.analytics_path,
        extra_tables={
            "validation_findings": table,
            "load_log": log,
            "run_info": run_info_frame(ctx),
        },
    )
    write_validation_report(ctx.validation_report_path, ctx.run_id, ctx.as_of, log, table)
    return path
