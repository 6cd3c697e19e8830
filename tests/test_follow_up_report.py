"""The follow-up figures in the night summary and the gevinstrapport, on the hand-checked cases of
tests/test_follow_up.py (as of Monday 10 March 2014)."""

from __future__ import annotations

from decimal import Decimal

from pipeline.follow_up_report import (
    _total,
    follow_up_figures,
    follow_up_section,
    markdown_lines,
)
from tests.test_follow_up import P3_ACTIVITIES, warehouse


def test_night_summary_shows_milestone_counts_and_compliance(tmp_path):
    con = warehouse(tmp_path, "2014-03-10", follow_up=P3_ACTIVITIES)
    text = "\n".join(markdown_lines(follow_up_figures(con)))
    assert "## Oppfølging av sykmeldte per 10.03.2014" in text
    # P2 and P3 have passed day 56; P1's day 5 is tomorrow, its day 17 in 13 days
    assert "| Aktivitetskravet (8 uker) | 2 | 0 | 0 |" in text
    assert "| Påminnelse om tilrettelegging | 0 | 1 | 1 |" in text
    assert "### Oppfølging i tide 2014K1" in text
    # contact: P3 on time; P2 and P4 missing (P1's deadline is today: not judged yet)
    assert "| Leder tar kontakt med den sykmeldte | 3 | 33,3 | 0,0 | 66,7 |" in text
    # all milestones: 3 on time, 1 late, 7 missing of 11
    assert "| Alle stoppunkter | 11 | 27,3 | 9,1 | 63,6 |" in text


def test_without_the_export_the_summary_says_compliance_cannot_be_measured(tmp_path):
    con = warehouse(tmp_path, "2014-03-10")
    figures = follow_up_figures(con)
    assert figures.compliance == [] and figures.ongoing_cases == 3  # P1, P2, P3 (P4 ended)
    assert "etterlevelse kan ikke måles" in "\n".join(markdown_lines(figures))
    section = follow_up_section(figures)
    assert len(section["tables"]) == 1 and "kan etterlevelsen ikke måles" in section["intro"]


def test_the_total_is_a_ratio_of_sums_rounded_half_up():
    rows = [
        {"passed": 1, "on_time": 1, "late": 0, "missing": 0, "masked": False},
        {"passed": 7, "on_time": 0, "late": 3, "missing": 4, "masked": False},
    ]
    # 1/8 = 12.5 %, 3/8 = 37.5 %, 4/8 = 50 %: never the average of 100 % and 0 %
    assert _total(rows) == {
        "passed": 8,
        "on_time_pct": Decimal("12.5"),
        "late_pct": Decimal("37.5"),
        "missing_pct": Decimal("50"),
    }
    assert _total([{**rows[0], "masked": True}]) is None
