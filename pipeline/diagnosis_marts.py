"""The diagnosis marts in DuckDB: NAV's diagnosis figures against the municipality's own possible
workdays (pipeline/sql/marts/diagnosis/), and the staging table they read."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pandas as pd

from pipeline import sqlproject
from pipeline.diagnosis_groups import DiagnosisCatalogue, load_diagnosis_groups
from pipeline.nav import STAGING_COLUMNS

# NAV's and Agresso's doctor-certified lost workdays may differ by this many percent of NAV's
# figure before a quarter is flagged for a person to look at.
RECONCILIATION_THRESHOLD_PCT = Decimal(10)


def load_diagnosis_groups_table(
    con: duckdb.DuckDBPyConnection, catalogue: DiagnosisCatalogue | None = None
) -> None:
    """(Re)create diagnosis_groups: NAV's nine groups with name and ICPC-2 chapters, from the
    catalogue in schemas/ (the one place the names are kept)."""
    catalogue = catalogue or load_diagnosis_groups()
    groups = pd.DataFrame(
        {
            "diagnosis_group": [g.code for g in catalogue.groups],
            "diagnosis_name": [g.name for g in catalogue.groups],
            "icpc2_chapters": [", ".join(g.chapters) for g in catalogue.groups],
            "sort_order": range(1, len(catalogue.groups) + 1),
        }
    )
    con.register("groups_frame", groups)
    try:
        con.execute("CREATE OR REPLACE TABLE diagnosis_groups AS SELECT * FROM groups_frame")
    finally:
        con.unregister("groups_frame")


def load_nav_staging(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """(Re)create stg_nav_diagnosis from the reader's frame: renamed and typed, nothing else."""
    missing = [c for c in STAGING_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"Rammen mangler kolonnene {', '.join(missing)} for stg_nav_diagnosis.")
    con.register("nav_frame", frame[list(STAGING_COLUMNS)])
    try:
        con.execute(
            """
            CREATE OR REPLACE TABLE stg_nav_diagnosis AS
            SELECT
                source_file::VARCHAR AS source_file,
                source_line::INTEGER AS source_line,
                quarter::VARCHAR AS quarter,
                scope_kind::VARCHAR AS scope_kind,
                scope_code::VARCHAR AS scope_code,
                diagnosis_label::VARCHAR AS diagnosis_label,
                diagnosis_group::VARCHAR AS diagnosis_group,
                diagnosis_subgroup::VARCHAR AS diagnosis_subgroup,
                is_subgroup::BOOLEAN AS is_subgroup,
                icpc2_chapter::VARCHAR AS icpc2_chapter,
                lost_workdays::DECIMAL(18, 6) AS lost_workdays,
                cases::BIGINT AS cases,
                is_masked::BOOLEAN AS is_masked
            FROM nav_frame
            """
        )
    finally:
        con.unregister("nav_frame")


def build_diagnosis_marts(
    con: duckdb.DuckDBPyConnection,
    reconciliation_threshold_pct: Decimal | float = RECONCILIATION_THRESHOLD_PCT,
) -> None:
    """Build diagnosis_quarterly, diagnosis_periods and nav_reconciliation in the connection.

    Needs stg_nav_diagnosis, core_units, core_fact_quarter, periods, params (the name of the
    municipality level) and the sick_leave_pct macro;
    creates diagnosis_groups from schemas/diagnosis_groups.yaml first.
    A quarter is flagged in nav_reconciliation when NAV's and Agresso's doctor-certified lost
    workdays differ by more than reconciliation_threshold_pct percent of NAV's figure.
    """
    load_diagnosis_groups_table(con)
    sqlproject.set_params(con, reconciliation_threshold_pct=reconciliation_threshold_pct)
    sqlproject.run(con, "marts/diagnosis")
