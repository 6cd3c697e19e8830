"""What HR reads, made from the published analytics.duckdb: the quarterly plan report
(gevinstrapport) as an Excel workbook and as a self-contained HTML page with charts, and every mart
as CSV in the Norwegian Excel dialect and as Parquet.

Everything is built in a temporary directory beside the output directory and swapped in with two
renames, so a run that fails or is killed leaves the previous deliverables as they were; the next
run puts back or removes whatever a killed run left behind. Nothing here is per person: the
published database holds only aggregated, masked figures, and masked figures stay masked ("skjult",
never 0).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import html
import io
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from ruamel.yaml import YAML

from pipeline import filemodes
from pipeline.errors import UserError
from pipeline.failpoints import crash_point
from pipeline.headline import norwegian_number
from pipeline.indicators import plan_report_columns
from pipeline.night_report import run_info
from pipeline.profile import SCHEMAS_DIR
from pipeline.sample_marker import SAMPLE_NOTICE
from pipeline.warehouse import connect, sql_literal

DELIVERABLES_SCHEMA = SCHEMAS_DIR / "deliverables.yaml"
PLAN_SHEET = "Gevinstrapport"
YEAR_TO_DATE = "Hittil i år"
STATUS_YEAR_TO_DATE = "Status hittil i år"
MASKED_TEXT = "skjult"
NO_DATA_TEXT = "–"
NATIONAL_SOURCE = "SSB 12439"

# Excel's own "good / bad / neutral" colours: fill and text, readable when printed in grey too.
STATUS_COLOURS = {
    "met": ("C6EFCE", "006100"),
    "not_met": ("FFC7CE", "9C0006"),
    "no_target": ("E7E6E6", "3A3A3A"),
}
STATUS_WORDS = {
    "met": "Nådd",
    "not_met": "Ikke nådd",
    "no_target": "Mål ikke satt",
    "masked": "Skjult",
    "no_data": "Ingen data",
}
GAP_WORDS = {"masked": MASKED_TEXT, "no_data": "ingen data"}
# Excel writes its format codes with '.' and ','; a Norwegian Excel shows them as "1 234,5".
ONE_DECIMAL = "#,##0.0"
INTEGER = "#,##0"
DATE = "DD.MM.YYYY"

# OWASP's CSV-injection rule: Excel reads a field that starts with one of these as a formula
# (tab and carriage return too, as it skips them first). Unit, sector and indicator names come
# from the organisation export and the plan, so any text HR opens may start so.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_QUARTER = re.compile(r"^(?P<year>[0-9]{4})K(?P<quarter>[1-4])$")
_FILE_NAMES = re.compile(r"^gevinstrapport_[0-9]{4}K[1-4]\.(xlsx|html)$")
_FOLDERS = ("csv", "parquet")
# Lock files Excel and LibreOffice leave beside a workbook someone has open: not ours, not foreign.
_OFFICE_LOCKS = re.compile(r"^(~\$|\.~lock\.)")


@dataclass(frozen=True)
class Deliverables:
    """Where the files of one run are (all inside `out_dir`)."""

    out_dir: Path
    report_quarter: str
    workbook: Path
    html: Path
    csv: dict[str, Path]  # table name -> file
    parquet: dict[str, Path]

    def paths(self) -> list[Path]:
        return [self.workbook, self.html, *self.csv.values(), *self.parquet.values()]


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

    @property
    def year(self) -> int:
        return int(self.quarter[:4])

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


def write_deliverables(
    analytics_path: Path,
    out_dir: Path,
    report_quarter: str | None = None,
    municipality: str | None = None,
) -> Deliverables:
    """Write the plan report (Excel and HTML) for `report_quarter` and every mart as CSV and
    Parquet into `out_dir`, replacing the previous deliverables in one swap.

    `report_quarter` defaults to the latest complete quarter in the `quarters` table;
    `municipality` (the title of the report, e.g. the plan's «Andebu kommune») defaults to the
    name the database gives the municipality level. Reports of other quarters already in
    `out_dir` are kept. Raises UserError when the database is missing, the quarter unknown or
    `out_dir` holds files that are not deliverables.
    """
    analytics_path = Path(analytics_path)
    out_dir = Path(out_dir).absolute()
    if not analytics_path.is_file():
        raise UserError(
            f"Fant ikke {analytics_path}; kjør 'sickleave run' (eller 'sickleave demo') først."
        )
    spec = load_deliverables_spec()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(out_dir):
        _recover(out_dir)
        _refuse_foreign_files(out_dir)
        con = connect(analytics_path, read_only=True)
        try:
            report = load_plan_report(con, report_quarter, municipality)
            fetched = {mart["table"]: fetch_mart(con, mart, spec) for mart in spec["marts"]}
        finally:
            con.close()
        marts = {name: table for name, table in fetched.items() if table is not None}
        staging = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        try:
            built = _layout(staging, report.quarter, spec, marts)
            write_workbook(built.workbook, report, marts, spec)
            built.html.write_text(render_report_html(report), encoding="utf-8")
            for mart in _present(spec, marts):
                table = marts[mart["table"]]
                write_csv(built.csv[mart["table"]], table, mart, spec["value_labels"])
                built.parquet[mart["table"]].parent.mkdir(exist_ok=True)
                pq.write_table(table, built.parquet[mart["table"]])
            _carry_over_reports(out_dir, staging, report.quarter)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("deliverables_built")
        # HR's group reads the reports (files 0640, folders 0750), or only the owner without one.
        filemodes.set_tree_mode(staging, shared=True)
        _swap_in(staging, out_dir)
    return _layout(out_dir, report.quarter, spec, marts)


def load_deliverables_spec(path: Path = DELIVERABLES_SCHEMA) -> dict:
    """schemas/deliverables.yaml: the marts delivered, their headings and value labels."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def quarter_label(quarter: str) -> str:
    """'2014K2' -> '2. kv. 2014', the way the report and the seed write a quarter."""
    match = _QUARTER.match(str(quarter))
    if not match:
        raise UserError(f"«{quarter}» er ikke et kvartal; skriv det som 2014K2.")
    return f"{match['quarter']}. kv. {match['year']}"


# --- reading the published tables -----------------------------------------------------------


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
    year = int(report_quarter[:4])
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


# --- Excel ------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_GAP_FONT = Font(italic=True, color="767676")
_NOTE_FONT = Font(italic=True, bold=True, color="9C0006")


def write_workbook(path: Path, report: PlanReport, marts: dict[str, pa.Table], spec: dict) -> None:
    """The workbook: the plan report first, then one sheet per mart (see sheet_rows)."""
    workbook = Workbook()
    _write_plan_sheet(workbook.active, report)
    if report.is_sample_data:
        _sample_banner(workbook.active)
    for mart in _present(spec, marts):
        sheet = workbook.create_sheet(mart["sheet"])
        table, note = sheet_rows(marts[mart["table"]], mart, spec)
        _write_mart_sheet(sheet, table, mart, spec["value_labels"], note)
    workbook.save(path)


def sheet_rows(table: pa.Table, mart: dict, spec: dict) -> tuple[pa.Table, str | None]:
    """The rows of a mart's Excel sheet and, when some are left out, the sentence that says so.

    Up to `excel_max_rows` rows, all of them. Beyond, whole scope levels in HR's order (hele
    kommunen, sektor, enhet, virksomhet) while they fit, never part of a level; a mart without
    levels (or whose first level alone is too long) gets its first rows."""
    limit = int(spec["excel_max_rows"])
    if table.num_rows <= limit:
        return table, None
    kept = table.slice(0, limit)
    if "scope_level" in table.column_names:
        counts = {
            row["values"]: row["counts"]
            for row in pc.value_counts(table.column("scope_level")).to_pylist()
        }
        levels, total = [], 0
        for level in spec["value_labels"]["scope_level"]:
            if total + counts.get(level, 0) > limit:
                break
            levels.append(level)
            total += counts.get(level, 0)
        if total:
            mask = pc.is_in(table.column("scope_level"), value_set=pa.array(levels, pa.string()))
            kept = table.filter(mask)
    csv_name = f"csv/{mart['file']}.csv"
    note = (
        f"Arket viser {norwegian_number(kept.num_rows, 0)} av "
        f"{norwegian_number(table.num_rows, 0)} rader"
    )
    if kept.num_rows and "scope_level" in table.column_names:
        labels = spec["value_labels"]["scope_level"]
        shown = [labels.get(x, x) for x in pc.unique(kept.column("scope_level")).to_pylist()]
        names = " og ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)
        note += f" (nivå: {names})"
    note += f". Alle radene ligger i {csv_name} (åpnes i Excel) og parquet/{mart['file']}.parquet."
    return kept, note


def _write_plan_sheet(ws: Worksheet, report: PlanReport) -> None:
    ws.title = PLAN_SHEET
    headings = report.headings
    period_headings = [name for name, _, _ in report.columns]
    ws.append(headings)
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    target_heading = f"Mål {report.year}"
    for row_no, ind in enumerate(report.indicators.itertuples(index=False), start=2):
        texts = [ind.indicator_id, ind.target_group_name, ind.name, ind.target_text]
        for col_no, text in enumerate(texts, start=1):
            cell = ws.cell(row=row_no, column=col_no, value=text)
            cell.alignment = Alignment(vertical="top", wrap_text=col_no in (2, 3))
            cell.border = _BORDER
        for offset, heading in enumerate(period_headings):
            cell = ws.cell(row=row_no, column=5 + offset)
            _status_cell(
                cell,
                report.values.at[ind.indicator_id, heading],
                report.statuses.at[ind.indicator_id, heading],
            )
        cell = ws.cell(row=row_no, column=headings.index(target_heading) + 1)
        _target_cell(cell, ind.year_target)
        cell = ws.cell(row=row_no, column=len(headings), value=ind.ytd_status_label)
        cell.border = _BORDER
        _colour(cell, ind.ytd_status)
    _plan_legend(ws, len(report.indicators) + 3)
    for row in ws.iter_rows():
        for cell in row:
            keep_as_text(cell)
    widths = {1: 30, 2: 26, 3: 44, 4: 20, len(headings) - 1: 10, len(headings): 22}
    for col_no in range(1, len(headings) + 1):
        ws.column_dimensions[get_column_letter(col_no)].width = widths.get(col_no, 11)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "E2"  # heading row and the indicator's id, group, name and target stay put
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def _sample_banner(ws: Worksheet) -> None:
    """A first row above the plan table saying the figures are sample data, where nobody can
    miss it (on screen and in print)."""
    ws.insert_rows(1)
    text = f"{SAMPLE_NOTICE}: eksempelkommunen fra «sickleave generate»."
    cell = ws.cell(row=1, column=1, value=text)
    cell.font = Font(bold=True, size=14, color="9C0006")
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = 32  # the heading row, moved down (its height does not move)
    ws.freeze_panes = "E3"
    ws.oddHeader.center.text = SAMPLE_NOTICE


def _status_cell(cell, value, status: str) -> None:
    """A value as a number with one decimal, coloured by its status, or the word for why there
    is none: «skjult» when masked, «–» when there is no figure; never 0."""
    cell.border = _BORDER
    if status == "masked" or value is None:
        cell.value = MASKED_TEXT if status == "masked" else NO_DATA_TEXT
        cell.font = _GAP_FONT
        cell.alignment = Alignment(horizontal="center")
        return
    cell.value = float(value)
    cell.number_format = ONE_DECIMAL
    _colour(cell, status)


def _target_cell(cell, target) -> None:
    cell.border = _BORDER
    if target is None:
        cell.value = NO_DATA_TEXT
        cell.alignment = Alignment(horizontal="center")
        return
    cell.value = float(target)
    cell.number_format = ONE_DECIMAL


def keep_as_text(cell) -> None:
    """A text cell Excel must show as text, never evaluate: openpyxl stores any string starting
    with '=' as a formula, so the cell is typed as text again; the quote prefix (Excel's own, not
    shown) keeps it text when someone edits the cell."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def _formula_like_rows(column: pa.ChunkedArray) -> list[int]:
    """Row numbers (from 0) of the texts in a column that start like a formula."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return []
    hits = functools.reduce(pc.or_, (pc.starts_with(column, start) for start in FORMULA_START))
    return pc.indices_nonzero(pc.fill_null(hits, False)).to_pylist()


def _colour(cell, status: str) -> None:
    if status in STATUS_COLOURS:
        fill, text = STATUS_COLOURS[status]
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = Font(color=text)


def _plan_legend(ws: Worksheet, first_row: int) -> None:
    ws.cell(row=first_row, column=2, value="Forklaring").font = _HEADER_FONT
    lines = [
        ("met", "Nådd: verdien er innenfor årets mål."),
        ("not_met", "Ikke nådd: verdien er utenfor årets mål."),
        ("no_target", "Mål ikke satt for året."),
        (
            "masked",
            f"{MASKED_TEXT}: for få personer i gruppen til at tallet kan vises (personvern).",
        ),
        ("no_data", f"{NO_DATA_TEXT}: ingen tall for perioden."),
    ]
    for offset, (status, text) in enumerate(lines, start=1):
        swatch = ws.cell(row=first_row + offset, column=2, value=STATUS_WORDS[status])
        _colour(swatch, status)
        if status in ("masked", "no_data"):
            swatch.value = MASKED_TEXT if status == "masked" else NO_DATA_TEXT
            swatch.font = _GAP_FONT
        ws.cell(row=first_row + offset, column=3, value=text)
    ws.cell(
        row=first_row + len(lines) + 1,
        column=3,
        value="Snitt og Hittil i år er tapte dagsverk delt på mulige dagsverk over hele perioden, "
        "ikke gjennomsnitt av kvartalene.",
    )


def _write_mart_sheet(
    ws: Worksheet, table: pa.Table, mart: dict, value_labels: dict, note: str | None = None
) -> None:
    headings, columns = hr_columns(table, mart, value_labels)
    if note:  # rows left out: say so above the headings, where nobody can miss it
        ws.append([note])
        ws.cell(row=1, column=1).font = _NOTE_FONT
    header_row = 2 if note else 1
    ws.append(headings)
    for cell in ws[header_row]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    cells = [_excel_numbers(c) for c in columns]
    rows = zip(*(column.to_pylist() for column in cells), strict=True) if cells else ()
    for row in rows:
        ws.append(row)
    for col_no, column in enumerate(columns, start=1):
        for index in _formula_like_rows(column):
            keep_as_text(ws.cell(row=header_row + 1 + index, column=col_no))
    for col_no, column in enumerate(columns, start=1):
        number_format = _number_format(column.type)
        if number_format and table.num_rows:
            for (cell,) in ws.iter_rows(
                min_row=header_row + 1,
                max_row=header_row + table.num_rows,
                min_col=col_no,
                max_col=col_no,
            ):
                cell.number_format = number_format
        ws.column_dimensions[get_column_letter(col_no)].width = _width(headings[col_no - 1], column)
    ws.row_dimensions[header_row].height = 32
    ws.freeze_panes = f"A{header_row + 1}"
    last = get_column_letter(max(len(headings), 1))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + table.num_rows}"


def _excel_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """An Excel cell holds a double whatever we give it, so a decimal becomes the double nearest
    the published decimal, through its text: Arrow's direct cast divides in binary and stores
    99.46 as 99.46000000000001 and 8.2 as 8.200000000000001."""
    if pa.types.is_decimal(column.type) and column.type.scale:
        return pc.cast(pc.cast(column, pa.string()), pa.float64())
    return column


def hr_columns(
    table: pa.Table, mart: dict, value_labels: dict
) -> tuple[list[str], list[pa.ChunkedArray]]:
    """The columns HR gets for a mart, in the table's order without the omitted ones: Norwegian
    headings, codes replaced by their Norwegian labels, yes/no as «Ja»/«Nei»; numbers stay
    numbers."""
    omit = set(mart.get("omit", []))
    headings, columns = [], []
    for name in table.column_names:
        if name in omit:
            continue
        column = table.column(name)
        if name in value_labels and pa.types.is_string(column.type):
            labels = value_labels[name]
            position = pc.index_in(column, value_set=pa.array(list(labels), pa.string()))
            column = pc.coalesce(
                pc.take(pa.array(list(labels.values()), pa.string()), position), column
            )
        elif pa.types.is_boolean(column.type):
            column = pc.if_else(column, "Ja", "Nei")
        headings.append(mart["columns"].get(name, name))
        columns.append(
            column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
        )
    return headings, columns


def _number_format(kind: pa.DataType) -> str | None:
    if pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale == 0):
        return INTEGER
    if pa.types.is_decimal(kind) or pa.types.is_floating(kind):
        return ONE_DECIMAL
    if pa.types.is_date(kind):
        return DATE
    return None


def _width(heading: str, column: pa.ChunkedArray) -> float:
    longest = pc.max(pc.utf8_length(pc.cast(column, pa.string()))).as_py() or 0
    if pa.types.is_decimal(column.type) or pa.types.is_floating(column.type):
        longest = min(longest, 12)  # shown with one decimal, whatever the stored precision
    longest = max(longest, *(len(word) for word in heading.split()))
    return float(min(max(longest + 2, 9), 45))


# --- CSV --------------------------------------------------------------------------------------


def write_csv(path: Path, table: pa.Table, mart: dict, value_labels: dict) -> None:
    """A mart in the Norwegian Excel dialect: `;` between fields, decimal comma, UTF-8 with BOM
    (so Excel picks the encoding), Windows line ends, dates as dd.mm.yyyy, empty for no value.
    Decimals are written exactly, without the storage's trailing zeros (61.80000000 -> 61,8).

    DuckDB formats and writes the rows (a country's half a million rows in well under a second;
    pandas took seconds); the BOM goes in front as the file is moved into place."""
    headings, columns = hr_columns(table, mart, value_labels)
    names = [f"c{n}" for n in range(len(columns))]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not names:
        path.write_bytes(b"\xef\xbb\xbf\r\n")
        return
    select = ", ".join(
        f"{_csv_expression(n, c.type)} AS {_identifier(h)}"
        for n, c, h in zip(names, columns, headings, strict=True)
    )
    body = path.with_name(f".{path.name}.body")
    con = duckdb.connect()
    try:
        con.register("mart", pa.table(dict(zip(names, columns, strict=True))))
        con.execute(
            f"COPY (SELECT {select} FROM mart) TO {sql_literal(body)} "
            "(FORMAT csv, DELIMITER ';', HEADER, NEW_LINE '\r\n')"
        )
    finally:
        con.close()
    try:
        with open(path, "wb") as out, open(body, "rb") as rows:
            out.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(rows, out, 1 << 20)
    finally:
        body.unlink(missing_ok=True)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_expression(name: str, kind: pa.DataType) -> str:
    if pa.types.is_decimal(kind):
        digits = f"regexp_replace(CAST({name} AS VARCHAR), '(\\.\\d\\d*?)0+$', '\\1')"
        return f"replace({digits}, '.', ',')"
    if pa.types.is_floating(kind):
        return f"replace(CAST({name} AS VARCHAR), '.', ',')"
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return f"strftime({name}, '%d.%m.%Y')"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return csv_text_expression(name)
    return f"CAST({name} AS VARCHAR)"


def csv_text_expression(text: str) -> str:
    """SQL for a text field of a CSV HR opens in Excel: a leading single quote when the text
    starts like a formula (OWASP), so Excel shows it and never evaluates it. Only text columns
    get this: numbers stay numbers (a negative number is not a formula)."""
    starts = ", ".join(sql_literal(start) for start in FORMULA_START)
    quote = sql_literal("'")
    return f"CASE WHEN left({text}, 1) IN ({starts}) THEN {quote} || {text} ELSE {text} END"


# --- HTML -------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,"Segoe UI",Arial,sans-serif;color:#1a1a1a;margin:0 auto;
padding:1.5em 2em;max-width:1320px;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em}
h3{font-size:1em;margin:0 0 .3em}.lead{font-size:1.05em;margin:.2em 0 1em;color:#333}
table.plan{border-collapse:collapse;width:100%;font-size:.88em}
.plan th,.plan td{border:1px solid #c8c8c8;padding:.3em .45em;vertical-align:top}
.plan th{background:#dce6f1;text-align:center;font-weight:600}
.plan td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.plan td.target{color:#555;font-size:.9em;white-space:nowrap}
.plan tr.group td{background:#f3f3f3;font-weight:600;padding-top:.5em}
.met{background:#c6efce;color:#006100}.not_met{background:#ffc7ce;color:#9c0006}
.no_target{background:#e7e6e6;color:#3a3a3a}
.plan td.masked,.plan td.no_data{color:#767676;font-style:italic;text-align:center}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.4em;margin:.6em 0;font-size:.9em;padding:0}
.legend li{list-style:none}.swatch{display:inline-block;min-width:2.6em;text-align:center;
border:1px solid #bbb;padding:0 .3em;margin-right:.35em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:1.2em 2em}
figure{margin:0;break-inside:avoid}figure svg{width:100%;height:auto;display:block}
figcaption{font-size:.85em;color:#444}.note{font-size:.88em;color:#444}
footer{margin-top:2em;font-size:.85em;color:#555;border-top:1px solid #ddd;padding-top:.6em}
@media print{body{padding:0}.charts{grid-template-columns:1fr 1fr}}
.sample{font-size:1.15em;font-weight:700;color:#9c0006;background:#ffc7ce;border:2px solid #9c0006;
padding:.4em .7em;margin:.4em 0}
"""


def render_report_html(report: PlanReport) -> str:
    """The gevinstrapport as one self-contained page: no scripts, fonts, images or links to load;
    the charts are inline SVG."""
    title = f"Gevinstrapport {quarter_label(report.quarter)} – {report.municipality}"
    state = (
        "Kvartalet er avsluttet."
        if report.is_complete
        else "Kvartalet er ikke avsluttet: tallene er foreløpige."
    )
    computed = f" Beregnet per {report.as_of:%d.%m.%Y}." if report.as_of else ""
    parts = [
        "<!DOCTYPE html><html lang='nb'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{_esc(title)}</h1>",
        *(
            [
                f"<p class='sample' id='eksempeldata'>{_esc(SAMPLE_NOTICE)}: eksempelkommunen fra "
                "«sickleave generate», ikke kommunens egne tall.</p>"
            ]
            if report.is_sample_data
            else []
        ),
        f"<p class='lead'>Målindikatorene i gevinstplanen for {_esc(quarter_label(report.quarter))}"
        f", med fjorårets kvartaler og hittil i år. {state}{computed}</p></header>",
        "<main><h2>Målindikatorer</h2>",
        *(
            [_legend_html(), _plan_table_html(report)]
            if len(report.indicators)
            else [
                "<p class='note' id='ingen-plan'>Databasen har ingen gevinstplan. Legg planen i "
                "plan.yaml og kjør nattjobben, så kommer målindikatorene her.</p>"
            ]
        ),
        "<p class='note'>Sykefravær i prosent = tapte dagsverk / mulige dagsverk × 100, etter SSBs "
        f"og NAVs definisjoner. «Snitt {report.year - 1}» og «Hittil i år» er tapte dagsverk delt "
        "på mulige dagsverk over hele perioden, ikke gjennomsnitt av kvartalene. "
        "Diagnosetallene er NAVs legemeldte tapte dagsverk i diagnosegruppen, i prosent av "
        "kommunens mulige dagsverk."
        "</p>",
        "<h2>Utvikling mot målet</h2>",
        "<p class='note'>Heltrukken blå linje: målt verdi per kvartal. Rød stiplet linje: "
        "årets mål. Grå prikket linje: hele landet (SSB, tabell 12439). Kvartaler uten tall "
        "er hull i linjen, merket «skjult» eller «ingen data», aldri tegnet som 0.</p>",
        "<div class='charts'>",
    ]
    rates = report.indicators[report.indicators["measure"].str.endswith("_pct")]
    for ind in rates.itertuples(index=False):
        parts.append(
            f"<figure id='graf-{_esc(ind.indicator_id)}'><h3>{_esc(ind.name)}</h3>"
            f"{indicator_chart_svg(report, ind.indicator_id)}"
            f"<figcaption>{_esc(_caption(report, ind))}</figcaption></figure>"
        )
    parts += [
        "</div></main>",
        "<footer>Kilder: sykefraværsrapporter fra Agresso, NAVs diagnosestatistikk og SSB tabell "
        "12439. Grupper med for få personer er skjult av hensyn til personvernet. Rapporten "
        "inneholder bare sammenstilte tall, ingen opplysninger om enkeltpersoner.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _caption(report: PlanReport, ind) -> str:
    """«Mål: maks 6,5 % i 2015.» (or «Mål ikke satt.»), and the national figure for the report
    quarter beside the municipality's own sick leave."""
    text = ind.target_text
    sentence = text[0].upper() + text[1:] + "." if text.startswith("mål") else f"Mål: {text}."
    national = report.national.get(report.quarter)
    if _has_national_line(ind) and national is not None:
        sentence += (
            f" Hele landet {quarter_label(report.quarter)}: "
            f"{norwegian_number(Decimal(str(national)))} % (SSB tabell 12439)."
        )
    return sentence


def _has_national_line(ind) -> bool:
    return ind.measure == "sick_leave_pct" and ind.scope_level == "municipality"


def _legend_html() -> str:
    items = [
        ("met", STATUS_WORDS["met"], "Nådd"),
        ("not_met", STATUS_WORDS["not_met"], "Ikke nådd"),
        ("no_target", STATUS_WORDS["no_target"], "Mål ikke satt for året"),
        ("masked", MASKED_TEXT, "for få personer til å vise tallet (personvern)"),
        ("no_data", NO_DATA_TEXT, "ingen tall for perioden"),
    ]
    rows = []
    for status, swatch, text in items:
        shown = "&nbsp;" if status in STATUS_COLOURS else _esc(swatch)
        rows.append(f"<li><span class='swatch {status}'>{shown}</span>{_esc(text)}</li>")
    return f"<ul class='legend' aria-label='Forklaring'>{''.join(rows)}</ul>"


def _plan_table_html(report: PlanReport) -> str:
    period_headings = [name for name, _, _ in report.columns]
    head = "".join(
        f"<th>{_esc(h)}</th>"
        for h in [
            "Målindikator",
            "Mål",
            *period_headings,
            f"Mål {report.year}",
            STATUS_YEAR_TO_DATE,
        ]
    )
    width = len(period_headings) + 4
    rows = [f"<table class='plan' id='gevinstrapport'><thead><tr>{head}</tr></thead><tbody>"]
    group = None
    for ind in report.indicators.itertuples(index=False):
        if ind.target_group_name != group:
            group = ind.target_group_name
            rows.append(f"<tr class='group'><td colspan='{width}'>{_esc(group)}</td></tr>")
        cells = [
            f"<td>{_esc(ind.name)}</td>",
            f"<td class='target'>{_esc(ind.target_text)}</td>",
        ]
        for heading in period_headings:
            cells.append(
                _value_td(
                    report.values.at[ind.indicator_id, heading],
                    report.statuses.at[ind.indicator_id, heading],
                    heading,
                )
            )
        target = ind.year_target
        cells.append(
            f"<td class='num'>{_esc(norwegian_number(target))}</td>"
            if target is not None
            else f"<td class='num no_data'>{NO_DATA_TEXT}</td>"
        )
        cells.append(f"<td class='{_esc(ind.ytd_status)}'>{_esc(ind.ytd_status_label)}</td>")
        rows.append(f"<tr data-indikator='{_esc(ind.indicator_id)}'>{''.join(cells)}</tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _value_td(value, status: str, heading: str) -> str:
    label = STATUS_WORDS.get(status, status)
    if status == "masked" or value is None:
        shown = MASKED_TEXT if status == "masked" else NO_DATA_TEXT
        return f"<td class='num {status}' title='{_esc(heading)}: {_esc(label)}'>{shown}</td>"
    return (
        f"<td class='num {status}' title='{_esc(heading)}: {_esc(label)}'>"
        f"{_esc(norwegian_number(value))}</td>"
    )


def _esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --- charts -----------------------------------------------------------------------------------

_MEASURED = "#1f4e79"
_TARGET = "#c00000"
_NATIONAL = "#7f7f7f"


def indicator_chart_svg(report: PlanReport, indicator_id: str) -> str:
    """One rate indicator's quarters against the year's target (a step line) and, for the whole
    municipality's sick leave, SSB's national figure, as an inline SVG element. Masked and missing
    quarters are gaps labelled «skjult» / «ingen data», never points at 0."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    ind = report.indicators.set_index("indicator_id").loc[indicator_id]
    quarters = report.chart_quarters
    points = (
        report.quarterly[report.quarterly["indicator_id"] == indicator_id]
        .set_index("period")
        .reindex(quarters)
    )
    values = _floats(points["value"])
    targets = _floats(points["target"])
    statuses = points["status"].where(points["status"].notna(), "no_data").to_numpy()
    national = None
    if _has_national_line(ind):
        national = pd.Series(report.national, dtype=float).reindex(quarters).to_numpy()
    x = np.arange(len(quarters))
    rc = {
        "svg.fonttype": "none",  # text stays text: sharp, searchable, and small
        "svg.hashsalt": indicator_id,  # the same page for the same figures
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
        "font.size": 9,
    }
    with rc_context(rc):
        fig = Figure(figsize=(6.6, 2.9))
        ax = fig.subplots()
        drawn = [values]
        if national is not None and np.isfinite(national).any():
            ax.plot(
                x,
                national,
                color=_NATIONAL,
                linestyle=":",
                marker="s",
                markersize=3,
                linewidth=1.4,
                label="Hele landet (SSB)",
            )
            drawn.append(national)
        if np.isfinite(targets).any():
            ax.stairs(
                targets,
                np.arange(len(quarters) + 1) - 0.5,
                baseline=None,
                color=_TARGET,
                linestyle="--",
                linewidth=1.6,
                label="Årets mål",
            )
            drawn.append(targets)
        ax.plot(
            x,
            values,
            color=_MEASURED,
            marker="o",
            markersize=4.5,
            linewidth=2,
            label=ind["scope_name"] if isinstance(ind["scope_name"], str) else "Målt verdi",
        )
        top = max((np.nanmax(a) for a in drawn if np.isfinite(a).any()), default=0.0)
        top = max(top * 1.3, 1.0)
        ax.set_ylim(0, top)
        ax.set_xlim(-0.5, len(quarters) - 0.5)
        for xi, value, status in zip(x, values, statuses, strict=True):
            if np.isfinite(value):
                ax.annotate(
                    norwegian_number(Decimal(str(value))),
                    (xi, value),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=8,
                    color=_MEASURED,
                    # readable where the label falls on the target or national line
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                    zorder=5,
                )
            else:
                ax.axvspan(xi - 0.5, xi + 0.5, color="#f1f1f1", zorder=0)
                ax.text(
                    xi,
                    0.04,
                    GAP_WORDS.get(status, "ingen data"),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    style="italic",
                    color="#666666",
                )
        ax.set_xticks(x, [f"{q[5]}. kv.\n{q[:4]}" for q in quarters])
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: norwegian_number(Decimal(str(round(v, 6)))))
        )
        ax.set_ylabel("Prosent")
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncols=3, fontsize=8)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline_svg(
        buffer.getvalue(), f"{ind['name']}: utvikling per kvartal mot målet", indicator_id
    )


def _floats(column: pd.Series) -> np.ndarray:
    return column.astype(float).to_numpy()


def _inline_svg(svg: str, label: str, prefix: str) -> str:
    """matplotlib's SVG file as an element for an HTML page: no XML prolog, no metadata, no
    namespace URLs (an HTML parser knows an <svg> element without them), and every id prefixed
    so the charts on one page never share one (matplotlib numbers them per figure)."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return svg.replace("<svg", f"<svg role='img' aria-label='{_esc(label)}'", 1)


# --- files: layout, swap and recovery --------------------------------------------------------


def _present(spec: dict, marts: dict[str, pa.Table]) -> list[dict]:
    """The marts of the spec the database has (the plan's are optional), in the spec's order."""
    return [mart for mart in spec["marts"] if mart["table"] in marts]


def _layout(directory: Path, quarter: str, spec: dict, marts: dict[str, pa.Table]) -> Deliverables:
    present = _present(spec, marts)
    return Deliverables(
        out_dir=directory,
        report_quarter=quarter,
        workbook=directory / f"gevinstrapport_{quarter}.xlsx",
        html=directory / f"gevinstrapport_{quarter}.html",
        csv={m["table"]: directory / "csv" / f"{m['file']}.csv" for m in present},
        parquet={m["table"]: directory / "parquet" / f"{m['file']}.parquet" for m in present},
    )


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One writer at a time per output directory (the nightly run and a manual report)."""
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"Rapportene i {out_dir} lages allerede av en annen kjøring; prøv igjen når den "
                "er ferdig."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _recover(out_dir: Path) -> None:
    """Undo what a killed run left: a run killed between its two renames leaves the previous
    deliverables under their temporary name (put back); half-built directories are removed."""
    parent, name = out_dir.parent, out_dir.name
    previous = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if previous and not out_dir.exists():
        os.rename(previous.pop(), out_dir)
    for leftover in [*previous, *parent.glob(f".{name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _refuse_foreign_files(out_dir: Path) -> None:
    """The whole directory is replaced, so it must hold nothing but deliverables."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UserError(f"{out_dir} er en fil, ikke en mappe; velg en mappe for rapportene.")
    foreign = sorted(
        p.name
        for p in out_dir.iterdir()
        if not (_FILE_NAMES.match(p.name) or p.name in _FOLDERS or _OFFICE_LOCKS.match(p.name))
    )
    if foreign:
        raise UserError(
            f"Mappen {out_dir} inneholder andre filer enn rapportene (f.eks. {foreign[0]}); "
            "velg en egen mappe for rapportene, den byttes ut i sin helhet ved hver kjøring."
        )


def _carry_over_reports(out_dir: Path, staging: Path, quarter: str) -> None:
    """Reports of other quarters stay where HR found them (hard links, no copies)."""
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        if _FILE_NAMES.match(path.name) and f"_{quarter}." not in path.name:
            try:
                os.link(path, staging / path.name)
            except OSError:
                shutil.copy2(path, staging / path.name)


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Two renames: the previous directory aside, the new one in place; then the previous one
    goes. A kill between the renames is repaired by _recover on the next run."""
    previous = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:12]}"
    if out_dir.exists():
        os.rename(out_dir, previous)
    crash_point("deliverables_swapping")
    os.rename(staging, out_dir)
    shutil.rmtree(previous, ignore_errors=True)
