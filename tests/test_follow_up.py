"""Follow-up milestones (SPEC 2c) on tiny cases whose dates a person can check with a calendar.

Day N of a case falls due on its first day + (N - 1); the leader is told, and the activity's
deadline is, the first working day on or after that day.

2014 calendar used below: Fri 7 March, Sun 9 March, Mon 10 March; Mon 6 January; Sun 2 February,
Mon 3 February; Sun 23 February, Mon 24 February; Sun 2 March, Mon 3 March; Thu 1 May (public
holiday, Labour Day), Fri 2 May.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipeline.follow_up import DEFAULT_MILESTONES, follow_up_config
from pipeline.indicators import evaluate_indicators
from pipeline.plan import load_plan
from pipeline.profile import DEFAULT_PROFILE
from tests.helpers import build

D = dt.date.fromisoformat

EMPLOYMENTS = [
    ("P1", "U1", 100, "2010-01-01", None),
    ("P2", "U1", 100, "2010-01-01", None),
    ("P3", "U1", 100, "2010-01-01", None),
    ("P4", "U2", 100, "2010-01-01", None),
    ("P5", "U3", 100, "2010-01-01", None),
]
ABSENCES = [
    # P1: self-certified from Friday 7 March, chained into a doctor's note from Monday 10 March
    ("P1", "EGM", "2014-03-07", "2014-03-09", None, None),
    ("P1", "SYK", "2014-03-10", "2014-03-31", None, None),
    # P2: graded (50 %) from Monday 6 January; P3: fully off work from the same day
    ("P2", "SYK", "2014-01-06", "2014-03-31", 50, None),
    ("P3", "SYK", "2014-01-06", "2014-03-31", None, None),
    # P4: from Monday 3 February to Saturday 1 March: day 27, the day before the 4-week plan
    ("P4", "SYK", "2014-02-03", "2014-03-01", None, None),
]


def organisation(leaders: dict[str, str | None]) -> pd.DataFrame:
    units = [
        ("U1", "Enhet 1", "S1", "Sektor 1"),
        ("U2", "Enhet 2", "S2", "Sektor 2"),
        ("S2", "Sektor 2 stab", "S2", "Sektor 2"),  # the sector's own row: its leader
        ("U3", "Enhet 3", "S3", "Sektor 3"),
    ]
    return pd.DataFrame(
        [
            {
                "unit_code": u,
                "unit_name": n,
                "sector_code": s,
                "sector_name": sn,
                "valid_from": None,
                "valid_to": None,
                "source_file": "o.csv",
                "source_line": i + 2,
                "leader": leaders.get(u),
            }
            for i, (u, n, s, sn) in enumerate(units)
        ]
    )


LEADERS = {"U1": "leder.u1@kommune.no", "S2": "sjef.s2@kommune.no"}


def activities(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "person_key": p,
                "activity_code": code,
                "activity_date": D(day),
                "source_file": "oppf.csv",
                "source_line": i + 2,
            }
            for i, (p, code, day) in enumerate(rows)
        ]
    )


P3_ACTIVITIES = [
    ("P3", "KONTAKT", "2014-01-07"),  # early: contact is due Wed 8 January
    ("P3", "TILRETTELEGGING", "2014-01-10"),  # on the due day (Fri 10 January)
    ("P3", "OPPFPLAN", "2014-02-03"),  # due Sun 2 Feb, so Monday's deadline is met
    ("P3", "DIALOG1", "2014-02-28"),  # due Sun 23 Feb, deadline Mon 24 Feb: late
    # no AKTIVITET: activity requirement (Sun 2 March, deadline Mon 3 March) missing
    ("P2", "KONTAKT", "2014-01-02"),  # before P2's case began: belongs to no case
]


def warehouse(tmp_path, as_of: str, follow_up: list | None = None, absences=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    extra = {"stg_organisation": organisation(LEADERS)}
    if follow_up is not None:
        extra["stg_follow_up_activities"] = activities(follow_up)
    return build(tmp_path, EMPLOYMENTS, absences or ABSENCES, as_of=as_of, extra_frames=extra)


def milestones(con, person: str) -> dict[str, tuple]:
    rows = con.execute(
        """
        SELECT m.milestone_id, m.due_date, m.deadline, m.applies, m.is_passed,
            m.due_within_days, m.outcome
        FROM core_follow_up_milestones AS m JOIN core_persons AS n USING (person_id)
        WHERE n.person_key = ?
        """,
        [person],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_the_milestone_table_is_data_with_the_laws_days():
    config = follow_up_config(DEFAULT_PROFILE)
    days = {m.id: m.day for m in config.milestones}
    assert days == {
        "contact": 3,
        "adapted_work": 5,
        "employer_period_over": 17,
        "follow_up_plan": 28,
        "dialogue_meeting_1": 49,
        "activity_requirement": 56,
        "dialogue_meeting_2": 182,
        "nav_39_week_letter": 273,
        "sick_pay_ends": 364,
    }
    assert [m.id for m in config.milestones if m.fully_absent_only] == ["dialogue_meeting_1"]
    assert config.activities["OPPFPLAN"] == "follow_up_plan"


def test_friday_case_day_3_is_sunday_and_the_leader_is_told_monday(tmp_path):
    con = warehouse(tmp_path, "2014-03-07")
    p1 = milestones(con, "P1")
    # due, deadline (= the day the leader is told), applies, passed, days ahead, outcome
    assert p1["contact"] == (D("2014-03-09"), D("2014-03-10"), True, False, 2, None)
    # on Friday only the self-certified spell to Sunday is known: day 5 is not reached by it
    assert p1["adapted_work"][4] is None


def test_egm_chained_into_syk_is_one_case_counted_from_the_first_egm_day(tmp_path):
    con = warehouse(tmp_path, "2014-03-10")
    cases = con.execute(
        "SELECT case_from, case_to, is_ongoing FROM core_follow_up_cases "
        "JOIN core_persons USING (person_id) WHERE person_key = 'P1'"
    ).fetchall()
    assert cases == [(D("2014-03-07"), D("2014-03-10"), True)]
    p1 = milestones(con, "P1")
    assert p1["contact"][:5] == (D("2014-03-09"), D("2014-03-10"), True, True, None)
    assert p1["adapted_work"][0] == D("2014-03-11") and p1["adapted_work"][4] == 1
    # day 17 (NAV takes over) is Sunday 23 March: 13 days ahead, told Monday 24 March
    assert p1["employer_period_over"][:2] == (D("2014-03-23"), D("2014-03-24"))
    assert p1["employer_period_over"][4] == 13


def test_graded_case_gets_no_dialogue_meeting_1(tmp_path):
    con = warehouse(tmp_path, "2014-03-10")
    graded, full = milestones(con, "P2"), milestones(con, "P3")
    assert graded["dialogue_meeting_1"][2:4] == (False, False)
    assert full["dialogue_meeting_1"][:4] == (D("2014-02-23"), D("2014-02-24"), True, True)
    # the other milestones apply to both
    assert graded["activity_requirement"][2:4] == (True, True)


def test_case_ending_the_day_before_a_milestone_never_reaches_it(tmp_path):
    # while it runs: the plan (day 28, Sun 2 March) is 5 days ahead, but the sick note ends on
    # Saturday 1 March, so it is no milestone to prepare
    running = milestones(warehouse(tmp_path / "a", "2014-02-25"), "P4")
    assert running["follow_up_plan"][0] == D("2014-03-02")
    assert running["follow_up_plan"][4] is None
    ended = milestones(warehouse(tmp_path / "b", "2014-03-10"), "P4")
    assert ended["follow_up_plan"][3] is False
    assert ended["employer_period_over"][3] is True  # day 17 (Wed 19 Feb) was reached


def test_as_of_on_a_public_holiday(tmp_path):
    absences = [("P5", "SYK", "2014-04-29", "2014-05-31", None, None)]
    con = warehouse(tmp_path, "2014-05-01", follow_up=[], absences=absences)
    p5 = milestones(con, "P5")
    # day 3 is Thursday 1 May (Labour Day) = the as-of date: passed, the leader is told Friday
    # 2 May, and with nothing registered yet it is pending, not overdue
    assert p5["contact"] == (D("2014-05-01"), D("2014-05-02"), True, True, None, None)
    status = con.execute(
        "SELECT action_status FROM core_follow_up_actions WHERE milestone_id = 'contact'"
    ).fetchall()
    assert status == [("due_now",)]


def test_activities_early_on_time_late_and_missing(tmp_path):
    con = warehouse(tmp_path, "2014-03-10", follow_up=P3_ACTIVITIES)
    p3 = {k: v[5] for k, v in milestones(con, "P3").items() if v[3]}
    assert p3 == {
        "contact": "on_time",  # early counts as on time
        "adapted_work": "on_time",
        "employer_period_over": None,  # NAV's step: nothing is expected of the employer
        "follow_up_plan": "on_time",
        "dialogue_meeting_1": "late",
        "activity_requirement": "missing",
    }
    # the contact registered before P2's case began does not count for it
    assert milestones(con, "P2")["contact"][5] == "missing"


def test_compliance_per_quarter_counts_on_time_late_missing(tmp_path):
    con = warehouse(tmp_path, "2014-03-10", follow_up=P3_ACTIVITIES)
    rows = con.execute(
        """
        SELECT milestone_id, cases_passed, on_time, late, missing, on_time_pct
        FROM follow_up_compliance
        WHERE quarter = '2014K1' AND scope_level = 'unit' AND scope_code = 'U1'
        ORDER BY milestone_no
        """
    ).fetchall()
    assert [tuple(map(str, r)) for r in rows] == [
        # P2 missing, P3 on time (P1's contact deadline is the as-of day: pending, not counted)
        ("contact", "2", "1", "0", "1", "50.0"),
        ("adapted_work", "2", "1", "0", "1", "50.0"),
        ("follow_up_plan", "2", "1", "0", "1", "50.0"),
        ("dialogue_meeting_1", "1", "0", "1", "0", "0.0"),  # P2 is graded: not counted
        ("activity_requirement", "2", "0", "0", "2", "0.0"),
        ("dialogue_meeting_2", "0", "0", "0", "0", "None"),
    ]
    municipality = con.execute(
        "SELECT sum(cases_passed) FROM follow_up_compliance WHERE quarter = '2014K1' "
        "AND scope_level = 'municipality'"
    ).fetchone()[0]
    # U1's 9 and P4's contact and adapted work (U2, missing)
    assert municipality == 11


def test_no_compliance_without_the_follow_up_export(tmp_path):
    con = warehouse(tmp_path, "2014-03-10")
    assert con.execute("SELECT count(*) FROM follow_up_compliance").fetchone() == (0,)


def test_status_counts_ongoing_cases_by_last_milestone_and_due_next_days(tmp_path):
    con = warehouse(tmp_path, "2014-03-10")
    rows = con.execute(
        """
        SELECT milestone_id, ongoing_cases_last_passed, cases_due_next_7_days,
            cases_due_next_14_days
        FROM follow_up_status WHERE scope_level = 'unit' AND scope_code = 'U1'
            AND (ongoing_cases_last_passed > 0 OR cases_due_next_14_days > 0)
        ORDER BY milestone_no
        """
    ).fetchall()
    assert rows == [
        ("contact", 1, 0, 0),  # P1 (day 4)
        ("adapted_work", 0, 1, 1),  # P1's day 5 tomorrow
        ("employer_period_over", 0, 0, 1),  # P1's day 17 in 13 days
        ("activity_requirement", 2, 0, 0),  # P2 and P3 (day 64)
    ]


def test_small_groups_are_masked(tmp_path):
    extra = {"stg_organisation": organisation(LEADERS)}
    con = build(
        tmp_path, EMPLOYMENTS, ABSENCES, as_of="2014-03-10", mask_threshold=2, extra_frames=extra
    )
    u2 = con.execute(
        "SELECT DISTINCT is_masked, persons, ongoing_cases_last_passed FROM follow_up_status "
        "WHERE scope_code = 'U2'"
    ).fetchall()
    assert u2 == [(True, None, None)]  # one person in U2
    u1 = con.execute(
        "SELECT DISTINCT is_masked, persons FROM follow_up_status WHERE scope_code = 'U1'"
    ).fetchall()
    assert u1 == [(False, 3)]


@pytest.mark.parametrize(
    ("person", "leader"),
    [("P1", "leder.u1@kommune.no"), ("P4", "sjef.s2@kommune.no")],
)
def test_leader_is_the_units_then_the_sectors(tmp_path, person, leader):
    con = warehouse(tmp_path, "2014-03-10")
    got = con.execute(
        "SELECT leader FROM core_follow_up_cases JOIN core_persons USING (person_id) "
        "WHERE person_key = ?",
        [person],
    ).fetchone()
    assert got == (leader,)


FOLLOW_UP_PLAN = """\
name: Testplan
municipality: Testkommune
target_groups:
  - id: ledere
    name: Ledere
    benefits:
      - id: oppfolging
        name: Lederne følger opp de sykmeldte
        type: qualitative
        owner: Personalsjef
        indicators:
          - id: egenmeldte_tilfeller
            name: Tilfeller med bare egenmelding
            measure: self_certified_case_share
            scope: municipality
            direction: min
            unit: prosent
            targets:
              2014: 90
            data_source: Agresso
            owner: Personalsjef
          - id: oppfolgingsplan_i_tide
            name: Oppfølgingsplan i tide, enhet 1
            measure: follow_up_on_time_pct
            milestone: follow_up_plan
            scope: {unit: "U1"}
            direction: min
            unit: prosent
            targets:
              2014: 100
            data_source: Oppfølgingsuttrekket
            owner: Leder enhet 1
          - id: oppfolging_i_tide
            name: Oppfølging i tide, alle stoppunkter
            measure: follow_up_on_time_pct
            scope: municipality
            direction: min
            unit: prosent
            targets:
              2014: 80
            data_source: Oppfølgingsuttrekket
            owner: Personalsjef
"""


def test_plan_measures_self_certified_case_share_and_follow_up_on_time(tmp_path):
    egm_only = [("P5", "EGM", "2014-02-10", "2014-02-12", None, None)]
    con = warehouse(tmp_path / "wh", "2014-03-10", P3_ACTIVITIES, absences=ABSENCES + egm_only)
    con.close()
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(FOLLOW_UP_PLAN, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "wh" / "internal.duckdb"))
    evaluate_indicators(con, load_plan(plan_path), "2014K1", 1)
    rows = con.execute(
        "SELECT indicator_id, CAST(value AS VARCHAR), status FROM indicator_status "
        "WHERE period_type = 'quarter' AND period = '2014K1' ORDER BY indicator_id"
    ).fetchall()
    assert rows == [
        # 1 of the 5 cases begun in 2014K1 (P5's) is only self-certified
        ("egenmeldte_tilfeller", "20.0", "not_met"),
        # all milestones: 3 on time of 12 judged (U1: 9, P4's two in U2, P5's contact in U3)
        ("oppfolging_i_tide", "25.0", "not_met"),
        # U1's follow-up plans: P3 on time, P2 missing
        ("oppfolgingsplan_i_tide", "50.0", "not_met"),
    ]


def test_a_municipality_adds_its_own_step_without_code(tmp_path, monkeypatch):
    """A copy of the profile names its own milestones file with one more step (day 10)."""
    from pipeline.profile import load_profile

    steps = tmp_path / "egne_stoppunkter.yaml"
    steps.write_text(
        DEFAULT_MILESTONES.read_text(encoding="utf-8")
        + "  - id: hr_talk\n    day: 10\n    label: Samtale med HR\n"
        "    source: Kommunens rutine\n    activity: contact\n",
        encoding="utf-8",
    )
    profile_path = tmp_path / "profil.yaml"
    profile_path.write_text(
        DEFAULT_PROFILE.read_text(encoding="utf-8").replace(
            "milestones: ../follow_up_milestones.yaml", f"milestones: {steps.name}"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr("tests.helpers.load_profile", lambda: load_profile(profile_path))
    p1 = milestones(warehouse(tmp_path / "wh", "2014-03-10"), "P1")
    # P1's case began Friday 7 March: day 10 is Sunday 16 March, told Monday 17 March
    assert p1["hr_talk"][:2] == (D("2014-03-16"), D("2014-03-17"))
    assert p1["hr_talk"][4] == 6


def test_units_add_up_to_their_sector_and_sectors_to_the_municipality(tmp_path):
    con = warehouse(tmp_path, "2014-03-10", follow_up=P3_ACTIVITIES)
    for table, measure in [
        ("follow_up_status", "ongoing_cases_last_passed"),
        ("follow_up_status", "cases_due_next_14_days"),
        ("follow_up_compliance", "cases_passed"),
    ]:
        sums = dict(
            con.execute(
                f"SELECT scope_level, sum({measure}) FROM {table} GROUP BY scope_level"
            ).fetchall()
        )
        assert sums["unit"] == sums["sector"] == sums["municipality"] > 0, (table, measure)
