"""SPEC section 2, one definition at a time, on data small enough to check by hand.

Calendar facts used below (2014): Q1 has 63 working days (1 January is a holiday); Q2 has 59
(Maundy Thursday 17.04, Good Friday 18.04, Easter Monday 21.04, 1 May, Ascension 29.05 and Whit
Monday 09.06 fall on weekdays; 17 May is a Saturday). 3 February 2014 is a Monday.
"""

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.errors import UserError
from tests.helpers import build, one

FULL_YEAR = ("2014-01-01", None)


def lost(con, quarter="2014K1", level="municipality", code="Alle", column="lost_workdays"):
    return one(
        con,
        f"SELECT {column} FROM sick_leave_quarterly "
        "WHERE quarter = ? AND scope_level = ? AND scope_code = ?",
        [quarter, level, code],
    )[0]


def test_easter_holidays_inside_a_spell_are_not_lost(tmp_path):
    # Mon 14.04 - Fri 25.04.2014: 10 weekdays, minus Maundy Thursday, Good Friday, Easter Monday.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-04-14", "2014-04-25", None, None)],
    )
    assert lost(con, "2014K2") == Decimal("7")


def test_norwegian_public_holidays_come_from_the_calendar(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 100, "2013-01-01", None)],
        [("p1", "SYK", "2013-01-02", "2013-01-02", None, None)],
        as_of="2013-12-31",
    )
    working = dict(con.execute("SELECT day::VARCHAR, is_working_day FROM core_calendar").fetchall())
    assert working["2013-05-17"] is False  # Constitution Day, a Friday
    assert working["2013-05-09"] is False  # Ascension Day
    assert working["2013-05-20"] is False  # Whit Monday
    assert working["2013-12-24"] is True  # Christmas Eve is not a public holiday
    assert working["2013-01-05"] is False  # Saturday
    # Q2 2013: April 21 (Easter Monday 01.04), May 19 (1, 9, 17, 20 May), June 20.
    assert one(con, "SELECT working_days FROM core_quarters WHERE quarter = '2013K2'")[0] == 60


def test_spell_crossing_a_quarter_is_split_by_its_working_days(tmp_path):
    # Mon 24.03 - Fri 04.04.2014: 24-28 March and 31 March in Q1 (6), 1-4 April in Q2 (4).
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-03-24", "2014-04-04", None, None)],
    )
    assert lost(con, "2014K1") == Decimal("6")
    assert lost(con, "2014K2") == Decimal("4")


def test_part_time_and_graded_spell(tmp_path):
    # 60 % position, 50 % sick for 10 working days: 0.6 x 0.5 x 10 = 3.0 of 0.6 x 63 = 37.8.
    con = build(
        tmp_path,
        [("p1", "U1", 60, *FULL_YEAR)],
        [("p1", "SYK", "2014-02-03", "2014-02-14", 50, None)],
    )
    assert lost(con) == Decimal("3")
    assert lost(con, column="possible_workdays") == Decimal("37.8")
    assert lost(con, column="sick_leave_pct") == Decimal("7.9")  # 7.936...
    assert lost(con, column="lost_workdays_graded") == Decimal("3")
    assert lost(con, column="graded_share_pct") == Decimal("100.0")


def test_empty_grade_means_full_absence(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-02-03", "2014-02-07", None, None)],
    )
    assert lost(con) == Decimal("5")
    assert lost(con, column="lost_workdays_graded") == Decimal("0")


def test_two_employments_count_separately_and_absence_without_unit_hits_both(tmp_path):
    # 60 % in U1 and 40 % in U2; five sick days without unit: 3.0 lost in U1, 2.0 in U2.
    con = build(
        tmp_path,
        [("p1", "U1", 60, *FULL_YEAR), ("p1", "U2", 40, *FULL_YEAR)],
        [("p1", "SYK", "2014-02-03", "2014-02-07", None, None)],
    )
    assert lost(con, level="unit", code="U1") == Decimal("3")
    assert lost(con, level="unit", code="U2") == Decimal("2")
    assert lost(con) == Decimal("5")
    assert lost(con, column="possible_workdays") == Decimal("63")
    assert lost(con, column="persons") == 1  # one person, two employments


def test_absence_with_unit_applies_only_to_the_employment_at_that_unit(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 60, *FULL_YEAR), ("p1", "U2", 40, *FULL_YEAR)],
        [("p1", "SYK", "2014-02-03", "2014-02-07", None, "U2")],
    )
    assert lost(con, level="unit", code="U2") == Decimal("2")
    assert lost(con, level="unit", code="U1") == Decimal("0")
    assert lost(con) == Decimal("2")


def test_employment_ending_inside_a_spell_stops_the_count_and_reports_the_rest(tmp_path):
    # Employment ends Wed 05.02: Mon-Wed lost (3); 06.02-14.02 (9 calendar days) count nowhere.
    con = build(
        tmp_path,
        [("p1", "U1", 100, "2014-01-01", "2014-02-05"), ("p2", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-02-03", "2014-02-14", None, None)],
    )
    assert lost(con) == Decimal("3")
    finding = one(
        con,
        "SELECT line, message FROM core_quality_findings WHERE rule = 'absence_outside_employment'",
    )
    assert finding[0] == 2
    assert finding[1].startswith("9 dag(er)")


def test_absence_with_no_day_inside_any_employment_is_an_error_finding(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 100, "2014-01-01", "2014-01-31"), ("p2", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "SYK", "2014-02-03", "2014-02-07", None, None),
            ("p2", "SYK", "2014-02-03", "2014-02-03", None, "U2"),
        ],
    )
    found = con.execute(
        "SELECT line, severity, rule FROM core_quality_findings ORDER BY line"
    ).fetchall()
    assert found == [
        (2, "error", "absence_without_employment"),
        (3, "error", "absence_without_employment"),
    ]
    assert lost(con) == Decimal("0")


def test_overlapping_spells_doctor_first_then_self_capped_at_the_position(tmp_path):
    # SYK 50 % Mon-Fri, EGM 100 % Wed-Thu: doctor 0.5 x 5 = 2.5; self fills the other half on
    # Wed and Thu = 1.0. Total 3.5, never more than 1 per day.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "SYK", "2014-02-03", "2014-02-07", 50, None),
            ("p1", "EGM", "2014-02-05", "2014-02-06", None, None),
        ],
    )
    assert lost(con, column="lost_workdays_doctor") == Decimal("2.5")
    assert lost(con, column="lost_workdays_self") == Decimal("1")
    assert lost(con) == Decimal("3.5")
    lines = con.execute(
        "SELECT line FROM core_quality_findings WHERE rule = 'spell_overlap' ORDER BY line"
    ).fetchall()
    assert lines == [(2,), (3,)]


def test_two_full_doctor_spells_on_the_same_days_count_once(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 80, *FULL_YEAR)],
        [
            ("p1", "SYK", "2014-02-03", "2014-02-07", None, None),
            ("p1", "SYK", "2014-02-03", "2014-02-07", None, None),
        ],
    )
    assert lost(con) == Decimal("4")  # 0.8 x 5, not 8


def test_sixteen_days_is_short_term_and_seventeen_is_long_term(tmp_path):
    # p1: 03.02-18.02 = 16 calendar days, 12 working days. p2: 03.02-19.02 = 17 days, 13 working.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR), ("p2", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "SYK", "2014-02-03", "2014-02-18", None, None),
            ("p2", "SYK", "2014-02-03", "2014-02-19", None, None),
        ],
    )
    assert lost(con, column="lost_workdays_short") == Decimal("12")
    assert lost(con, column="lost_workdays_long") == Decimal("13")
    assert lost(con) == Decimal("25")  # short + long = total
    bands = dict(
        con.execute("SELECT duration_days, duration_band FROM core_case_durations").fetchall()
    )
    assert bands == {16: "B", 17: "C"}


def test_every_duration_band_boundary_from_the_code_table(tmp_path):
    # NAV's bands (schemas/duration_bands.yaml): A 1-7, B 8-16, C 17-56 (8 weeks), D 57-140
    # (20 weeks), E 141-273 (39 weeks), F from 274 days. One person per duration, each spell from
    # Monday 06.01.2014 through the day that makes the duration, e.g. 7 days: 06.01-12.01.
    durations = [7, 8, 56, 57, 140, 141, 273, 274]
    start = dt.date(2014, 1, 6)
    con = build(
        tmp_path,
        [(f"p{d}", "U1", 100, *FULL_YEAR) for d in durations],
        [
            (f"p{d}", "SYK", f"{start:%Y-%m-%d}", f"{start + dt.timedelta(days=d - 1):%Y-%m-%d}")
            + (None, None)
            for d in durations
        ],
    )
    rows = con.execute(
        "SELECT duration_days, duration_band, is_long_term FROM core_case_durations ORDER BY 1"
    ).fetchall()
    assert rows == [
        (7, "A", False),
        (8, "B", False),
        (56, "C", True),
        (57, "D", True),
        (140, "D", True),
        (141, "E", True),
        (273, "E", True),
        (274, "F", True),
    ]


def test_self_certified_then_doctor_certified_next_day_is_one_case(tmp_path):
    # EGM 03.02-05.02, SYK from the next day 06.02-19.02: one case of 17 days -> long-term.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "EGM", "2014-02-03", "2014-02-05", None, None),
            ("p1", "SYK", "2014-02-06", "2014-02-19", None, None),
        ],
    )
    assert one(con, "SELECT count(*), max(duration_days) FROM core_cases") == (1, 17)
    assert lost(con, column="lost_workdays_self") == Decimal("3")
    assert lost(con, column="lost_workdays_doctor") == Decimal("10")
    assert lost(con, column="lost_workdays_long") == Decimal("13")
    assert lost(con, column="lost_workdays_short") == Decimal("0")


def test_a_day_without_sick_leave_between_spells_starts_a_new_case(tmp_path):
    # EGM 03.02-05.02, gap on 06.02, SYK 07.02-19.02 (13 days): two short cases.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "EGM", "2014-02-03", "2014-02-05", None, None),
            ("p1", "SYK", "2014-02-07", "2014-02-19", None, None),
        ],
    )
    assert one(con, "SELECT count(*) FROM core_cases")[0] == 2
    assert lost(con, column="lost_workdays_long") == Decimal("0")
    assert lost(con, column="lost_workdays_short") == Decimal("12")


def test_spell_running_past_the_as_of_date_counts_only_days_so_far(tmp_path):
    # As of Mon 30.06.2014; SYK 23.06-11.07: 23-27 June and 30 June = 6 days lost so far; the
    # case has lasted 8 days, so it is short-term for now; no 2014K3 exists yet.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-06-23", "2014-07-11", None, None)],
        as_of="2014-06-30",
    )
    assert lost(con, "2014K2") == Decimal("6")
    assert lost(con, "2014K2", column="lost_workdays_short") == Decimal("6")
    assert one(con, "SELECT max(quarter) FROM quarters")[0] == "2014K2"
    assert one(con, "SELECT duration_days FROM core_cases")[0] == 8


def test_as_of_inside_a_quarter_marks_it_incomplete_and_open_employment_stops_there(tmp_path):
    # As of Thu 15.05.2014: Q2 so far = April (19) + 1-15 May minus 1 May (10) = 29 working days.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-01-06", "2014-01-06", None, None)],
        as_of="2014-05-15",
    )
    assert one(con, "SELECT is_complete FROM quarters WHERE quarter = '2014K2'")[0] is False
    assert one(con, "SELECT is_complete FROM quarters WHERE quarter = '2014K1'")[0] is True
    assert lost(con, "2014K2", column="possible_workdays") == Decimal("29")
    ytd = one(
        con,
        "SELECT is_complete FROM sick_leave_periods WHERE period_type = "
        "'year_to_date' AND period = '2014K2' AND scope_level = 'municipality'",
    )
    assert ytd == (False,)


def test_quarters_start_with_the_first_quarter_that_has_absence_data(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 100, "2013-01-01", None)],
        [("p1", "SYK", "2013-05-02", "2013-05-03", None, None)],
        as_of="2013-12-31",
    )
    quarters = [q for (q,) in con.execute("SELECT quarter FROM quarters ORDER BY 1").fetchall()]
    assert quarters == ["2013K2", "2013K3", "2013K4"]


def test_codes_that_are_not_sick_leave_count_nowhere(tmp_path):
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [
            ("p1", "BARN", "2014-02-03", "2014-02-04", None, None),
            ("p1", "FERIE", "2014-02-10", "2014-02-14", None, None),
            ("p1", "EGM", "2014-02-17", "2014-02-17", None, None),
        ],
    )
    assert lost(con) == Decimal("1")


def test_year_is_a_ratio_of_sums_not_an_average_of_quarters(tmp_path):
    # Q1: 6 lost of 63 (9.5 %). Q2: 0 lost of 2 x 59 = 118 (0.0 %). Average of the two would be
    # 4.8; the official figure is 6 / 181 = 3.3 %.
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR), ("p2", "U1", 100, "2014-04-01", None)],
        [("p1", "SYK", "2014-02-03", "2014-02-10", None, None)],
        as_of="2014-06-30",
    )
    assert lost(con, "2014K1", column="sick_leave_pct") == Decimal("9.5")
    assert lost(con, "2014K2", column="sick_leave_pct") == Decimal("0.0")
    year = one(
        con,
        "SELECT sick_leave_pct, possible_workdays, lost_workdays "
        "FROM sick_leave_periods WHERE period_type = 'year' AND period = '2014' "
        "AND scope_level = 'municipality'",
    )
    assert year == (Decimal("3.3"), Decimal("181"), Decimal("6"))


def test_persons_are_employees_with_possible_workdays(tmp_path):
    # p3's employment covers only a weekend: no possible workdays, not a person in the figures.
    con = build(
        tmp_path,
        [
            ("p1", "U1", 100, *FULL_YEAR),
            ("p2", "U1", 20, *FULL_YEAR),
            ("p3", "U1", 100, "2014-02-01", "2014-02-02"),
        ],
        [("p1", "EGM", "2014-02-03", "2014-02-03", None, None)],
        as_of="2014-03-31",
    )
    assert lost(con, column="persons") == 2


def test_persons_in_a_period_are_counted_once_whatever_quarters_they_are_in(tmp_path):
    # a: 1st quarter only; b: 2nd and 3rd; c: 1st and 4th (a gap); d: 4th only, at another unit.
    con = build(
        tmp_path,
        [
            ("a", "U1", 100, "2014-01-01", "2014-03-31"),
            ("b", "U1", 100, "2014-04-01", "2014-09-30"),
            ("c", "U1", 100, "2014-01-01", "2014-03-31"),
            ("c", "U1", 100, "2014-10-01", None),
            ("d", "U2", 100, "2014-10-01", None),
        ],
        [("a", "EGM", "2014-01-06", "2014-01-06", None, None)],
    )
    persons = dict(
        con.execute(
            "SELECT period_type || ':' || period || ':' || scope_code, persons "
            "FROM sick_leave_periods WHERE scope_level IN ('municipality', 'unit')"
        ).fetchall()
    )
    assert persons["quarter:2014K1:Alle"] == 2  # a, c
    assert persons["quarter:2014K3:Alle"] == 1  # b
    assert persons["year_to_date:2014K2:Alle"] == 3  # a, b, c
    assert persons["year_to_date:2014K3:Alle"] == 3  # b is in two of its quarters: once
    assert persons["year:2014:Alle"] == 4  # c is in two quarters with a gap: once
    assert persons["rolling_four_quarters:2014K4:Alle"] == 4
    assert persons["year:2014:U1"] == 3 and persons["year:2014:U2"] == 1


def test_report_window_longer_than_the_marts_hold_is_refused_with_a_sentence(tmp_path):
    with pytest.raises(UserError, match=r"går tilbake til 02\.01\.1980: 140 kvartaler"):
        build(
            tmp_path,
            [("a", "U1", 100, "1980-01-01", None)],
            [("a", "EGM", "1980-01-02", "1980-01-02", None, None)],
        )


def test_unit_moving_to_another_sector_counts_where_it_belonged_each_day(tmp_path):
    org = [
        ("U1", "Enhet 1", "S1", "Sektor 1", None, "2014-03-31"),
        ("U1", "Enhet 1", "S2", "Sektor 2", "2014-04-01", None),
    ]
    con = build(
        tmp_path,
        [("p1", "U1", 100, *FULL_YEAR)],
        [("p1", "SYK", "2014-03-31", "2014-04-01", None, None)],
        org=org,
        as_of="2014-06-30",
    )
    assert lost(con, "2014K1", "sector", "S1") == Decimal("1")
    assert lost(con, "2014K2", "sector", "S2") == Decimal("1")
    assert (
        one(
            con,
            "SELECT count(*) FROM sick_leave_quarterly WHERE quarter = '2014K2' "
            "AND scope_code = 'S1'",
        )[0]
        == 0
    )


def test_unit_with_four_persons_is_masked_and_five_is_shown(tmp_path):
    employments = [(f"a{i}", "U1", 100, *FULL_YEAR) for i in range(4)]
    employments += [(f"b{i}", "U2", 100, *FULL_YEAR) for i in range(5)]
    con = build(
        tmp_path,
        employments,
        [
            ("a0", "SYK", "2014-02-03", "2014-02-07", None, None),
            ("b0", "SYK", "2014-02-03", "2014-02-07", None, None),
        ],
        as_of="2014-03-31",
        mask_threshold=5,
    )
    masked = one(
        con,
        "SELECT is_masked, sick_leave_pct, lost_workdays, possible_workdays, persons "
        "FROM sick_leave_quarterly WHERE scope_code = 'U1'",
    )
    assert masked == (True, None, None, None, None)
    shown = one(
        con,
        "SELECT is_masked, sick_leave_pct, persons FROM sick_leave_quarterly "
        "WHERE scope_code = 'U2'",
    )
    assert shown == (False, Decimal("1.6"), 5)  # 5 / 315 = 1.587
    assert lost(con, column="persons") == 9


def test_period_is_masked_only_when_even_its_largest_quarter_is_small(tmp_path):
    # Four persons in Q1, a fifth joins in Q2: Q1 masked, Q2 shown, the year shown.
    employments = [(f"a{i}", "U1", 100, *FULL_YEAR) for i in range(4)]
    employments.append(("a4", "U1", 100, "2014-04-01", None))
    con = build(
        tmp_path,
        employments,
        [("a0", "SYK", "2014-02-03", "2014-02-07", None, None)],
        as_of="2014-06-30",
        mask_threshold=5,
    )
    flags = dict(
        con.execute(
            "SELECT period_type || ':' || period, is_masked FROM "
            "sick_leave_periods WHERE scope_code = 'U1'"
        ).fetchall()
    )
    assert flags["quarter:2014K1"] is True
    assert flags["quarter:2014K2"] is False
    assert flags["year:2014"] is False


@pytest.mark.parametrize(
    ("lost_value", "possible", "expected"),
    [
        ("455", "10000", Decimal("4.6")),
        ("0.5555", "1", Decimal("55.6")),
        ("1.01", "1.02", Decimal("99.0")),
        ("0.0005", "1", Decimal("0.1")),
        ("0.0004", "1", Decimal("0.0")),
        ("5", "0", None),
        # a hair either side of a tie: floating point alone cannot tell these apart
        ("0.45499999", "10", Decimal("4.5")),
        ("0.45500001", "10", Decimal("4.6")),
        ("1234567.45", "24691349", Decimal("5.0")),  # exactly 4.99999998...: not a tie
        ("123456.75", "2469135", Decimal("5.0")),  # exactly 4.99999999...
    ],
)
def test_sick_leave_pct_macro_rounds_half_up_on_exact_decimals(
    tmp_path, lost_value, possible, expected
):
    import duckdb

    from pipeline.sqlproject import create_macros

    con = duckdb.connect()
    create_macros(con)
    result = con.execute(f"SELECT sick_leave_pct({lost_value}, {possible})").fetchone()[0]
    assert result == expected
    # Doubles from an analyst's own query give the same official figure.
    as_double = con.execute(
        f"SELECT sick_leave_pct({lost_value}::DOUBLE, {possible}::DOUBLE)"
    ).fetchone()[0]
    assert as_double == expected


def test_sick_leave_pct_macro_equals_exact_half_up_on_ties_and_near_ties():
    """The macro takes a floating-point shortcut away from rounding boundaries; on exact ties,
    a hundred-millionth either side of them and ordinary values it must give exactly Python's
    Decimal ROUND_HALF_UP of 100 * lost / possible."""
    import random
    from decimal import ROUND_HALF_UP

    import duckdb

    from pipeline.sqlproject import create_macros

    rng = random.Random(7)
    step = Decimal("0.00000001")
    pairs = []
    for _ in range(3000):
        possible = Decimal(rng.randint(1, 10**9)) * 8 * step * 10**3  # up to 8 million workdays
        tie = (Decimal(rng.randint(0, 999)) + Decimal("0.5")) * possible / 1000
        pairs += [(tie, possible), (tie - step, possible), (tie + step, possible)]
        pairs.append((Decimal(rng.randint(0, 10**14)) * step, possible))
    con = duckdb.connect()
    create_macros(con)
    con.execute("CREATE TABLE t (lost DECIMAL(20, 8), possible DECIMAL(20, 8))")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(str(a), str(b)) for a, b in pairs])
    got = con.execute("SELECT lost, possible, sick_leave_pct(lost, possible) FROM t").fetchall()
    wrong = [
        (lost, possible, pct)
        for lost, possible, pct in got
        if pct != (100 * lost / possible).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    ]
    assert len(got) == 12000 and wrong == []
