"""Evaluating the gevinstplan in the warehouse: each indicator in each period against its target,
and the quarterly plan report (gevinstrapport).

The plan is loaded into two small tables (plan_indicators, plan_targets); everything else is SQL
in `pipeline/sql/marts/plan/`, run after the engine has built `sick_leave_periods` (and, when
there are NAV and manual figures, `diagnosis_periods` and `manual_measurements`). An indicator
added to plan.yaml becomes a row in indicator_status and plan_report with no code change.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline import sqlproject
from pipeline.plan import Plan
from pipeline.vocabulary import NO_TARGET_TEXT, Quarter, plain_decimal

DEFAULT_MASK_THRESHOLD = 5
# period_1 .. period_10 in plan_report.sql: four quarters, a year, four quarters, year-to-date.
PLAN_REPORT_PERIOD_COLUMNS = 10

# Column name -> type of the tables loaded from Python (the rest is built in SQL).
PLAN_INDICATORS_COLUMNS = {
    "sort_order": "INTEGER",  # the indicator's place in plan.yaml: the report's row order
    "indicator_id": "VARCHAR",
    "name": "VARCHAR",
    "description": "VARCHAR",
    "target_group_id": "VARCHAR",
    "target_group_name": "VARCHAR",
    "benefit_id": "VARCHAR",
    "benefit_name": "VARCHAR",
    "benefit_type": "VARCHAR",
    "benefit_type_label": "VARCHAR",
    "measure": "VARCHAR",
    "diagnosis_group": "VARCHAR",
    "scope_level": "VARCHAR",
    "scope_code": "VARCHAR",
    "direction": "VARCHAR",
    "unit": "VARCHAR",
    "target_text": "VARCHAR",
    "data_source": "VARCHAR",
    "owner": "VARCHAR",
    "baseline_year": "INTEGER",  # measures in kroner: the reduction from this year
    "milestone_id": "VARCHAR",  # follow_up_on_time_pct: the milestone (empty: all of them)
}
# Targets in kroner (one million) need room; values and targets keep one decimal.
PLAN_TARGETS_COLUMNS = {"indicator_id": "VARCHAR", "year": "INTEGER", "target": "DECIMAL(18, 1)"}
MANUAL_MEASUREMENTS_COLUMNS = {
    "indicator_id": "VARCHAR",
    "period_type": "VARCHAR",
    "period": "VARCHAR",
    "value": "DECIMAL(18, 6)",
    "comment": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "INTEGER",
}


def evaluate_indicators(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    as_of_quarter: str,
    mask_threshold: int = DEFAULT_MASK_THRESHOLD,
) -> str:
    """Build plan_indicators, plan_targets, indicator_status and the plan_report view in `con`.

    Periods after `as_of_quarter` are left out. The report is made for the latest complete quarter
    up to the as-of quarter (the as-of quarter itself when none is complete yet); that quarter is
    returned. `mask_threshold` only words the label of masked figures: the masking itself was done
    by the engine that built sick_leave_periods and diagnosis_periods.
    """
    Quarter.parse(as_of_quarter)  # a malformed quarter fails here, before any table is made
    load_plan_tables(con, plan)
    _create_inputs(con, as_of_quarter, mask_threshold)
    sqlproject.run(con, "marts/plan", only={"indicator_status"})
    report_quarter = latest_complete_quarter(con, as_of_quarter)
    create_plan_report(con, report_quarter)
    return report_quarter


def load_plan_tables(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """plan_indicators (one row per indicator, in plan order) and plan_targets (indicator, year,
    target; target NULL when the year is in the plan but its target is not set yet)."""
    groups = {g.id: g for g in plan.target_groups}
    benefits = {b.id: b for b in plan.benefits}
    indicators = pd.DataFrame(
        [
            {
                "sort_order": n,
                "indicator_id": ind.id,
                "name": ind.name,
                "description": ind.description,
                "target_group_id": ind.target_group_id,
                "target_group_name": groups[ind.target_group_id].name,
                "benefit_id": ind.benefit_id,
                "benefit_name": benefits[ind.benefit_id].name,
                "benefit_type": benefits[ind.benefit_id].type,
                "benefit_type_label": benefits[ind.benefit_id].type_label,
                "measure": ind.measure,
                "diagnosis_group": ind.diagnosis_group,
                "scope_level": ind.scope.level,
                "scope_code": ind.scope.code,
                "direction": ind.direction,
                "unit": ind.unit,
                "target_text": target_text(ind.direction, ind.unit, ind.targets),
                "data_source": ind.data_source,
                "owner": ind.owner,
                "baseline_year": ind.baseline_year,
                "milestone_id": ind.milestone,
            }
            for n, ind in enumerate(plan.indicators, start=1)
        ],
        columns=list(PLAN_INDICATORS_COLUMNS),
    )
    targets = pd.DataFrame(
        [
            {
                "indicator_id": ind.id,
                "year": t.year,
                # Text keeps the target exact on its way into DECIMAL.
                "target": None if t.value is None else str(t.value),
            }
            for ind in plan.indicators
            for t in ind.targets
        ],
        columns=list(PLAN_TARGETS_COLUMNS),
    )
    _create_table(con, "plan_indicators", PLAN_INDICATORS_COLUMNS, indicators)
    _create_table(con, "plan_targets", PLAN_TARGETS_COLUMNS, targets)


def load_manual_measurements(con: duckdb.DuckDBPyConnection, measurements: pd.DataFrame) -> None:
    """The manual_measurements table from pipeline.manual's frame (possibly empty)."""
    _create_table(con, "manual_measurements", MANUAL_MEASUREMENTS_COLUMNS, measurements)


def latest_complete_quarter(con: duckdb.DuckDBPyConnection, as_of_quarter: str) -> str:
    """The latest complete quarter in sick_leave_periods up to the as-of quarter, or the as-of
    quarter itself when the data has no complete quarter yet."""
    row = con.execute(
        "SELECT max(period) FROM sick_leave_periods "
        "WHERE period_type = 'quarter' AND is_complete AND period <= ?",
        [as_of_quarter],
    ).fetchall()[0]  # fetched to the end: the connection is used again at once
    return row[0] or as_of_quarter


def plan_report_columns(report_quarter: str) -> list[tuple[str, str, str]]:
    """The report's period columns for a report quarter: (column name, period_type, period).

    For 2014K2: the four quarters of 2013, «Snitt 2013» (the annual figure), 2014K1, 2014K2 and
    «Hittil i år» (year-to-date through 2014K2)."""
    quarter = Quarter.parse(report_quarter)
    previous = quarter.year - 1
    columns = [(q.short_label, "quarter", q.code) for q in Quarter.whole_year(previous)]
    columns.append((f"Snitt {previous}", "year", str(previous)))
    columns += [(q.short_label, "quarter", q.code) for q in quarter.year_so_far()]
    columns.append(("Hittil i år", "year_to_date", report_quarter))
    return columns


def create_plan_report(con: duckdb.DuckDBPyConnection, report_quarter: str) -> None:
    """(Re)create plan_report for a report quarter (pipeline/sql/marts/plan/plan_report.sql),
    then name its period columns after the quarter's (plan_report_columns)."""
    year = Quarter.parse(report_quarter).year
    columns = plan_report_columns(report_quarter)
    frame = pd.DataFrame(
        [(n, name, kind, period) for n, (name, kind, period) in enumerate(columns, start=1)],
        columns=["column_no", "column_name", "period_type", "period"],
    )
    con.register("columns_frame", frame)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE plan_report_columns AS SELECT * FROM columns_frame"
        )
    finally:
        con.unregister("columns_frame")
    sqlproject.set_params(con, report_quarter=report_quarter, report_year=year)
    sqlproject.run(con, "marts/plan", only={"plan_report"})
    for n in range(len(columns) + 1, PLAN_REPORT_PERIOD_COLUMNS + 1):
        con.execute(f"ALTER TABLE plan_report DROP COLUMN period_{n}")
    renames = [(f"period_{n}", name) for n, (name, _, _) in enumerate(columns, start=1)]
    for old, new in [*renames, ("target_of_report_year", f"Mål {year}")]:
        con.execute(f'ALTER TABLE plan_report RENAME COLUMN {old} TO "{new}"')


def target_text(direction: str, unit: str, targets) -> str:
    """The target as the seed writes it beside the indicator, e.g. «maks 6,5 % i 2015»: the latest
    year with a target set, or «mål ikke satt»."""
    set_targets = [t for t in targets if t.value is not None]
    if not set_targets:
        return NO_TARGET_TEXT
    latest = max(set_targets, key=lambda t: t.year)
    word = "maks" if direction == "max" else "minst"
    symbol = "%" if unit == "prosent" else unit
    return f"{word} {plain_decimal(latest.value)} {symbol} i {latest.year}"


def _create_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str], frame: pd.DataFrame
) -> None:
    ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
    if frame.empty:
        return
    present = [c for c in columns if c in frame.columns]
    con.register("incoming_frame", frame[present])
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(present)}) "
            f"SELECT {', '.join(present)} FROM incoming_frame"
        )
    finally:
        con.unregister("incoming_frame")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchone()
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT temporary", [name]
    ).fetchone()
    return row[0] + views[0] > 0


def _create_inputs(con: duckdb.DuckDBPyConnection, as_of_quarter: str, mask_threshold: int) -> None:
    """Temporary views over the optional inputs, empty where the warehouse has none yet, so the
    SQL has one shape whether or not NAV and manual figures have arrived."""
    sqlproject.set_params(con, as_of_quarter=as_of_quarter, mask_threshold=mask_threshold)
    if _table_exists(con, "diagnosis_periods"):
        diagnosis = (
            "SELECT period_type, period, scope_level, scope_code, diagnosis_group, "
            "diagnosis_pct, is_masked FROM diagnosis_periods"
        )
    else:
        diagnosis = (
            "SELECT NULL::VARCHAR AS period_type, NULL::VARCHAR AS period, "
            "NULL::VARCHAR AS scope_level, NULL::VARCHAR AS scope_code, "
            "NULL::VARCHAR AS diagnosis_group, NULL::DECIMAL(5, 1) AS diagnosis_pct, "
            "NULL::BOOLEAN AS is_masked WHERE FALSE"
        )
    if _table_exists(con, "manual_measurements"):
        manual = "SELECT indicator_id, period_type, period, value FROM manual_measurements"
    else:
        manual = (
            "SELECT NULL::VARCHAR AS indicator_id, NULL::VARCHAR AS period_type, "
            "NULL::VARCHAR AS period, NULL::DECIMAL(18, 6) AS value WHERE FALSE"
        )
    if _table_exists(con, "follow_up_periods"):
        follow_up = (
            "SELECT period_type, period, scope_level, scope_code, measure, milestone_id, "
            "value, is_masked FROM follow_up_periods"
        )
    else:
        follow_up = (
            "SELECT NULL::VARCHAR AS period_type, NULL::VARCHAR AS period, "
            "NULL::VARCHAR AS scope_level, NULL::VARCHAR AS scope_code, NULL::VARCHAR AS measure, "
            "NULL::VARCHAR AS milestone_id, NULL::DECIMAL(18, 1) AS value, "
            "NULL::BOOLEAN AS is_masked WHERE FALSE"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW indicator_input_follow_up AS {follow_up}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW indicator_input_diagnosis AS {diagnosis}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW indicator_input_manual AS {manual}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW indicator_input_cost AS {_cost_input(con)}")


# The plan's measures in kroner and the column of sick_leave_cost_periods each reads.
COST_MEASURE_COLUMNS = {
    "sick_leave_cost_kr": "net_cost_kr",
    "substitute_cost_kr": "substitute_pay_kr",
    "refund_gap_kr": "refund_gap_kr",
}


def _cost_input(con: duckdb.DuckDBPyConnection) -> str:
    """The amounts in kroner per period, scope and measure, or no rows before the cost marts
    exist (a warehouse built by hand in a test)."""
    if not _table_exists(con, "sick_leave_cost_periods"):
        return (
            "SELECT NULL::VARCHAR AS period_type, NULL::VARCHAR AS period, "
            "NULL::VARCHAR AS scope_level, NULL::VARCHAR AS scope_code, "
            "NULL::VARCHAR AS measure, NULL::DECIMAL(18, 2) AS amount, "
            "NULL::BOOLEAN AS is_complete, NULL::BOOLEAN AS is_masked WHERE FALSE"
        )
    return " UNION ALL ".join(
        f"SELECT period_type, period, scope_level, scope_code, '{measure}' AS measure, "
        f"{column} AS amount, is_complete, is_masked FROM sick_leave_cost_periods"
        for measure, column in COST_MEASURE_COLUMNS.items()
    )
