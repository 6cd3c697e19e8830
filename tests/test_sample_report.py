"""The nightly flow on the generator's sample: the reports made from it say they are sample
data, and the plan's manual indicators have figures (one night, in this process)."""

import datetime as dt

import duckdb
import pytest
from openpyxl import load_workbook

from pipeline.night import run_night
from pipeline.plan import DEFAULT_PLAN
from pipeline.sample_marker import SAMPLE_MARKER
from sample.municipality import generate_municipality

NOTICE = "Eksempeldata – ikke virkelige tall"


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    generate_municipality(root / "raw", employees=120)
    summaries = []  # the night summary the flow publishes as a Prefect artifact
    summary = run_night(
        raw_dir=root / "raw",
        warehouse_dir=root / "warehouse",
        as_of=dt.date(2014, 6, 30),
        plan_path=DEFAULT_PLAN,
        artifacts=lambda status_rows, markdown, *_: summaries.append(markdown),
    )
    return root, summary, summaries


def test_the_run_records_that_its_input_is_the_sample(night):
    root, summary, _ = night
    assert (root / "raw" / SAMPLE_MARKER).is_file()
    con = duckdb.connect(str(summary.analytics_path), read_only=True)
    try:
        assert con.execute("SELECT run_id, is_sample_data FROM run_info").fetchall() == [
            (summary.run_id, True)
        ]
        # Every manual indicator of the plan has a «hittil i år» verdict but the user survey,
        # which the seed's municipality starts the year after the sample ends.
        no_data = con.execute(
            "SELECT s.indicator_id FROM indicator_status AS s "
            "WHERE s.period_type = 'year_to_date' AND s.period = '2014K2' "
            "AND s.measure = 'manual' AND s.status = 'no_data'"
        ).fetchall()
    finally:
        con.close()
    assert no_data == [("brukerundersokelse",)]


def test_night_summary_says_sample_data_first(night):
    _, _, summaries = night
    [markdown] = summaries
    assert markdown.splitlines()[2].startswith(f"**{NOTICE}**")


def test_html_report_and_workbook_say_sample_data_at_the_top(night):
    root, _, _ = night
    reports = root / "reports"
    page = (reports / "gevinstrapport_2014K2.html").read_text(encoding="utf-8")
    header = page[page.index("<header>") : page.index("</header>")]
    assert f"<p class='sample' id='eksempeldata'>{NOTICE}: " in header

    workbook = load_workbook(reports / "gevinstrapport_2014K2.xlsx")
    first = workbook.worksheets[0]
    assert first.sheet_state == "visible"
    assert first["A1"].value == f"{NOTICE}: eksempelkommunen fra «sickleave generate»."
    assert first["A2"].value == "Indikator-id"  # the plan table starts below the notice
    assert first.freeze_panes == "E3"
