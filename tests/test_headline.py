"""What a run prints at the end and what the night summary says, read from a published database
made by hand: the masking sentence uses the threshold the figures were masked with, and figures
made from the generator's sample say so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from pipeline.headline import print_headline
from pipeline.night_report import latest_figures, summary_markdown

NOTICE = "Eksempeldata – ikke virkelige tall"


def published(tmp_path: Path, mask_threshold: int, is_sample_data: bool) -> Path:
    """The tables the headline reads: one complete quarter, the municipality and two sectors,
    the second too small to show."""
    path = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE quarters AS SELECT '2014K2' AS quarter, TRUE AS is_complete")
    con.execute(
        """
        CREATE TABLE sick_leave_quarterly AS
        SELECT * FROM (VALUES
            ('2014K2', 'municipality', 'Alle', 'Testkommune', 7.6, 2.1, 5.5, 40, FALSE),
            ('2014K2', 'sector', '10', 'Sektor 10', 8.0, 2.0, 6.0, 38, FALSE),
            ('2014K2', 'sector', '20', 'Sektor 20', NULL, NULL, NULL, NULL, TRUE)
        ) AS t(quarter, scope_level, scope_code, scope_name, sick_leave_pct, self_certified_pct,
               doctor_certified_pct, persons, is_masked)
        """
    )
    con.execute(
        "CREATE TABLE run_info AS SELECT 'r1' AS run_id, ? AS mask_threshold, ? AS is_sample_data",
        [mask_threshold, is_sample_data],
    )
    con.close()
    return path


def headline(path: Path) -> SimpleNamespace:
    summary = SimpleNamespace(
        run_id="r1",
        as_of=dt.date(2014, 6, 30),
        files_read=3,
        files_rejected=0,
        rows_loaded=10,
        findings=0,
        errors=0,
        analytics_path=path,
        reports_dir=None,
    )
    return summary


@pytest.mark.parametrize("threshold", [3, 10])
def test_masked_group_names_the_configured_threshold(tmp_path, capsys, threshold):
    print_headline(headline(published(tmp_path, threshold, is_sample_data=False)))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3:] == [
        "  Testkommune: 7,6 %",
        "    Sektor 10: 8,0 %",
        f"    Sektor 20: skjult (færre enn {threshold} personer)",
    ]
    assert not any(NOTICE in line for line in lines)


def test_sample_data_is_said_in_the_headline_and_the_night_summary(tmp_path, capsys):
    path = published(tmp_path, 5, is_sample_data=True)
    print_headline(headline(path))
    out = capsys.readouterr().out
    assert f"  {NOTICE} (eksempelkommunen fra «sickleave generate»).\nSykefravær 2014K2:" in out

    figures = latest_figures(path)
    assert (figures["mask_threshold"], figures["is_sample_data"]) == (5, True)
    common = dict(
        night="30.06.2014",
        run_id="r1",
        as_of="30.06.2014",
        skipped=False,
        files_read=3,
        rejected=[],
        rows_loaded=10,
        findings=[],
        previous=None,
    )
    text = summary_markdown(current=figures, **common).splitlines()
    assert text[:3] == [
        "# Nattkjøring sykefravær 30.06.2014",
        "",
        f"**{NOTICE}**: inndataene er eksempelkommunen fra `sickleave generate`.",
    ]
    real = summary_markdown(current={**figures, "is_sample_data": False}, **common)
    assert NOTICE not in real
