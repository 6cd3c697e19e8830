"""The gevinstrapport workbook: the plan report first (coloured by status, gaps in words, never 0),
then one sheet per mart."""

from __future__ import annotations

import functools
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.deliver.model import (
    PLAN_SHEET,
    STATUS_COLOURS,
    PlanReport,
    present,
)
from pipeline.deliver.tabular import FORMULA_START, hr_columns
from pipeline.sample_marker import SAMPLE_NOTICE
from pipeline.vocabulary import (
    MASKED_TEXT,
    NO_DATA_TEXT,
    STATUS_WORDS,
    norwegian_number,
)

# Excel writes its format codes with '.' and ','; a Norwegian Excel shows them as "1 234,5".
ONE_DECIMAL = "#,##0.0"
INTEGER = "#,##0"
DATE = "DD.MM.YYYY"


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
    for mart in present(spec, marts):
        sheet = workbook.create_sheet(mart["sheet"])
        table, note = sheet_rows(marts[mart["table"]], mart, spec)
        write_mart_sheet(sheet, table, mart, spec["value_labels"], note)
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


def write_mart_sheet(
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
