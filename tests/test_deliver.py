"""The deliverables HR reads: the gevinstrapport workbook and page, CSV in the Norwegian Excel
dialect, Parquet, and the swap that keeps the previous deliverables when a run fails.

A small warehouse is built once through the nightly flow: twelve employees in two sectors, a NAV
diagnosis file with one masked cell and one manual measurement file. The masking threshold is 7,
so each sector (6 persons) is masked while the whole municipality (12) is shown. The figures a
test asserts can be checked by hand:

- 1. kv. 2013: every employee has two self-certified working days (7-10 January), position
  shares summing to 9.3, 61 working days: 100 x 2 x 9.3 / (61 x 9.3) = 3.28 -> 3,3 %.
- Snitt 2013: the same 18.6 lost over 251 working days x 9.3 = 2334.3 possible -> 0,8 %.
- Psychological disorders (P) 1. kv. 2013: NAV's 1 lost workday / 567.3 possible -> 0,2 %;
  3. kv. 2013 is masked by NAV ("*"), so the year is masked too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import struct
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook, load_workbook

from pipeline import deliver
from pipeline.deliver import quarter_label, write_csv, write_deliverables
from pipeline.errors import UserError
from pipeline.plan import DEFAULT_PLAN, load_plan
from tests.sample_files import write_sample

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = Path(__file__).resolve().parent / "data" / "reference"
CHROMIUM = Path("/usr/bin/chromium")
MUNICIPALITY = "Andebu kommune"
BOM = b"\xef\xbb\xbf"

NAV_FILE = "Kvartal;Sektor;Diagnosegruppe;Tapte dagsverk;Tilfeller\r\n" + "".join(
    f"{q};Alle;I alt;20;8\r\n{q};Alle;L;{lm};1\r\n{q};Alle;P;{p};1\r\n{q};Alle;W;{w};1\r\n"
    for q, lm, p, w in [
        ("2013K1", 3, 1, 2),
        ("2013K2", 1, 2, 0),
        ("2013K3", 2, "*", 1),
        ("2013K4", 1, 1, 1),
        ("2014K1", 4, 3, 2),
        ("2014K2", 2, 1, 1),
    ]
)
MANUAL_FILE = (
    "Indikator;Periode;Verdi;Kommentar\r\n"
    "vernerunder_gjennomfort;2014K1;92,5;Alle enheter\r\n"
    "vernerunder_gjennomfort;2013;100;\r\n"
)
PERIOD_HEADINGS = [
    "1. kv. 2013",
    "2. kv. 2013",
    "3. kv. 2013",
    "4. kv. 2013",
    "Snitt 2013",
    "1. kv. 2014",
    "2. kv. 2014",
    "Hittil i år",
]
PLAN_HEADINGS = [
    "Indikator-id",
    "Målgruppe",
    "Målindikator",
    "Mål",
    *PERIOD_HEADINGS,
    "Mål 2014",
    "Status hittil i år",
]
GREEN, RED, GREY = "C6EFCE", "FFC7CE", "E7E6E6"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_harness) -> Path:
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("deliver")
    raw = write_sample(root / "raw")
    (raw / "nav").mkdir()
    (raw / "nav" / "nav_diagnose.csv").write_text(NAV_FILE, encoding="utf-8")
    (raw / "manual").mkdir()
    (raw / "manual" / "hms.csv").write_text(MANUAL_FILE, encoding="utf-8")
    (raw / "ssb").mkdir()
    shutil.copy2(REFERENCE_DATA / "ssb_sykefravaer.csv", raw / "ssb" / "ssb_sykefravaer.csv")
    summary = nightly(
        raw_dir=raw,
        warehouse_dir=root / "warehouse",
        as_of=dt.date(2014, 6, 30),
        mask_threshold=7,
        plan_path=DEFAULT_PLAN,
    )
    return summary.analytics_path


@pytest.fixture(scope="module")
def delivered(warehouse, tmp_path_factory) -> deliver.Deliverables:
    out = tmp_path_factory.mktemp("delivered") / "reports"
    return write_deliverables(warehouse, out, municipality=MUNICIPALITY)


@pytest.fixture(scope="module")
def plan_sheet(delivered):
    workbook = load_workbook(delivered.workbook)
    sheet = workbook["Gevinstrapport"]
    headings = [c.value for c in sheet[1]]
    rows = {}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value is None:
            break
        rows[row[0].value] = {h: cell for h, cell in zip(headings, row, strict=False)}
    return workbook, sheet, headings, rows


def _fill(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type == "solid" else ""


# --- the workbook --------------------------------------------------------------------------


def test_default_quarter_is_the_latest_complete_one_and_files_are_named_by_it(delivered):
    assert delivered.report_quarter == "2014K2"
    assert delivered.workbook.name == "gevinstrapport_2014K2.xlsx"
    assert delivered.html.name == "gevinstrapport_2014K2.html"
    assert all(p.is_file() and p.stat().st_size > 0 for p in delivered.paths())
    assert delivered.csv["sick_leave_quarterly"] == (
        delivered.out_dir / "csv" / "sykefravaer_kvartal.csv"
    )


def test_plan_sheet_has_the_seed_layout(plan_sheet):
    workbook, sheet, headings, rows = plan_sheet
    assert workbook.sheetnames == [
        "Gevinstrapport",
        "Sykefravær per kvartal",
        "Sykefravær per periode",
        "Diagnoser per kvartal",
        "Diagnoser per periode",
        "Indikatorstatus",
        "Avstemming mot NAV",
        "Kostnader per kvartal",
        "Kostnader per periode",
        "Oppfølging stoppunkter",
        "Oppfølging i tide",
    ]
    # One row per indicator in plan order x last year's four quarters, its annual figure, this
    # year's quarters so far and year-to-date.
    assert headings == PLAN_HEADINGS
    assert list(rows) == [ind.id for ind in load_plan(DEFAULT_PLAN).indicators]
    assert sheet.freeze_panes == "E2"
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["E"].width >= 9


def test_plan_sheet_numbers_are_numbers_with_one_decimal(plan_sheet):
    _, _, _, rows = plan_sheet
    municipality = rows["sykefravaer_kommunen"]
    assert municipality["1. kv. 2013"].value == pytest.approx(3.3)
    assert municipality["Snitt 2013"].value == pytest.approx(0.8)
    assert municipality["Mål 2014"].value == pytest.approx(7.0)
    assert rows["sykefravaer_psykiske"]["1. kv. 2013"].value == pytest.approx(0.2)
    assert rows["vernerunder_gjennomfort"]["1. kv. 2014"].value == pytest.approx(92.5)
    for heading in PERIOD_HEADINGS:
        cell = municipality[heading]
        assert cell.data_type == "n", heading
        assert cell.number_format == "#,##0.0", heading


def test_masked_and_missing_cells_are_text_never_zero(plan_sheet):
    _, _, _, rows = plan_sheet
    # Six persons per sector is below the threshold of 7: every period of the sector is hidden.
    assert [rows["sykefravaer_hov"][h].value for h in PERIOD_HEADINGS] == ["skjult"] * 8
    assert rows["sykefravaer_hov"]["Status hittil i år"].value == "Skjult (færre enn 7)"
    # NAV masked 3. kv. 2013 for P, so the year is masked too; the other quarters are shown.
    assert rows["sykefravaer_psykiske"]["3. kv. 2013"].value == "skjult"
    assert rows["sykefravaer_psykiske"]["Snitt 2013"].value == "skjult"
    # No sector 40 in the data: no figure at all, which is not the same as masked.
    assert [rows["sykefravaer_teknisk"][h].value for h in PERIOD_HEADINGS] == ["–"] * 8
    for row in rows.values():
        for heading in PERIOD_HEADINGS:
            cell = row[heading]
            if cell.data_type != "n":
                assert cell.value in ("skjult", "–")


def test_plan_sheet_cells_are_coloured_by_status(plan_sheet):
    _, _, _, rows = plan_sheet
    municipality = rows["sykefravaer_kommunen"]
    assert _fill(municipality["1. kv. 2013"]) == GREEN  # 3,3 within max 7,5 (2013)
    assert _fill(municipality["1. kv. 2014"]) == RED  # above max 7,0 (2014)
    assert _fill(municipality["Status hittil i år"]) == RED
    assert municipality["Status hittil i år"].value == "Ikke nådd"
    assert _fill(rows["sykefravaer_gravide"]["1. kv. 2013"]) == GREY  # target only for 2015
    assert _fill(rows["sykefravaer_hov"]["1. kv. 2013"]) == ""  # masked: text, no colour
    assert _fill(rows["sykefravaer_teknisk"]["1. kv. 2013"]) == ""


def test_plan_sheet_holds_the_published_plan_report(plan_sheet, warehouse):
    _, _, _, rows = plan_sheet
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        published = con.execute("SELECT * FROM plan_report").fetchall()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    assert names == PLAN_HEADINGS
    for record in published:
        row = rows[record[0]]
        for name, value in zip(names, record, strict=True):
            cell = row[name].value
            if isinstance(value, Decimal):
                assert Decimal(str(cell)) == value, (record[0], name)
            elif value is None:
                assert cell in ("skjult", "–"), (record[0], name)
            else:
                assert cell == value, (record[0], name)


def test_mart_sheets_have_norwegian_headings_frozen_header_and_filter(delivered):
    workbook = load_workbook(delivered.workbook)
    sheet = workbook["Sykefravær per kvartal"]
    headings = [c.value for c in sheet[1]]
    assert headings[:7] == [
        "Kvartal",
        "Helt kvartal",
        "Nivå",
        "Kode",
        "Navn",
        "Personer",
        "Mulige dagsverk",
    ]
    assert "Sykefravær %" in headings and "Skjult" in headings
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headings)).column_letter}31"
    first = {h: c for h, c in zip(headings, sheet[2], strict=True)}
    assert first["Kvartal"].value == "2013K1"
    assert first["Nivå"].value == "Hele kommunen"
    assert first["Personer"].value == 12 and first["Personer"].number_format == "#,##0"
    assert first["Mulige dagsverk"].value == pytest.approx(567.3)
    assert first["Sykefravær %"].value == pytest.approx(3.3)
    assert first["Sykefravær %"].number_format == "#,##0.0"
    assert first["Skjult"].value == "Nei"
    sector = {h: c.value for h, c in zip(headings, sheet[3], strict=True)}
    assert (sector["Nivå"], sector["Sykefravær %"], sector["Skjult"]) == ("Sektor", None, "Ja")
    for name in workbook.sheetnames[1:]:
        assert workbook[name].freeze_panes == "A2"
        assert workbook[name].auto_filter.ref.startswith("A1:")


# --- CSV and Parquet -------------------------------------------------------------------------


def test_csv_is_the_norwegian_excel_dialect(delivered):
    data = delivered.csv["sick_leave_quarterly"].read_bytes()
    assert data.startswith(BOM)
    lines = data[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[0].startswith("Kvartal;Helt kvartal;Nivå;Kode;Navn;Personer;Mulige dagsverk;")
    assert lines[1] == (
        "2013K1;Ja;Hele kommunen;Alle;Hele kommunen;12;567,3;18,6;18,6;0,0;18,6;0,0;0,0;"
        "3,3;3,3;0,0;3,3;0,0;;Nei"
    )
    # A masked group: the name is there, every figure empty (never 0), flagged as hidden.
    assert lines[2] == "2013K1;Ja;Sektor;20;Helse, omsorg og velferd" + ";" * 15 + "Ja"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert {len(r) for r in rows if r} == {len(rows[0])}


def test_csv_of_diagnoses_keeps_nav_masking_empty(delivered):
    text = delivered.csv["diagnosis_quarterly"].read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    p_2013k3 = next(r for r in rows if r["Kvartal"] == "2013K3" and r["Diagnosegruppe"] == "P")
    assert (p_2013k3["Tapte dagsverk (NAV)"], p_2013k3["Diagnose %"]) == ("", "")
    assert p_2013k3["Skjult"] == "Ja"
    p_2013k1 = next(r for r in rows if r["Kvartal"] == "2013K1" and r["Diagnosegruppe"] == "P")
    assert (p_2013k1["Diagnose %"], p_2013k1["Mulige dagsverk"]) == ("0,2", "567,3")


def test_csv_writes_exact_decimals_labels_and_dates_from_inline_data(tmp_path):
    table = pa.table(
        {
            "scope_level": pa.array(["municipality", "sector", "region"]),
            "possible_workdays": pa.array(
                [Decimal("61.80000000"), Decimal("0E-8"), None], pa.decimal128(20, 8)
            ),
            "sick_leave_pct": pa.array(
                [Decimal("7.0"), Decimal("-0.5"), Decimal("12.3")], pa.decimal128(18, 1)
            ),
            "is_masked": pa.array([False, True, None]),
            "start_date": pa.array([dt.date(2014, 6, 30), None, dt.date(2014, 1, 1)]),
        }
    )
    mart = {"columns": {"scope_level": "Nivå", "possible_workdays": "Mulige dagsverk"}}
    labels = {"scope_level": {"municipality": "Hele kommunen", "sector": "Sektor"}}
    path = tmp_path / "csv" / "liten.csv"
    write_csv(path, table, mart, labels)
    assert (
        path.read_bytes()
        == BOM
        + (
            "Nivå;Mulige dagsverk;sick_leave_pct;is_masked;start_date\r\n"
            "Hele kommunen;61,8;7,0;Nei;30.06.2014\r\n"
            "Sektor;0,0;-0,5;Ja;\r\n"
            "region;;12,3;;01.01.2014\r\n"
        ).encode()
    )


def _scoped_table(levels: list[tuple[str, int]]) -> pa.Table:
    rows = [(level, f"{level[:1]}{n}") for level, count in levels for n in range(count)]
    return pa.table(
        {
            "scope_level": pa.array([level for level, _ in rows]),
            "scope_code": pa.array([code for _, code in rows]),
            "lost_workdays": pa.array([Decimal("1.5")] * len(rows), pa.decimal128(20, 8)),
        }
    )


def test_long_mart_sheet_keeps_whole_levels_and_says_where_the_rest_is():
    spec = {**deliver.load_deliverables_spec(), "excel_max_rows": 5}
    mart = {"file": "liten", "columns": {"scope_level": "Nivå", "scope_code": "Kode"}}
    table = _scoped_table([("municipality", 1), ("sector", 3), ("unit", 10)])
    kept, note = deliver.sheet_rows(table, mart, spec)
    # 1 + 3 rows fit under 5; the ten units would not, so none of them goes in
    assert kept.column("scope_level").to_pylist() == ["municipality"] + ["sector"] * 3
    assert note == (
        "Arket viser 4 av 14 rader (nivå: Hele kommunen og Sektor). Alle radene ligger i "
        "csv/liten.csv (åpnes i Excel) og parquet/liten.parquet."
    )
    assert deliver.sheet_rows(table.slice(0, 5), mart, spec) == (table.slice(0, 5), None)
    # without levels (or when the first level alone is too long): the first rows
    first = deliver.sheet_rows(_scoped_table([("unit", 7)]), mart, spec)
    assert first[0].num_rows == 5 and first[1].startswith("Arket viser 5 av 7 rader (nivå: Enhet)")

    workbook = Workbook()
    deliver.write_mart_sheet(workbook.active, kept, mart, spec["value_labels"], note)
    sheet = workbook.active
    assert sheet["A1"].value == note
    assert [c.value for c in sheet[2]] == ["Nivå", "Kode", "lost_workdays"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:C6"
    assert sheet["C6"].value == 1.5 and sheet["C6"].number_format == deliver.ONE_DECIMAL


def test_parquet_round_trips_with_decimal_types(delivered, warehouse):
    table = pq.read_table(delivered.parquet["sick_leave_quarterly"])
    assert table.schema.field("sick_leave_pct").type == pa.decimal128(18, 1)
    assert table.schema.field("possible_workdays").type == pa.decimal128(20, 8)
    assert table.schema.field("is_masked").type == pa.bool_()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name, path in delivered.parquet.items():
            stored = pq.read_table(path)
            expected = con.sql(f"SELECT * FROM {name}").to_arrow_table()
            assert stored.schema == expected.schema, name
            assert stored.num_rows == expected.num_rows, name
        municipality = con.execute(
            "SELECT sick_leave_pct FROM sick_leave_quarterly "
            "WHERE quarter = '2013K1' AND scope_level = 'municipality'"
        ).fetchone()[0]
    finally:
        con.close()
    assert table.column("sick_leave_pct")[0].as_py() == municipality == Decimal("3.3")


# --- the page ---------------------------------------------------------------------------------


def test_html_is_self_contained_and_norwegian(delivered):
    page = delivered.html.read_text(encoding="utf-8")
    lowered = page.lower()
    for reference in ("<script", "http://", "https://", "<link", "<img", "@import"):
        assert reference not in lowered, reference
    # url() only for the charts' own clip paths inside the page, never for a file to fetch.
    assert not re.search(r"url\((?!#)", page)
    assert "<title>Gevinstrapport 2. kv. 2014 – Andebu kommune</title>" in page
    table = page[page.index("<table class='plan'") : page.index("</table>")]
    assert "<th>1. kv. 2013</th>" in table and "<th>Hittil i år</th>" in table
    assert ">3,3</td>" in table and ">14,8</td>" in table and ">92,5</td>" in table
    assert "14.8" not in table and "3.3<" not in table
    assert table.count("<tr data-indikator=") == len(load_plan(DEFAULT_PLAN).indicators)
    assert ">skjult</td>" in table and ">–</td>" in table
    assert "class='legend'" in page
    ids = re.findall(r"""\bid=["']([^"']+)["']""", page)
    assert len(ids) == len(set(ids)) > 7  # seven charts inlined, no id shared between them
    references = re.findall(r"""(?:href="#|url\(#)([^")]+)""", page)
    assert references and set(references) <= set(ids)


def test_html_has_one_chart_per_rate_indicator(delivered):
    page = delivered.html.read_text(encoding="utf-8")
    rates = [i.id for i in load_plan(DEFAULT_PLAN).indicators if i.measure.endswith("_pct")]
    assert len(rates) == 7
    assert page.count("<svg") == len(rates) + 1  # and the cost section's net cost chart
    charts = {i: page[page.index(f"id='graf-{i}'") :] for i in rates}
    charts = {i: c[: c.index("</figure>")] for i, c in charts.items()}
    # The municipality's sick leave against SSB's national line and the year's target.
    assert "Hele landet (SSB)" in charts["sykefravaer_kommunen"]
    assert "Årets mål" in charts["sykefravaer_kommunen"]
    assert "14,8" in charts["sykefravaer_kommunen"]
    # SSB 12439, 2014K2: 5.7 (the real table in reference-data).
    assert "Hele landet 2. kv. 2014: 5,7 % (SSB tabell 12439)." in charts["sykefravaer_kommunen"]
    assert "Hele landet (SSB)" not in charts["sykefravaer_psykiske"]
    # Masked and missing quarters are labelled gaps.
    assert charts["sykefravaer_psykiske"].count(">skjult<") == 1
    assert charts["sykefravaer_hov"].count(">skjult<") == 6
    assert charts["sykefravaer_teknisk"].count(">ingen data<") == 6


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_page_renders_in_a_headless_browser(delivered, tmp_path):
    shot = tmp_path / "report.png"
    url = delivered.html.as_uri()
    result = _chromium(
        [f"--screenshot={shot}", "--window-size=1400,1800", url], tmp_path / "profile"
    )
    assert shot.is_file(), result.stderr.decode(errors="replace")[-2000:]
    assert _png_size(shot) == (1400, 1800)
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few kilobytes
    dom = _chromium(["--dump-dom", url], tmp_path / "profile-dom").stdout.decode("utf-8")
    assert "Gevinstrapport 2. kv. 2014 – Andebu kommune" in dom
    assert 'id="gevinstrapport"' in dom
    # eight charts: the plan's charted indicators and the net cost per quarter against the goal
    assert dom.count("<svg") == 8
    assert "Netto kostnad" in dom


# --- the swap ---------------------------------------------------------------------------------


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*") if not p.name.endswith("lock"))


def test_failed_run_leaves_previous_deliverables_untouched(
    delivered, warehouse, tmp_path, monkeypatch
):
    out = tmp_path / "reports"
    shutil.copytree(delivered.out_dir, out)
    before = _snapshot(out)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(deliver, "write_csv", broken)
    with pytest.raises(OSError):
        write_deliverables(warehouse, out, municipality=MUNICIPALITY)
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def _killed_run(warehouse: Path, out: Path, point: str) -> int:
    code = (
        "import sys; from pathlib import Path; from pipeline.deliver import write_deliverables; "
        "write_deliverables(Path(sys.argv[1]), Path(sys.argv[2]))"
    )
    env = {**os.environ, "SICKLEAVE_CRASH_AT": point, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(warehouse), str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return result.returncode


def test_run_killed_between_the_renames_is_repaired_by_the_next(delivered, warehouse, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(delivered.out_dir, out)
    before = _snapshot(out)
    assert _killed_run(warehouse, out, "deliverables_swapping") == -9
    assert not out.exists()  # killed with the previous directory set aside
    # The previous deliverables set aside and the new ones not yet in place.
    assert [name.split("-")[0] for name in _leftovers(out)] == [".reports.old", ".reports.tmp"]
    # The next run puts the previous deliverables back before anything else, even when it fails.
    with pytest.raises(UserError, match="2099K1 finnes ikke"):
        write_deliverables(warehouse, out, report_quarter="2099K1")
    assert _snapshot(out) == before
    assert _leftovers(out) == []


def test_run_killed_after_building_leaves_previous_and_is_cleaned_up(
    delivered, warehouse, tmp_path
):
    out = tmp_path / "reports"
    shutil.copytree(delivered.out_dir, out)
    before = _snapshot(out)
    assert _killed_run(warehouse, out, "deliverables_built") == -9
    assert _snapshot(out) == before
    assert [name.split("-")[0] for name in _leftovers(out)] == [".reports.tmp"]
    again = write_deliverables(warehouse, out, municipality=MUNICIPALITY)
    assert _leftovers(out) == []
    assert all(p.is_file() for p in again.paths())


def test_report_of_another_quarter_keeps_the_earlier_reports(delivered, warehouse, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(delivered.out_dir, out)
    earlier = write_deliverables(warehouse, out, report_quarter="2014K1")
    assert earlier.report_quarter == "2014K1"
    assert sorted(p.name for p in out.glob("gevinstrapport_*")) == [
        "gevinstrapport_2014K1.html",
        "gevinstrapport_2014K1.xlsx",
        "gevinstrapport_2014K2.html",
        "gevinstrapport_2014K2.xlsx",
    ]
    headings = [c.value for c in load_workbook(earlier.workbook)["Gevinstrapport"][1]]
    assert headings[4:] == [*PERIOD_HEADINGS[:6], "Hittil i år", "Mål 2014", "Status hittil i år"]


def test_warehouse_without_a_plan_still_gets_its_exports(delivered, warehouse, tmp_path):
    copy = tmp_path / "analytics.duckdb"
    shutil.copy2(warehouse, copy)
    con = duckdb.connect(str(copy))
    for table in ("plan_report", "indicator_status", "plan_targets", "plan_indicators"):
        con.execute(f"DROP TABLE {table}")
    con.close()
    without = write_deliverables(copy, tmp_path / "reports")
    assert "indicator_status" not in without.csv and "indicator_status" not in without.parquet
    assert len(without.csv) == len(delivered.csv) - 1
    workbook = load_workbook(without.workbook)
    assert "Indikatorstatus" not in workbook.sheetnames
    assert [c.value for c in workbook["Gevinstrapport"][1]] == PLAN_HEADINGS
    assert workbook["Gevinstrapport"]["A2"].value is None
    page = without.html.read_text(encoding="utf-8")
    # no indicator charts; the cost section (from the cost marts, not the plan) keeps its own
    assert "id='ingen-plan'" in page and "<svg" not in page[: page.index("id='kostnader'")]


def test_output_directory_with_other_files_is_refused(warehouse, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "notater.txt").write_text("mine notater", encoding="utf-8")
    with pytest.raises(UserError, match="notater.txt"):
        write_deliverables(warehouse, out)
    assert (out / "notater.txt").read_text(encoding="utf-8") == "mine notater"
    # The lock file Excel leaves beside an open workbook is no reason to refuse.
    (out / "notater.txt").unlink()
    (out / "~$gevinstrapport_2014K2.xlsx").write_bytes(b"HR")
    assert write_deliverables(warehouse, out).workbook.is_file()


def test_missing_database_and_bad_quarter_are_user_errors(warehouse, tmp_path):
    with pytest.raises(UserError, match="Fant ikke"):
        write_deliverables(tmp_path / "analytics.duckdb", tmp_path / "reports")
    with pytest.raises(UserError, match="skriv det som 2014K2"):
        write_deliverables(warehouse, tmp_path / "reports", report_quarter="2014-2")
    assert quarter_label("2014K2") == "2. kv. 2014"


# --- the command ------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_report_command_prints_the_paths(warehouse, tmp_path):
    out = tmp_path / "rapporter"
    result = _cli(
        "report", "--quarter", "2014K2", "--warehouse-dir", str(warehouse.parent), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Gevinstrapport for 2014K2 skrevet til {out}:"
    assert f"  {out / 'gevinstrapport_2014K2.xlsx'}" in lines
    # the report, then CSV and Parquet of each mart: six sick-leave and diagnosis marts, the two
    # cost marts and the two follow-up marts
    assert len(lines) == 1 + 2 + 10 + 10
    page = (out / "gevinstrapport_2014K2.html").read_text(encoding="utf-8")
    assert "Andebu kommune" in page  # the municipality's name comes from plan.yaml


def test_report_command_default_output_is_beside_the_warehouse(warehouse, tmp_path):
    copy = tmp_path / "data" / "warehouse"
    copy.mkdir(parents=True)
    shutil.copy2(warehouse, copy / "analytics.duckdb")
    result = _cli("report", "--warehouse-dir", str(copy))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "reports" / "gevinstrapport_2014K2.xlsx").is_file()


def test_report_command_unknown_quarter_and_missing_database_are_one_sentence(warehouse, tmp_path):
    result = _cli("report", "--quarter", "2099K1", "--warehouse-dir", str(warehouse.parent))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Feil: Kvartalet 2099K1 finnes ikke i databasen; velg et kvartal fra 2013K1 til 2014K2."
    )
    result = _cli("report", "--warehouse-dir", str(tmp_path / "tom"))
    assert result.returncode == 2
    assert result.stderr.startswith("Feil: Fant ikke ")
    assert "Traceback" not in result.stderr
