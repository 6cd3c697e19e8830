"""The build: the person-level warehouse made from the night's staging frames, in a private
file moved into place when it is whole (load, then transform).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import cost, filemodes
from pipeline.diagnosis_marts import build_diagnosis_marts, load_nav_staging
from pipeline.errors import UserError
from pipeline.failpoints import crash_point
from pipeline.findings import Finding, findings_frame
from pipeline.follow_up import build_follow_up_marts, load_follow_up_tables
from pipeline.indicators import (
    MANUAL_MEASUREMENTS_COLUMNS,
    evaluate_indicators,
    load_manual_measurements,
)
from pipeline.nav import drop_unknown_scopes, empty_staging_frame
from pipeline.plan import Plan
from pipeline.preflight import no_agresso_files
from pipeline.profile import Profile
from pipeline.reference import empty_reference_frame
from pipeline.run_context import Measure, RunContext, unmeasured
from pipeline.warehouse import (
    INTERNAL_DB,
    connect,
    create_parameters,
    create_staging,
    transform,
)


def building_path(ctx: RunContext) -> Path:
    """The private file the night builds its warehouse in; moved into place when it is whole."""
    return ctx.internal_path.with_name(f".{INTERNAL_DB}.building")


def load_warehouse(
    ctx: RunContext,
    profile: Profile,
    frames: dict[str, pd.DataFrame],
    plan: Plan | None = None,
    measure: Measure = unmeasured,
) -> list[Finding]:
    """Load: the run's parameters and every input table into a new private database file.

    frames holds the Agresso staging frames and, when there are such inputs, the NAV diagnosis
    staging frame ('stg_nav_diagnosis'), the reference series ('reference_series') and the manual
    measurements ('manual_measurements'). Returns the findings made while loading (NAV scopes
    the organisation does not know), for the transform to record beside its own.
    """
    if "stg_absences" not in frames or "stg_employments" not in frames:
        raise no_agresso_files(ctx.raw_dir)
    first_year = min(frames["stg_absences"]["from_date"].min().year, ctx.as_of.year)
    check_report_window(frames["stg_absences"]["from_date"], ctx.as_of)
    tmp = building_path(ctx)
    tmp.unlink(missing_ok=True)
    con = connect(tmp, config=ctx.duckdb_config)
    try:
        with measure("load"):
            create_parameters(
                con, profile, ctx.as_of, ctx.mask_threshold, ctx.municipality_name, first_year
            )
            create_staging(con, frames)
            cost.create_cost_tables(con, cost.load_cost_settings(profile))
            load_follow_up_tables(con, profile, ctx.as_of)
            crash_point("loading", con)
            # NAV's scopes are checked against the organisation as staged (the newest snapshot).
            nav, scope_findings = drop_unknown_scopes(
                frames.get("stg_nav_diagnosis", empty_staging_frame()),
                frames.get("stg_organisation"),
                profile,
            )
            load_nav_staging(con, nav)
            references = frames.get("reference_series", empty_reference_frame())
            con.register("reference_frame", references)
            con.execute("CREATE OR REPLACE TABLE reference_series AS SELECT * FROM reference_frame")
            con.unregister("reference_frame")
            if plan is not None:
                load_manual_measurements(
                    con, frames.get("manual_measurements", empty_manual_frame())
                )
            con.execute("CHECKPOINT")
    finally:
        con.close()
    return scope_findings


def transform_warehouse(
    ctx: RunContext,
    plan: Plan | None = None,
    load_findings: list[Finding] = (),
    measure: Measure = unmeasured,
) -> Path:
    """Transform: every computation (the SQL project) on the loaded file, then move the whole
    warehouse into place. With a plan, indicator_status and plan_report are built."""
    tmp = building_path(ctx)
    con = connect(tmp, config=ctx.duckdb_config)
    try:
        with measure("transform"):
            transform(con)
            cost.add_cost_findings(con)
            add_quality_findings(con, list(load_findings))
            build_diagnosis_marts(con)
            build_follow_up_marts(con)
            if plan is not None:
                as_of_quarter = f"{ctx.as_of.year}K{(ctx.as_of.month - 1) // 3 + 1}"
                evaluate_indicators(con, plan, as_of_quarter, ctx.mask_threshold)
            con.execute("CHECKPOINT")
    finally:
        con.close()
    filemodes.replace(tmp, ctx.internal_path)
    return ctx.internal_path


def build_internal(
    ctx: RunContext,
    profile: Profile,
    frames: dict[str, pd.DataFrame],
    plan: Plan | None = None,
    measure: Measure = unmeasured,
) -> Path:
    """Load, then transform: the person-level warehouse from the staging frames, in one call
    (the tests' and the benchmark's way; the night calls the two stages one by one)."""
    findings = load_warehouse(ctx, profile, frames, plan, measure)
    return transform_warehouse(ctx, plan, findings, measure)


def add_quality_findings(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> None:
    """Findings made in Python while building the warehouse go beside those the SQL found, so
    quality_findings returns them all."""
    if not findings:
        return
    con.register("extra_findings", findings_frame(findings))
    con.execute(
        "INSERT INTO core_quality_findings SELECT source, file, CAST(line AS INTEGER), "
        '"column", severity, rule, message FROM extra_findings'
    )
    con.unregister("extra_findings")


# The period marts keep each person's quarters of presence as one 128-bit pattern
# (pipeline/sql/marts/sick_leave/mart_seqs.sql): 32 years of quarters.
MAX_REPORT_QUARTERS = 128


def _quarter_number(day: dt.date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def check_report_window(absence_starts: pd.Series, as_of: dt.date) -> None:
    """The report runs from the quarter of the first absence up to the as-of date; refuse one
    longer than MAX_REPORT_QUARTERS with a sentence that says what to do."""
    starts = pd.to_datetime(absence_starts.dropna())
    starts = starts[starts <= pd.Timestamp(as_of)]
    if starts.empty:
        return
    first = starts.min().date()
    quarters = _quarter_number(as_of) - _quarter_number(first) + 1
    if quarters > MAX_REPORT_QUARTERS:
        raise UserError(
            f"Fraværsuttrekket går tilbake til {first:%d.%m.%Y}: {quarters} kvartaler fram til "
            f"{as_of:%d.%m.%Y}, men rapportene dekker høyst {MAX_REPORT_QUARTERS} kvartaler "
            f"({MAX_REPORT_QUARTERS // 4} år). Ta ut fravær fra de siste "
            f"{MAX_REPORT_QUARTERS // 4} årene."
        )


def empty_manual_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=list(MANUAL_MEASUREMENTS_COLUMNS))
