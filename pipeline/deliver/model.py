"""The plan report as the deliverables show it, read from the published analytics.duckdb:
one row per indicator, one column per period heading, each cell's status beside its value;
and the published marts as Arrow tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from ruamel.yaml import YAML

from pipeline.errors import UserError
from pipeline.indicators import plan_report_columns
from pipeline.night_report import run_info
from pipeline.profile import SCHEMAS_DIR
from pipeline.vocabulary import (
    STATUS_WORDS,
    NotAQuarter,
    Quarter,
)

DELIVERABLES_SCHEMA = SCHEMAS_DIR / "deliverables.yaml"
PLAN_SHEET = "Gevinstrapport"
YEAR_TO_DATE = "Hittil i år"
STATUS_YEAR_TO_DATE = "Status hittil i år"
NATIONAL_SOURCE = "SSB 12439"

# Excel's own "good / bad / neutral" colours: fill and text, readable when printed in grey too.
STATUS_COLOURS = {
    "met": ("C6EFCE", "006100"),
    "not_met": ("FFC7CE", "9C0006"),
    "no_target": ("E7E6E6", "3A3A3A"),
}


@dataclass(frozen=True)
class PlanReport:
    """The plan report for one quarter, read from the published tables.

    `values` and `statuses` have one row per indicator (plan order, index indicator_id) and one
    column per period heading of the seed's table ("1. kv. 2013" … "Snitt 2013" … "Hittil i år").
    A value is a Decimal or None; a status is met, not_met, no_target, masked or no_data.
    """

    quarter: str
    is_complete: bool
    municipality: str
    as_of: dt.date | None
    columns: list[tuple[str, str, str]]  # (heading, period_type, period)
    indicators: pd.DataFrame
    values: pd.DataFrame
    statuses: pd.DataFrame
    quarterly: pd.DataFrame  # indicator_id, period, value, target, status: the charts' points
    national: dict[str, float]  # quarter -> SSB's national sick-leave percentage
    is_sample_data: bool = False  # run_info: made from the generator's sample, not real figures
    cost: Any = None  # the cost section (deliver/cost_section.py), None without cost marts

    @property
    def year(self) -> int:
        return Quarter.parse(self.quarter).year

    @property
    def headings(self) -> list[str]:
        """The plan_report table's columns, in its order."""
        return [
            "Indikator-id",
            "Målgruppe",
            "Målindikator",
            "Mål",
            *(name for name, _, _ in self.columns),
            f"Mål {self.year}",
            STATUS_YEAR_TO_DATE,
        ]

    @property
    def chart_quarters(self) -> list[str]:
        return [period for _, period_type, period in self.columns if period_type == "quarter"]


def load_deliverables_spec(path: Path = DELIVERABLES_SCHEMA) -> dict:
    """schemas/deliverables.yaml: the marts delivered, their headings and value labels."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def quarter_label(quarter: str) -> str:
    """'2014K2' -> '2. kv. 2014', the way the report and the seed write a quarter."""
    try:
        return Quarter.parse(quarter).short_label
    except NotAQuarter as error:
        raise UserError(str(error)) from None


def load_plan_report(
    con: duckdb.DuckDBPyConnection, report_quarter: str | None, municipality: str | None = None
) -> PlanReport:
    """The plan report for a quarter (default: the latest complete one) from indicator_status,
    plan_indicators and plan_targets: the same figures as the published plan_report table, with
    each cell's status beside its value so the cell can be coloured."""
    quarters = con.execute(
        "SELECT quarter, is_complete FROM quarters ORDER BY year, quarter_no"
    ).fetchall()
    if not quarters:
        raise UserError(
            "Databasen har ingen kvartaler med fraværsdata ennå; kjør nattjobben med uttrekk først."
        )
    completeness = dict(quarters)
    if report_quarter is None:
        complete = [q for q, is_complete in quarters if is_complete]
        report_quarter = complete[-1] if complete else quarters[-1][0]
    quarter_label(report_quarter)  # a malformed quarter is a sentence, not a traceback
    if report_quarter not in completeness:
        raise UserError(
            f"Kvartalet {report_quarter} finnes ikke i databasen; velg et kvartal fra "
            f"{quarters[0][0]} til {quarters[-1][0]}."
        )
    columns = plan_report_columns(report_quarter)
    year = Quarter.parse(report_quarter).year
    if not _has_tables(con, "plan_indicators", "plan_targets", "indicator_status"):
        # A warehouse built without a plan file: the report has no indicator rows.
        return _plan_report(con, report_quarter, completeness, columns, municipality, None, None)
    indicators = _frame(
        con,
        """
        SELECT i.sort_order, i.indicator_id, i.target_group_name, i.name, i.target_text,
               i.measure, i.scope_level, i.scope_code, i.unit, i.direction,
               t.target AS year_target, s.scope_name
        FROM plan_indicators AS i
        LEFT JOIN plan_targets AS t ON t.indicator_id = i.indicator_id AND t.year = ?
        LEFT JOIN (
            SELECT indicator_id, any_value(scope_name) AS scope_name
            FROM indicator_status GROUP BY indicator_id
        ) AS s ON s.indicator_id = i.indicator_id
        ORDER BY i.sort_order
        """,
        [year],
    )
    status_rows = _frame(
        con,
        "SELECT indicator_id, period_type, period, value, target, status, "
        "status_label AS label FROM indicator_status",
    )
    return _plan_report(
        con, report_quarter, completeness, columns, municipality, indicators, status_rows
    )


_INDICATOR_COLUMNS = [
    "sort_order",
    "indicator_id",
    "target_group_name",
    "name",
    "target_text",
    "measure",
    "scope_level",
    "scope_code",
    "unit",
    "direction",
    "year_target",
    "scope_name",
]
_STATUS_COLUMNS = ["indicator_id", "period_type", "period", "value", "target", "status", "label"]


def _plan_report(
    con: duckdb.DuckDBPyConnection,
    report_quarter: str,
    completeness: dict[str, bool],
    columns: list[tuple[str, str, str]],
    municipality: str | None,
    indicators: pd.DataFrame | None,
    status_rows: pd.DataFrame | None,
) -> PlanReport:
    """Pivot the status rows into the report's cells and gather what the page needs beside them."""
    if indicators is None:
        indicators = pd.DataFrame(columns=_INDICATOR_COLUMNS, dtype=object)
    if status_rows is None:
        status_rows = pd.DataFrame(columns=_STATUS_COLUMNS, dtype=object)
    wanted = pd.DataFrame(columns, columns=["heading", "period_type", "period"])
    cells = wanted.merge(status_rows, on=["period_type", "period"])
    ids = list(indicators["indicator_id"])
    headings = list(wanted["heading"])
    values = _pivot(cells, "value", ids, headings, None)
    statuses = _pivot(cells, "status", ids, headings, "no_data")
    labels = _pivot(cells, "label", ids, headings, STATUS_WORDS["no_data"])
    indicators["ytd_status"] = statuses[YEAR_TO_DATE].to_numpy()
    indicators["ytd_status_label"] = labels[YEAR_TO_DATE].to_numpy()
    chart_quarters = [p for _, t, p in columns if t == "quarter"]
    quarterly = status_rows[
        (status_rows["period_type"] == "quarter") & status_rows["period"].isin(chart_quarters)
    ][["indicator_id", "period", "value", "target", "status"]]
    national = dict(
        con.execute(
            "SELECT quarter, value FROM reference_series WHERE source = ? "
            "AND series = 'sick_leave_pct' AND NOT coalesce(is_subgroup, FALSE) "
            "AND value IS NOT NULL",
            [NATIONAL_SOURCE],
        ).fetchall()
    )
    if municipality is None:
        row = con.execute(
            "SELECT any_value(scope_name) FROM sick_leave_quarterly "
            "WHERE scope_level = 'municipality'"
        ).fetchone()
        municipality = row[0] or "Kommunen"
    as_of = con.execute("SELECT max(as_of) FROM load_log").fetchone()[0]
    _, is_sample_data = run_info(con)
    return PlanReport(
        quarter=report_quarter,
        is_complete=bool(completeness[report_quarter]),
        municipality=municipality,
        as_of=as_of,
        columns=columns,
        indicators=indicators,
        values=values,
        statuses=statuses,
        quarterly=quarterly,
        national=national,
        is_sample_data=is_sample_data,
    )


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = con.execute(
        "SELECT count(DISTINCT table_name) FROM duckdb_tables() WHERE table_name IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [list(names)],
    ).fetchone()[0]
    return found == len(names)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's rows with Python values: DECIMAL stays Decimal (pandas' own conversion would make
    it float and lose the published rounding)."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return pd.DataFrame(result.fetchall(), columns=names).astype(object)


def _pivot(cells: pd.DataFrame, column: str, ids: list, headings: list, missing) -> pd.DataFrame:
    """One cell per indicator and period heading; `missing` where the warehouse has no row."""
    frame = (
        cells.pivot(index="indicator_id", columns="heading", values=column)
        .reindex(index=ids, columns=headings)
        .astype(object)
    )
    return frame.where(frame.notna(), missing)


def fetch_mart(con: duckdb.DuckDBPyConnection, mart: dict, spec: dict) -> pa.Table | None:
    """A published mart as an Arrow table (DECIMAL stays decimal), sorted by its order_by;
    None for an optional mart the database does not have (the plan's, without a plan file)."""
    table = mart["table"]
    present = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]
        ).fetchall()
    }
    if not present and mart.get("optional"):
        return None
    if not present:
        raise UserError(
            f"Databasen mangler tabellen {table}; kjør nattjobben på nytt så den publiseres."
        )
    order = []
    for column in mart.get("order_by", []):
        if column not in present:
            continue
        labels = spec["value_labels"].get(column)
        if labels:
            keys = ", ".join("'" + key.replace("'", "''") + "'" for key in labels)
            order.append(f"list_position([{keys}], {column})")
        order.append(column)
    order_by = f" ORDER BY {', '.join(order)}" if order else ""
    return con.sql(f"SELECT * FROM {table}{order_by}").to_arrow_table()


def present(spec: dict, marts: dict[str, pa.Table]) -> list[dict]:
    """The marts of the spec the database has (the plan's are optional), in the spec's order."""
    return [mart for mart in spec["marts"] if mart["table"] in marts]
