"""The cost of sick leave (README «Hva sykefraværet koster»), on tiny inline data a person can
check by hand. G: 85 245 kr from 1 May 2013, 88 370 kr from 1 May 2014 (6G: 511 470 and
530 220 kr). Social costs: arbeidsgiveravgift 14.1 %, pension 0 (the defaults)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import cost, intake
from pipeline.indicators import evaluate_indicators
from pipeline.plan import load_plan
from pipeline.profile import load_profile
from tests.helpers import build, one

G2013 = Decimal(85245)
G2014 = Decimal(88370)
SOCIAL = Decimal("1.141")
CENT = Decimal("0.01")


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def kr(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def zones(con) -> list[tuple]:
    return con.execute(
        "SELECT chain_no, zone, CAST(zone_from AS VARCHAR), CAST(zone_to AS VARCHAR) "
        "FROM core_cost_zones ORDER BY zone_from"
    ).fetchall()


def municipality(con, period: str, table: str = "sick_leave_cost_periods") -> dict:
    where = "period = ?" if table.endswith("periods") else "quarter = ?"
    frame = con.execute(
        f"SELECT * FROM {table} WHERE scope_level = 'municipality' AND {where} "
        + ("AND period_type = 'year'" if table.endswith("periods") and len(period) == 4 else ""),
        [period],
    ).df()
    assert len(frame) == 1
    return frame.iloc[0].to_dict()


def test_full_time_600000_off_30_days_employer_period_then_refund_capped_at_6g(tmp_path):
    # Mon 3 March - Tue 1 April 2014, 30 calendar days. Employer period: the first 16 calendar
    # days, 3-18 March = 12 working days. NAV's days 19 March - 1 April = 10 working days, G in
    # force 85 245 (G changes on 1 May), 6G = 511 470 < 600 000: refund 511 470 / 600 000.
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2014-01-01", None, 600000)],
        [("P1", "SYK", "2014-03-03", "2014-04-01", None, None)],
    )
    assert zones(con) == [
        (1, "employer", "2014-03-03", "2014-03-18"),
        (1, "refunded", "2014-03-19", "2014-04-01"),
    ]
    day = Decimal(600000) / 260  # 2 307.69 kr a working day
    y = municipality(con, "2014")
    assert y["lost_workdays"] == 22
    assert kr(y["pay_lost_kr"]) == kr(22 * day)  # 50 769.23
    assert kr(y["employer_period_cost_kr"]) == kr(12 * day * SOCIAL)  # 31 596.92
    refund = 10 * day * 6 * G2013 / 600000  # 19 671.92
    assert kr(y["expected_refund_kr"]) == kr(refund)
    assert kr(y["social_costs_kr"]) == kr(22 * day * Decimal("0.141"))
    assert kr(y["net_cost_kr"]) == kr(22 * day * SOCIAL - refund)  # 38 255.77
    assert y["nav_estimate_kr"] == 22 * 4700
    assert y["pay_coverage_pct"] == 100


def test_spells_10_days_apart_are_one_chain_20_days_apart_two(tmp_path):
    # 6-15 January (10 sick days), back at work 16-25 January (10 days < 16), then 26 January -
    # 9 February (15 days): one chain, whose 16 first sick days are 6-15 and 26-31 January.
    one_chain = build(
        folder(tmp_path, "a"),
        [("P1", "U1", 100, "2013-01-01", None, 500000)],
        [
            ("P1", "SYK", "2014-01-06", "2014-01-15", None, None),
            ("P1", "SYK", "2014-01-26", "2014-02-09", None, None),
        ],
    )
    assert zones(one_chain) == [
        (1, "employer", "2014-01-06", "2014-01-15"),
        (1, "employer", "2014-01-26", "2014-01-31"),
        (1, "refunded", "2014-02-01", "2014-02-09"),
    ]
    # Back at work 16 January - 4 February (20 days >= 16): a new employer period.
    two_chains = build(
        folder(tmp_path, "b"),
        [("P1", "U1", 100, "2013-01-01", None, 500000)],
        [
            ("P1", "SYK", "2014-01-06", "2014-01-15", None, None),
            ("P1", "EGM", "2014-02-05", "2014-02-07", None, None),
        ],
    )
    assert zones(two_chains) == [
        (1, "employer", "2014-01-06", "2014-01-15"),
        (2, "employer", "2014-02-05", "2014-02-07"),
    ]
    # Exactly 16 days back at work (16-31 January) is not "under 16": a new chain.
    sixteen = build(
        folder(tmp_path, "c"),
        [("P1", "U1", 100, "2013-01-01", None, 500000)],
        [
            ("P1", "SYK", "2014-01-06", "2014-01-15", None, None),
            ("P1", "SYK", "2014-02-01", "2014-02-28", None, None),
        ],
    )
    assert [z[:2] for z in zones(sixteen)] == [(1, "employer"), (2, "employer"), (2, "refunded")]


def test_graded_spell_costs_position_share_times_grade(tmp_path):
    # 80 % position at 400 000 kr, 50 % sick 3-28 March 2014 (26 days, 20 working days).
    # Lost workdays 0.8 x 0.5 x 20 = 8. Employer period 3-18 March: 12 working days, 4.8 lost.
    # Refunded 19-28 March: 8 working days, 3.2 lost; the person earns 320 000 < 6G: full refund.
    con = build(
        tmp_path,
        [("P1", "U1", 80, "2014-01-01", None, 400000)],
        [("P1", "SYK", "2014-03-03", "2014-03-28", 50, None)],
    )
    day = Decimal(400000) / 260
    q = municipality(con, "2014K1", "sick_leave_cost_quarterly")
    assert q["lost_workdays"] == 8
    assert kr(q["pay_lost_kr"]) == kr(8 * day)  # 12 307.69
    assert kr(q["employer_period_cost_kr"]) == kr(Decimal("4.8") * day * SOCIAL)
    assert kr(q["expected_refund_kr"]) == kr(Decimal("3.2") * day)  # 4 923.08


def test_two_employments_above_6g_together_share_the_cap(tmp_path):
    # 60 % at 600 000 (earns 360 000) and 40 % at 550 000 (earns 220 000): 580 000 together,
    # above 6G = 530 220 (G 88 370 from 1 May 2014). Sick 2-30 June 2014 on both (no unit).
    # Employer period 2-17 June; refunded 18-30 June = 9 working days. Each employment's pay lost
    # is refunded by 530 220 / 580 000, although each alone is below 6G.
    con = build(
        tmp_path,
        [
            ("P1", "U1", 60, "2014-01-01", None, 600000),
            ("P1", "U2", 40, "2014-01-01", None, 550000),
        ],
        [("P1", "SYK", "2014-06-02", "2014-06-30", None, None)],
    )
    ratio = 6 * G2014 / 580000
    refunded = one(
        con,
        "SELECT sum(working_days) FILTER (WHERE employment_id = 1), sum(expected_refund) "
        "FROM core_cost_nav_pieces WHERE zone = 'refunded'",
    )
    assert refunded[0] == 9
    first = 9 * Decimal("0.6") * 600000 / 260
    second = 9 * Decimal("0.4") * 550000 / 260
    assert kr(refunded[1]) == kr((first + second) * ratio)  # 11 392.30 + 7 615.57
    total = "SELECT DISTINCT total_pay FROM core_cost_nav_pieces WHERE zone = 'refunded'"
    assert one(con, total)[0] == 580000


def test_g_changing_on_1_may_inside_a_spell(tmp_path):
    # 600 000 kr, sick 1 April - 31 May 2014. Employer period 1-16 April; refunded 17 April -
    # 31 May. April: 17, 18 and 21 April are Easter holidays, so 22-25 and 28-30 April = 7 working
    # days at G 85 245. May: 22 weekdays less 1 May and Ascension Day (29 May) = 20 working days
    # at G 88 370 (6G = 530 220).
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2014-01-01", None, 600000)],
        [("P1", "SYK", "2014-04-01", "2014-05-31", None, None)],
    )
    rows = con.execute(
        "SELECT grunnbelop, sum(working_days), sum(expected_refund) FROM core_cost_nav_pieces "
        "WHERE zone = 'refunded' GROUP BY grunnbelop ORDER BY grunnbelop"
    ).fetchall()
    day = Decimal(600000) / 260
    assert [(r[0], r[1]) for r in rows] == [(G2013, 7), (G2014, 20)]
    assert kr(rows[0][2]) == kr(7 * day * 6 * G2013 / 600000)  # 13 770.35
    assert kr(rows[1][2]) == kr(20 * day * 6 * G2014 / 600000)  # 40 787.69


def test_unknown_pay_is_unknown_never_zero_and_one_finding_per_file(tmp_path):
    # P1 has no Årslønn, P2 earns 520 000; both sick 3-7 March 2014 (5 working days each).
    con = build(
        tmp_path,
        [
            ("P1", "U1", 100, "2014-01-01", None),
            ("P2", "U1", 100, "2014-01-01", None, 520000),
        ],
        [
            ("P1", "SYK", "2014-03-03", "2014-03-07", None, None),
            ("P2", "SYK", "2014-03-03", "2014-03-07", None, None),
        ],
    )
    q = municipality(con, "2014K1", "sick_leave_cost_quarterly")
    assert q["lost_workdays"] == 10 and q["lost_workdays_known_pay"] == 5
    assert q["pay_coverage_pct"] == 50
    assert kr(q["pay_lost_kr"]) == kr(5 * 2000)  # P2 only: 520 000 / 260 = 2 000 a day
    assert q["nav_estimate_kr"] == 10 * 4700  # needs no pay
    findings = con.execute(
        "SELECT file, severity, message FROM core_quality_findings "
        "WHERE rule = 'annual_pay_missing'"
    ).fetchall()
    assert len(findings) == 1 and findings[0][:2] == ("a.csv", "warning")
    assert findings[0][2].startswith("1 arbeidsforhold")
    # Nobody's pay known: the money is empty, not 0.
    none = build(
        folder(tmp_path, "none"),
        [("P1", "U1", 100, "2014-01-01", None)],
        [("P1", "SYK", "2014-03-03", "2014-03-07", None, None)],
    )
    q = municipality(none, "2014K1", "sick_leave_cost_quarterly")
    assert q["pay_coverage_pct"] == 0
    assert pd.isna(q["pay_lost_kr"]) and pd.isna(q["net_cost_kr"])


def test_unknown_pay_of_another_employment_makes_the_refund_unknown(tmp_path):
    # The 6G test needs the person's total pay: with one employment's pay unknown, the refund of
    # the other is unknown too, and so is its cost (coverage shows it).
    con = build(
        tmp_path,
        [
            ("P1", "U1", 50, "2014-01-01", None, 600000),
            ("P1", "U2", 50, "2014-01-01", None),
        ],
        [("P1", "SYK", "2014-03-03", "2014-04-01", None, "U1")],
    )
    # 3-18 March is the employer period (16 days): its 12 working days x 0.5 x 600 000 / 260 are
    # priced; 19 March - 1 April (10 working days) is NAV's and has no known refund.
    known = con.execute(
        "SELECT zone, bool_and(is_known) FROM core_cost_nav_pieces GROUP BY zone ORDER BY zone"
    ).fetchall()
    assert known == [("refunded", False)]
    q = con.execute(
        "SELECT lost_workdays, lost_workdays_known_pay, pay_lost, pay_lost_employer_period, "
        "expected_refund FROM core_cost_unit_quarter WHERE quarter = '2014K1'"
    ).fetchone()
    assert q[0] == Decimal("10.5") and q[1] == 6  # 21 working days in March x 0.5; 12 x 0.5 known
    assert kr(q[2]) == kr(q[3]) == kr(6 * Decimal(600000) / 260)  # 13 846.15, all employer's
    assert q[4] == 0


def test_no_refund_after_248_refunded_working_days_in_a_chain(tmp_path):
    # A low-paid person (full refund) sick from 2 January 2013 to 30 June 2014.
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2012-01-01", None, 260000)],
        [("P1", "SYK", "2013-01-02", "2014-06-30", None, None)],
        as_of="2014-06-30",
    )
    refunded_days, last_day = one(
        con,
        "SELECT sum(working_days), max(day_to) FROM core_cost_nav_pieces WHERE zone = 'refunded'",
    )
    assert refunded_days == 248
    after = "SELECT min(day_from) FROM core_cost_nav_pieces WHERE zone = 'after_maksdato'"
    after = one(con, after)[0]
    assert after > last_day
    refund = one(con, "SELECT sum(expected_refund) FROM core_cost_nav_pieces")[0]
    assert kr(refund) == kr(248 * 1000)  # 260 000 / 260 = 1 000 kr a day, fully refunded


def accounts(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "period": p,
                "unit_code": u,
                "art": a,
                "amount": amount,
                "source_file": "r.csv",
                "source_line": i + 2,
            }
            for i, (p, u, a, amount) in enumerate(rows)
        ]
    )
    frame = cost.with_period_month(frame)
    frame.insert(0, "account_row_id", range(1, len(frame) + 1))
    return frame


def test_booked_accounts_and_the_refund_gap_over_rolling_four_quarters(tmp_path):
    # The 30-day case above: expected refund 19 671.92 kr (2014K1 17 704.73, 2014K2 1 967.19).
    # Booked: substitute pay 9 000 + 1 000 in 2014K1 (art 020, and '20' as Excel writes it),
    # a refund of 5 000 in 2014K2 (art 710, negative as booked), other arts ignored.
    # A self-certified day in August 2013 starts the data there, so the rolling four quarters
    # to 2014K2 are complete (an incomplete period is never flagged); it costs no refund.
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2013-01-01", None, 600000)],
        [
            ("P1", "EGM", "2013-08-05", "2013-08-05", None, None),
            ("P1", "SYK", "2014-03-03", "2014-04-01", None, None),
        ],
        as_of="2014-06-30",
        extra_frames={
            "stg_accounts": accounts(
                [
                    ("2014-03", "U1", "020", 9000),
                    ("201403", "U1", "20", 1000),
                    ("2014-05", "U1", "710", -5000),
                    ("2014-05", "U1", "010", 77777),
                ]
            )
        },
    )
    q1 = municipality(con, "2014K1", "sick_leave_cost_quarterly")
    assert q1["substitute_pay_kr"] == 10000 and q1["booked_refund_kr"] == 0
    q2 = municipality(con, "2014K2", "sick_leave_cost_quarterly")
    assert q2["booked_refund_kr"] == 5000
    # Rolling four quarters ending 2014K2: expected 19 671.92, booked 5 000 -> gap 14 671.92,
    # 25.4 % booked, below the 80 % share: flagged.
    assert kr(q2["refund_gap_r4q_kr"]) == kr(Decimal("19671.92") - 5000)
    assert q2["refund_booked_r4q_pct"] == pytest.approx(25.4)
    assert bool(q2["is_refund_gap_flagged"])


def test_cost_lost_workdays_are_the_sick_leave_lost_workdays(tmp_path):
    con = build(
        tmp_path,
        [
            ("P1", "U1", 100, "2014-01-01", None, 500000),
            ("P2", "U2", 60, "2014-01-01", "2014-05-15", 450000),
            ("P3", "U1", 80, "2014-01-01", None, 390000),
        ],
        [
            ("P1", "SYK", "2014-02-20", "2014-04-10", 60, None),
            ("P1", "EGM", "2014-04-11", "2014-04-14", None, None),
            ("P2", "SYK", "2014-03-25", "2014-06-10", None, None),
            # never NAV's: the short way (core_lost_pieces), 0.8 x 3 days x 1 500 kr
            ("P3", "EGM", "2014-03-31", "2014-04-02", None, None),
        ],
    )
    differing = one(
        con,
        "SELECT count(*) FROM sick_leave_cost_periods AS c JOIN sick_leave_periods AS s "
        "USING (period_type, period, scope_level, scope_code) "
        "WHERE c.lost_workdays IS DISTINCT FROM s.lost_workdays",
    )[0]
    assert differing == 0
    p3 = "(SELECT person_id FROM core_persons WHERE person_key = 'P3')"
    nav_days = one(con, f"SELECT count(*) FROM core_cost_nav_pieces WHERE person_id = {p3}")[0]
    assert nav_days == 0  # all the employer's: priced from the lost workdays alone
    short = con.execute(
        "SELECT quarter, lost_self + lost_doctor FROM core_lost_pieces "
        f"WHERE person_id = {p3} ORDER BY quarter"
    ).fetchall()
    assert [(q, float(lost)) for q, lost in short] == [("2014K1", 0.8), ("2014K2", 1.6)]


def test_accounts_export_bad_rows_are_findings_and_good_rows_load(tmp_path):
    folder = tmp_path / "regnskap"
    folder.mkdir()
    path = folder / "regnskap_2014.csv"
    path.write_text(
        "Periode;Ansvar;Art;Beløp\r\n"
        "2014-03;2010;020;12 500,50\r\n"
        "201404;2010;710;-8 000\r\n"
        "2014-13;2010;020;100\r\n"  # no 13th month
        "2014-05;9999;020;100\r\n"  # unknown unit
        "2014-05;2010;020;tolv\r\n",  # not a number
        encoding="utf-8-sig",
    )
    lf = intake.read_and_validate(path, "accounts", load_profile(), b"k" * 32, {"2010"})
    assert lf.rows_loaded == 2
    assert sorted((f.line, f.column, f.rule) for f in lf.findings) == [
        (4, "Periode", "period_unparseable"),
        (5, "Ansvar", "unit_unknown"),
        (6, "Beløp", "number_unparseable"),
    ]
    staged = cost.accounts_staging_frame([lf], load_profile())
    assert staged["amount"].tolist() == [12500.50, -8000]
    assert [str(d.date()) for d in staged["period_month"]] == ["2014-03-01", "2014-04-01"]


@pytest.mark.parametrize("value", ["0", "-5"])
def test_employment_with_a_non_positive_annual_pay_is_quarantined(tmp_path, value):
    folder = tmp_path / "agresso"
    folder.mkdir()
    path = folder / "ansettelser.csv"
    path.write_text(
        "Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato;Årslønn\r\n"
        "10001;2010;100;01.01.2014;;520 000\r\n"
        f"10002;2010;100;01.01.2014;;{value}\r\n"
        "10003;2010;100;01.01.2014;;\r\n",
        encoding="utf-8-sig",
    )
    lf = intake.read_and_validate(path, "employments", load_profile(), b"k" * 32, {"2010"})
    assert lf.rows_loaded == 2
    assert [(f.line, f.column, f.rule) for f in lf.findings] == [
        (3, "Årslønn", "annual_pay_out_of_range")
    ]
    assert lf.frame["annual_pay"].isna().tolist() == [False, True]


def test_rates_come_from_schemas_and_the_profile(tmp_path):
    settings = cost.load_cost_settings(load_profile())
    assert settings.grunnbelop[pd.Timestamp("2014-05-01").date()] == 88370
    assert settings.employer_tax_pct == Decimal("14.1") and settings.pension_pct == 0
    assert settings.substitute_pay_arts == ("020",) and settings.refund_arts == ("710",)
    assert settings.nav_day_cost_default == 4700
    profile_path = Path(tmp_path / "p.yaml")
    text = load_profile().path.read_text(encoding="utf-8")
    profile_path.write_text(
        text.replace("employer_tax_pct: 14.1", "employer_tax_pct: 10.6"), encoding="utf-8"
    )
    assert cost.load_cost_settings(load_profile(profile_path)).employer_tax_pct == Decimal("10.6")


PLAN = """
name: Kostnadsplan
municipality: Testkommune
target_groups:
  - id: alle
    name: Alle ansatte
    benefits:
      - id: kostnader
        name: Kostnader ved sykefravær er redusert
        type: direct_budget
        owner: Rådmann
        indicators:
          - id: kostnad_redusert
            name: Kostnader ved sykefravær redusert fra 2013
            measure: sick_leave_cost_kr
            baseline_year: 2013
            scope: municipality
            direction: min
            unit: kroner
            targets:
              2014: 5000
            data_source: Agresso
            owner: Rådmann
          - id: vikarlonn
            name: Lønn til vikarer
            measure: substitute_cost_kr
            scope: municipality
            direction: max
            unit: kroner
            targets:
              2014: 100000
            data_source: Regnskap
            owner: Økonomisjef
"""


def test_plan_measures_in_kroner_and_the_reduction_from_a_base_year(tmp_path):
    # 520 000 kr (2 000 kr a working day), sick Mon-Fri 7-11 January 2013 and Mon-Tue 13-14
    # January 2014, both inside the employer period: net cost 5 x 2 000 x 1.141 = 11 410 kr in
    # 2013 and 2 x 2 000 x 1.141 = 4 564 kr in 2014, a reduction of 6 846 kr.
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2012-01-01", None, 520000)],
        [
            ("P1", "SYK", "2013-01-07", "2013-01-11", None, None),
            ("P1", "SYK", "2014-01-13", "2014-01-14", None, None),
        ],
        extra_frames={"stg_accounts": accounts([("2014-02", "U1", "020", 3000)])},
    )
    con.close()
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "internal.duckdb"))
    evaluate_indicators(con, load_plan(tmp_path / "plan.yaml"), "2014K4")

    def status(indicator, period_type, period):
        return con.execute(
            "SELECT value, target, status FROM indicator_status "
            "WHERE indicator_id = ? AND period_type = ? AND period = ?",
            [indicator, period_type, period],
        ).fetchone()

    assert status("kostnad_redusert", "year", "2014") == (Decimal("6846.0"), 5000, "met")
    # Rolling four quarters to 2014K4 against the whole of 2013; a quarter against the same
    # quarter of 2013, with a fourth of the year's target.
    assert status("kostnad_redusert", "rolling_four_quarters", "2014K4")[0] == Decimal("6846.0")
    assert status("kostnad_redusert", "quarter", "2014K1") == (Decimal("6846.0"), 1250, "met")
    assert status("kostnad_redusert", "quarter", "2014K2") == (Decimal("0.0"), 1250, "not_met")
    # The base year against itself: no reduction. Without a base year the amount itself, and a
    # yearly target in kroner shared out over the quarters of a year-to-date.
    assert status("kostnad_redusert", "year", "2013")[0] == Decimal("0.0")
    assert status("vikarlonn", "year_to_date", "2014K1") == (Decimal("3000.0"), 25000, "met")
    con.close()


def test_night_summary_shows_the_change_in_net_cost():
    from pipeline.night_report import summary_markdown

    current = {
        "quarter": "2014K2",
        "is_complete": True,
        "rows": [],
        "net_cost_kr": "1610482.12",
        "net_cost_year_before_kr": "1348275.12",
    }
    previous = {"quarter": "2014K1", "rows": [], "net_cost_kr": "2165135.87"}
    text = summary_markdown(
        night="01.07.2014",
        run_id="r1",
        as_of="30.06.2014",
        skipped=False,
        files_read=8,
        rejected=[],
        rows_loaded=10,
        findings=[],
        current=current,
        previous=previous,
    )
    nbsp = "\u00a0"
    assert (
        f"| Forrige publisering (2014K1) | 2{nbsp}165{nbsp}136 kr | 1{nbsp}610{nbsp}482 kr | "
        f"−554{nbsp}654 kr |" in text
    )
    assert (
        f"| Samme kvartal året før (2013K2) | 1{nbsp}348{nbsp}275 kr | 1{nbsp}610{nbsp}482 kr | "
        f"+262{nbsp}207 kr |" in text
    )


def test_gevinstrapport_has_a_cost_section_with_net_cost_against_the_goal(tmp_path):
    # The 30-day case (net cost 2014K1 37 589.88, 2014K2 665.88) in a published database; the
    # plan's goal: 2014 net cost at most 100 000 kr a year, so 25 000 kr a quarter.
    from pipeline.deliver.cost_section import cost_table, load_cost_section

    con = build(
        tmp_path,
        [("P1", "U1", 100, "2014-01-01", None, 600000)],
        [("P1", "SYK", "2014-03-03", "2014-04-01", None, None)],
        as_of="2014-06-30",
    )
    con.close()
    plan = PLAN.replace("            baseline_year: 2013\n", "")
    plan = plan.replace("direction: min", "direction: max")
    plan = plan.replace("2014: 5000", "2014: 100000")
    (tmp_path / "plan.yaml").write_text(plan, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "internal.duckdb"))
    evaluate_indicators(con, load_plan(tmp_path / "plan.yaml"), "2014K2")
    section = load_cost_section(con, ["2014K1", "2014K2"])
    con.close()
    assert section.goal == [25000, 25000]
    table = cost_table(section)
    net = next(r for r in table["rows"] if r["is_total"])
    assert net["cells"] == ["37\u00a0590", "666"]


def test_social_costs_are_exact_to_the_ore_rounded_half_up(tmp_path):
    # Årslønn 466 700 kr, one self-certified day (Monday 3 March 2014): pay lost 466 700 / 260
    # = 1 795.00 kr. Social costs 14.1 % = 253.095 kr, published 253.10 (half up); employer-period
    # cost = net cost = 1 795 x 1.141 = 2 048.095, published 2 048.10. In floating point, 253.095
    # is 253.09499…, which rounds to 253.09: the cost is computed in decimals instead.
    con = build(
        tmp_path,
        [("P1", "U1", 100, "2014-01-01", None, 466700)],
        [("P1", "EGM", "2014-03-03", "2014-03-03", None, None)],
    )
    q = municipality(con, "2014K1", "sick_leave_cost_quarterly")
    assert kr(q["pay_lost_kr"]) == Decimal("1795.00")
    assert kr(q["social_costs_kr"]) == Decimal("253.10")
    assert kr(q["employer_period_cost_kr"]) == kr(q["net_cost_kr"]) == Decimal("2048.10")

