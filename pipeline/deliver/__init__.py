"""What HR reads, made from the published analytics.duckdb: the quarterly plan report
(gevinstrapport) as an Excel workbook and as a self-contained HTML page with charts, and every mart
as CSV in the Norwegian Excel dialect and as Parquet.

Everything is built in a temporary directory beside the output directory and swapped in with two
renames, so a run that fails or is killed leaves the previous deliverables as they were; the next
run puts back or removes whatever a killed run left behind. Nothing here is per person: the
published database holds only aggregated, masked figures, and masked figures stay masked ("skjult",
never 0).

By concern: model (the report read from the published tables), excel, tabular (CSV and
Parquet), html (a Jinja2 template and its CSS), charts (matplotlib) and files (layout, lock, swap).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path

import duckdb

from pipeline import filemodes
from pipeline.deliver.cost_section import load_cost_section
from pipeline.deliver.excel import (
    ONE_DECIMAL,
    keep_as_text,
    sheet_rows,
    write_mart_sheet,
    write_workbook,
)
from pipeline.deliver.files import (
    Deliverables,
    _carry_over_reports,
    _exclusive,
    _layout,
    _recover,
    _refuse_foreign_files,
    _swap_in,
)
from pipeline.deliver.html import render_report_html
from pipeline.deliver.model import (
    PlanReport,
    fetch_mart,
    load_deliverables_spec,
    load_plan_report,
    present,
    quarter_label,
)
from pipeline.deliver.tabular import csv_text_expression, hr_columns, write_csv, write_parquet
from pipeline.errors import UserError
from pipeline.failpoints import crash_point
from pipeline.follow_up_report import follow_up_figures
from pipeline.warehouse import connect

__all__ = [
    "ONE_DECIMAL",
    "Deliverables",
    "PlanReport",
    "csv_text_expression",
    "fetch_mart",
    "hr_columns",
    "keep_as_text",
    "load_deliverables_spec",
    "load_plan_report",
    "quarter_label",
    "render_report_html",
    "sheet_rows",
    "write_csv",
    "write_deliverables",
    "write_mart_sheet",
    "write_workbook",
]


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
            report = replace(report, cost=load_cost_section(con, report.chart_quarters))
            follow_up = follow_up_figures(con, report.quarter)
            fetched = {mart["table"]: fetch_mart(con, mart, spec) for mart in spec["marts"]}
        finally:
            con.close()
        marts = {name: table for name, table in fetched.items() if table is not None}
        staging = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        try:
            built = _layout(staging, report.quarter, spec, marts)
            write_workbook(built.workbook, report, marts, spec)
            built.html.write_text(render_report_html(report, follow_up), encoding="utf-8")
            with duckdb.connect() as csv_con:  # one in-memory connection writes every CSV
                for mart in present(spec, marts):
                    table = marts[mart["table"]]
                    path = built.csv[mart["table"]]
                    write_csv(path, table, mart, spec["value_labels"], con=csv_con)
                    write_parquet(built.parquet[mart["table"]], table)
            _carry_over_reports(out_dir, staging, report.quarter)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        crash_point("deliverables_built")
        # HR's group reads the reports (files 0640, folders 0750), or only the owner without one.
        filemodes.set_tree_mode(staging, shared=True)
        _swap_in(staging, out_dir)
    return _layout(out_dir, report.quarter, spec, marts)
