"""Evaluating the gevinstplan: each indicator in each period against its target, and the
quarterly plan report laid out as the seed's table. The engine's tables are made inline."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.indicators import (
    evaluate_indicators,
    load_manual_measurements,
    plan_report_columns,
    target_text,
)
from pipeline.manual import parse_manual_measurements
from pipeline.plan import DEFAULT_PLAN, load_plan

REFERENCE_DATA = Path(__file__).resolve().parent / "data" / "reference"

PCT_COLUMNS = [
    "sick_leave_pct",
    "self_certified_pct",
    "doctor_certified_pct",
    "short_term_pct",
    "long_term_pct",
]


def _span(period_type: str, period: str) -> tuple[str, str]:
    """First and last quarter of a period, as the engine writes them."""
    if period_type == "year":
        return f"{period}K1", f"{period}K4"
    year, quarter = int(period[:4]), int(period[5])
    if period_type == "quarter":
        return period, period
    if period_type == "year_to_date":
        return f"{year}K1", period
    first = year * 4 + quarter - 1 - 3
    return f"{first // 4}K{first % 4 + 1}", period


def make_sick_leave_periods(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """sick_leave_periods with the engine's contract from short dicts: period_type, period,
    scope (level, code), the percentages given, is_masked and is_complete (default true)."""
    records = []
    for row in rows:
        first, last = _span(row["period_type"], row["period"])
        last = row.get("last_quarter", last)
        level, code = row.get("scope", ("municipality", "Alle"))
        records.append(
            {
                "period_type": row["period_type"],
                "period": row["period"],
                "first_quarter": first,
                "last_quarter": last,
                "is_complete": row.get("is_complete", True),
                "scope_level": level,
                "scope_code": code,
                "scope_name": {"Alle": "Testkommune", "20": "Helse, omsorg og velferd"}.get(code),
                "is_masked": row.get("is_masked", False),
                **{c: (None if row.get(c) is None else str(row[c])) for c in PCT_COLUMNS},
            }
        )
    frame = pd.DataFrame(records)  # noqa: F841 (read by DuckDB below)
    con.execute(
        """
        CREATE OR REPLACE TABLE sick_leave_periods AS
        SELECT period_type, period, first_quarter, last_quarter,
            is_complete::BOOLEAN AS is_complete,
            scope_level, scope_code, scope_name, 10 AS persons,
            NULL::DECIMAL(18, 6) AS possible_workdays, NULL::DECIMAL(18, 6) AS lost_workdays,
            sick_leave_pct::DECIMAL(5, 1) AS sick_leave_pct,
            self_certified_pct::DECIMAL(5, 1) AS self_certified_pct,
            doctor_certified_pct::DECIMAL(5, 1) AS doctor_certified_pct,
            short_term_pct::DECIMAL(5, 1) AS short_term_pct,
            long_term_pct::DECIMAL(5, 1) AS long_term_pct,
            is_masked::BOOLEAN AS is_masked
        FROM frame
        """
    )


def make_diagnosis_periods(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """rows: (period_type, period, diagnosis_group, diagnosis_pct), whole municipality."""
    frame = pd.DataFrame(  # noqa: F841 (read by DuckDB below)
        rows, columns=["period_type", "period", "diagnosis_group", "pct"]
    ).assign(pct=lambda f: f["pct"].astype(str))
    con.execute(
        """
        CREATE OR REPLACE TABLE diagnosis_periods AS
        SELECT period_type, period, 'municipality' AS scope_level, 'Alle' AS scope_code,
            diagnosis_group, pct::DECIMAL(5, 1) AS diagnosis_pct, FALSE AS is_masked
        FROM frame
        """
    )


# The seed's measured values (SPEC section 1): 2013K1-K4, 2013, 2014K1, 2014K2, hittil i år.
SEED_MUNICIPALITY = [9.2, 7.1, 6.1, 7.3, 7.2, 8.6, 7.6, 7.6]
SEED_HOV = [10.7, 9.1, 7.7, 8.0, 8.7, 9.4, 11.1, 10.1]
SEED_DIAGNOSIS = {
    "W": [0.3, 0.2, 0.2, 0.3, 0.2, 0.3],
    "P": [1.6, 1.0, 1.7, 2.3, 1.6, 1.9],
    "L": [1.4, 1.7, 2.3, 2.7, 2.0, 1.7],
}
SEED_PERIODS = [
    ("quarter", "2013K1"),
    ("quarter", "2013K2"),
    ("quarter", "2013K3"),
    ("quarter", "2013K4"),
    ("year", "2013"),
    ("quarter", "2014K1"),
    ("quarter", "2014K2"),
    ("year_to_date", "2014K2"),
]


@pytest.fixture
def plan():
    return load_plan(DEFAULT_PLAN)


@pytest.fixture
def seed_con():
    """A warehouse holding the seed's own figures, as of the end of 2014K2."""
    con = duckdb.connect()
    rows = []
    for scope, values in [
        (("municipality", "Alle"), SEED_MUNICIPALITY),
        (("sector", "20"), SEED_HOV),
    ]:
        for (period_type, period), value in zip(SEED_PERIODS, values, strict=True):
            rows.append(
                {
                    "period_type": period_type,
                    "period": period,
                    "scope": scope,
                    "sick_leave_pct": value,
                }
            )
    # 2014 so far is an incomplete year; 2013's year-to-date through K2 is there to compare with.
    rows.append(
        {
            "period_type": "year",
            "period": "2014",
            "sick_leave_pct": 8.1,
            "is_complete": False,
            "last_quarter": "2014K2",
        }
    )
    rows.append({"period_type": "year_to_date", "period": "2013K2", "sick_leave_pct": 8.2})
    make_sick_leave_periods(con, rows)
    make_diagnosis_periods(
        con,
        [
            (period_type, period, group, value)
            for group, values in SEED_DIAGNOSIS.items()
            for (period_type, period), value in zip(SEED_PERIODS, values, strict=False)
        ],
    )
    yield con
    con.close()


def status(con, indicator_id: str, period_type: str, period: str) -> dict:
    """One indicator_status row as a dict, decimals kept exact and NULL as None."""
    cursor = con.execute(
        "SELECT * FROM indicator_status WHERE indicator_id = ? AND period_type = ? AND period = ?",
        [indicator_id, period_type, period],
    )
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, (indicator_id, period_type, period)
    return dict(zip(names, rows[0], strict=True))


# --- indicator_status ------------------------------------------------------------------------


def test_every_indicator_in_every_period(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    periods = seed_con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT period_type, period FROM sick_leave_periods)"
    ).fetchone()[0]
    assert periods == 10
    rows = seed_con.execute("SELECT count(*) FROM indicator_status").fetchone()[0]
    assert rows == 21 * 10


def test_target_met_and_missed(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    met = status(seed_con, "sykefravaer_kommunen", "quarter", "2013K3")
    assert (met["value"], met["target"], met["status"], met["status_label"]) == (
        Decimal("6.1"),
        Decimal("7.5"),
        "met",
        "Nådd",
    )
    assert met["distance_to_target"] == Decimal("-1.4")
    missed = status(seed_con, "sykefravaer_kommunen", "quarter", "2013K1")
    assert (missed["status"], missed["status_label"], missed["distance_to_target"]) == (
        "not_met",
        "Ikke nådd",
        Decimal("1.7"),
    )
    # 2014's target (7.0) applies to the year-to-date through 2014K2: 7.6 is 0.6 above it.
    ytd = status(seed_con, "sykefravaer_kommunen", "year_to_date", "2014K2")
    assert (ytd["target"], ytd["status"], ytd["distance_to_target"]) == (
        Decimal("7.0"),
        "not_met",
        Decimal("0.6"),
    )


def test_value_equal_to_a_max_target_is_met(plan):
    con = duckdb.connect()
    make_sick_leave_periods(
        con, [{"period_type": "quarter", "period": "2014K1", "sick_leave_pct": 7.0}]
    )
    evaluate_indicators(con, plan, "2014K1")
    row = status(con, "sykefravaer_kommunen", "quarter", "2014K1")
    assert (row["status"], row["distance_to_target"]) == ("met", Decimal("0.0"))


def test_year_without_target(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    # The HOV sector's only target is for 2015.
    row = status(seed_con, "sykefravaer_hov", "quarter", "2014K2")
    assert (row["value"], row["target"], row["status"], row["status_label"]) == (
        Decimal("11.1"),
        None,
        "no_target",
        "Mål ikke satt",
    )
    assert row["distance_to_target"] is None


def test_year_in_plan_with_target_not_yet_set(plan):
    con = duckdb.connect()
    make_sick_leave_periods(
        con,
        [
            {
                "period_type": "quarter",
                "period": "2015K1",
                "scope": ("sector", "30"),
                "sick_leave_pct": 6.0,
            }
        ],
    )
    evaluate_indicators(con, plan, "2015K1")
    assert con.execute(
        "SELECT year, target IS NULL FROM plan_targets WHERE indicator_id = 'sykefravaer_oppvekst'"
    ).fetchall() == [(2015, True)]
    row = status(con, "sykefravaer_oppvekst", "quarter", "2015K1")
    assert (row["value"], row["status"]) == (Decimal("6.0"), "no_target")


def test_masked_scope_wins_over_everything(plan):
    con = duckdb.connect()
    make_sick_leave_periods(
        con,
        [
            {"period_type": "quarter", "period": "2015K1", "sick_leave_pct": 6.0},
            {
                "period_type": "quarter",
                "period": "2015K1",
                "scope": ("sector", "20"),
                "is_masked": True,
            },
            {
                "period_type": "quarter",
                "period": "2015K1",
                "scope": ("sector", "40"),
                "is_masked": True,
            },
        ],
    )
    evaluate_indicators(con, plan, "2015K1", mask_threshold=5)
    hov = status(con, "sykefravaer_hov", "quarter", "2015K1")  # has a 2015 target
    assert (hov["status"], hov["status_label"]) == ("masked", "Skjult (færre enn 5)")
    assert hov["value"] is None and hov["distance_to_target"] is None
    assert status(con, "sykefravaer_teknisk", "quarter", "2015K1")["status"] == "masked"


def test_no_data_when_the_scope_or_source_is_missing(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    # Sector 30 has no rows; NAV's 2014K2 diagnosis figures are not there yet; nothing typed in.
    for indicator_id, period in [
        ("sykefravaer_oppvekst", "2014K1"),
        ("sykefravaer_psykiske", "2014K2"),
        ("vernerunder_gjennomfort", "2014K1"),
    ]:
        row = status(seed_con, indicator_id, "quarter", period)
        assert (row["status"], row["status_label"]) == ("no_data", "Ingen data"), indicator_id


def test_diagnosis_indicators_without_diagnosis_table_are_no_data(plan):
    con = duckdb.connect()
    make_sick_leave_periods(
        con, [{"period_type": "quarter", "period": "2014K1", "sick_leave_pct": 6.0}]
    )
    evaluate_indicators(con, plan, "2014K1")
    statuses = con.execute(
        "SELECT DISTINCT status FROM indicator_status WHERE measure = 'diagnosis_pct'"
    ).fetchall()
    assert statuses == [("no_data",)]


def test_diagnosis_value_against_target(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    row = status(seed_con, "sykefravaer_psykiske", "quarter", "2014K1")
    assert (row["value"], row["target"], row["status"]) == (Decimal("1.9"), None, "no_target")


def test_manual_values_are_evaluated(plan):
    con = duckdb.connect()
    make_sick_leave_periods(
        con, [{"period_type": "quarter", "period": "2015K1", "sick_leave_pct": 6.0}]
    )
    raw = pd.DataFrame(
        {
            "Indikator": [
                "vernerunder_gjennomfort",
                "medarbeidersamtaler_gjennomfort",
                "medarbeiderundersokelse_kommunen",
                "vernerunder_gjennomfort",
            ],
            "Periode": ["2015K1", "2015K1", "2014", "2014K1"],
            "Verdi": ["92,5", "100", "4,35", "80"],
            "Kommentar": ["", "", "Første undersøkelse", ""],
        }
    )
    measurements, findings = parse_manual_measurements(raw, plan)
    assert findings == []
    load_manual_measurements(con, measurements)
    evaluate_indicators(con, plan, "2015K1")
    rounds = status(con, "vernerunder_gjennomfort", "quarter", "2015K1")
    assert (rounds["value"], rounds["target"], rounds["status"], rounds["distance_to_target"]) == (
        Decimal("92.5"),
        Decimal("100.0"),
        "not_met",
        Decimal("-7.5"),
    )
    talks = status(con, "medarbeidersamtaler_gjennomfort", "quarter", "2015K1")
    assert (talks["value"], talks["status"]) == (Decimal("100.0"), "met")
    # A year the sick-leave data does not cover still shows the typed-in value, rounded half up.
    survey = status(con, "medarbeiderundersokelse_kommunen", "year", "2014")
    assert (survey["value"], survey["status"]) == (Decimal("4.4"), "no_target")
    # 2014K1 is not in the sick-leave data either; the trend compares it a year on.
    assert status(con, "vernerunder_gjennomfort", "quarter", "2015K1")["trend"] == Decimal("12.5")


def test_a_manual_value_typed_for_the_year_is_its_year_to_date(plan):
    """A survey typed for 2015 is the «Hittil i år» of every reported quarter of 2015, and the
    status column of the report judges it; a quarter's own value stays the quarter's."""
    con = duckdb.connect()
    make_sick_leave_periods(
        con,
        [
            {"period_type": period_type, "period": period, "sick_leave_pct": 6.0}
            for period_type, period in [
                ("quarter", "2015K1"),
                ("quarter", "2015K2"),
                ("year_to_date", "2015K1"),
                ("year_to_date", "2015K2"),
            ]
        ],
    )
    raw = pd.DataFrame(
        {
            "Indikator": ["vernerunder_gjennomfort"] * 2 + ["medarbeiderundersokelse_kommunen"],
            "Periode": ["2015K1", "2015", "2015"],
            "Verdi": ["92,5", "100", "4,3"],
        }
    )
    measurements, findings = parse_manual_measurements(raw, plan)
    assert findings == []
    load_manual_measurements(con, measurements)
    evaluate_indicators(con, plan, "2015K2")
    rounds = [
        status(con, "vernerunder_gjennomfort", period_type, period)
        for period_type, period in [
            ("quarter", "2015K1"),
            ("quarter", "2015K2"),
            ("year_to_date", "2015K1"),
            ("year_to_date", "2015K2"),
        ]
    ]
    assert [(r["value"], r["status"]) for r in rounds] == [
        (Decimal("92.5"), "not_met"),
        (None, "no_data"),
        (Decimal("100.0"), "met"),
        (Decimal("100.0"), "met"),
    ]
    survey = status(con, "medarbeiderundersokelse_kommunen", "year_to_date", "2015K2")
    assert (survey["value"], survey["status"]) == (Decimal("4.3"), "no_target")


def test_trend_against_a_year_earlier(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K2")
    assert status(seed_con, "sykefravaer_kommunen", "quarter", "2014K1")["trend"] == Decimal("-0.6")
    assert status(seed_con, "sykefravaer_hov", "quarter", "2014K2")["trend"] == Decimal("2.0")
    assert status(seed_con, "sykefravaer_kommunen", "year_to_date", "2014K2")["trend"] == Decimal(
        "-0.6"
    )
    # The first year has nothing to compare with; 2014 so far is not compared with all of 2013.
    assert status(seed_con, "sykefravaer_kommunen", "quarter", "2013K1")["trend"] is None
    assert status(seed_con, "sykefravaer_kommunen", "year", "2014")["trend"] is None


def test_periods_after_the_as_of_quarter_are_left_out(seed_con, plan):
    evaluate_indicators(seed_con, plan, "2014K1")
    periods = seed_con.execute(
        "SELECT DISTINCT period_type, period FROM indicator_status "
        "WHERE period_type <> 'year' ORDER BY ALL"
    ).fetchall()
    assert periods == [
        ("quarter", "2013K1"),
        ("quarter", "2013K2"),
        ("quarter", "2013K3"),
        ("quarter", "2013K4"),
        ("quarter", "2014K1"),
        ("year_to_date", "2013K2"),
    ]


# --- plan_report ------------------------------------------------------------------------------


def test_plan_report_has_the_seeds_shape_and_figures(seed_con, plan):
    report_quarter = evaluate_indicators(seed_con, plan, "2014K2")
    assert report_quarter == "2014K2"
    frame = seed_con.execute("SELECT * FROM plan_report").df()
    period_columns = [
        "1. kv. 2013",
        "2. kv. 2013",
        "3. kv. 2013",
        "4. kv. 2013",
        "Snitt 2013",
        "1. kv. 2014",
        "2. kv. 2014",
        "Hittil i år",
    ]
    assert list(frame.columns) == [
        "Indikator-id",
        "Målgruppe",
        "Målindikator",
        "Mål",
        *period_columns,
        "Mål 2014",
        "Status hittil i år",
    ]
    assert len(frame) == 21
    rows = frame.set_index("Indikator-id")

    def figures(indicator_id):
        return [None if pd.isna(v) else float(v) for v in rows.loc[indicator_id, period_columns]]

    # The seed's table, row by row.
    assert figures("sykefravaer_kommunen") == SEED_MUNICIPALITY
    assert figures("sykefravaer_hov") == SEED_HOV
    assert figures("sykefravaer_gravide") == [*SEED_DIAGNOSIS["W"], None, None]
    assert figures("sykefravaer_psykiske") == [*SEED_DIAGNOSIS["P"], None, None]
    assert figures("sykefravaer_muskel_skjelett") == [*SEED_DIAGNOSIS["L"], None, None]
    assert list(frame["Indikator-id"][:4]) == [
        "sykefravaer_kommunen",
        "sykefravaer_gravide",
        "sykefravaer_psykiske",
        "sykefravaer_muskel_skjelett",
    ]
    assert rows.loc["sykefravaer_kommunen", "Mål"] == "maks 6,5 % i 2015"
    assert rows.loc["sykefravaer_hov", "Mål"] == "maks 7 % i 2015"
    assert rows.loc["sykefravaer_kommunen", "Mål 2014"] == Decimal("7.0")
    assert rows.loc["sykefravaer_kommunen", "Status hittil i år"] == "Ikke nådd"
    assert rows.loc["sykefravaer_hov", "Status hittil i år"] == "Mål ikke satt"
    assert rows.loc["sykefravaer_psykiske", "Status hittil i år"] == "Ingen data"


def test_report_quarter_is_the_latest_complete_one(seed_con, plan):
    seed_con.execute(
        "INSERT INTO sick_leave_periods (period_type, period, first_quarter, last_quarter, "
        "is_complete, scope_level, scope_code, sick_leave_pct, is_masked) VALUES "
        "('quarter', '2014K3', '2014K3', '2014K3', FALSE, 'municipality', 'Alle', 5.0, FALSE)"
    )
    assert evaluate_indicators(seed_con, plan, "2014K3") == "2014K2"
    columns = [r[0] for r in seed_con.execute("DESCRIBE plan_report").fetchall()]
    assert "3. kv. 2014" not in columns and "2. kv. 2014" in columns


def test_plan_report_columns_follow_the_report_quarter():
    assert [c[0] for c in plan_report_columns("2015K1")] == [
        "1. kv. 2014",
        "2. kv. 2014",
        "3. kv. 2014",
        "4. kv. 2014",
        "Snitt 2014",
        "1. kv. 2015",
        "Hittil i år",
    ]
    assert plan_report_columns("2014K4")[-2:] == [
        ("4. kv. 2014", "quarter", "2014K4"),
        ("Hittil i år", "year_to_date", "2014K4"),
    ]
    with pytest.raises(ValueError, match="ikke et kvartal"):
        plan_report_columns("2014Q1")


def test_target_text_reads_like_the_seed(plan):
    hov = plan.indicator("sykefravaer_hov")
    assert target_text(hov.direction, hov.unit, hov.targets) == "maks 7 % i 2015"
    survey = plan.indicator("medarbeiderundersokelse_kommunen")
    assert target_text(survey.direction, survey.unit, survey.targets) == "mål ikke satt"
    rounds = plan.indicator("vernerunder_gjennomfort")
    assert target_text(rounds.direction, rounds.unit, rounds.targets) == "minst 100 % i 2015"


# --- the plan is the only thing to edit ---------------------------------------------------------


NEW_INDICATOR = """\
          - id: korttidsfravaer_kommunen
            name: Korttidsfraværet i hele kommunen
            measure: short_term_pct
            scope: municipality
            direction: max
            unit: prosent
            targets:
              2014: 2.0
            data_source: Sykefraværsrapporter fra Agresso
            owner: Organisasjonssjef
"""


def test_adding_an_indicator_to_the_yaml_adds_a_row_without_code(tmp_path):
    text = DEFAULT_PLAN.read_text(encoding="utf-8")
    anchor = "          - id: sykefravaer_gravide\n"
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(anchor, NEW_INDICATOR + anchor, 1), encoding="utf-8")
    plan = load_plan(path)
    assert len(plan.indicators) == 22
    con = duckdb.connect()
    make_sick_leave_periods(
        con,
        [
            {
                "period_type": "quarter",
                "period": "2014K1",
                "sick_leave_pct": 8.6,
                "short_term_pct": 2.4,
            },
            {
                "period_type": "year_to_date",
                "period": "2014K1",
                "sick_leave_pct": 8.6,
                "short_term_pct": 2.4,
            },
        ],
    )
    evaluate_indicators(con, plan, "2014K1")
    row = status(con, "korttidsfravaer_kommunen", "quarter", "2014K1")
    assert (row["value"], row["target"], row["status"], row["distance_to_target"]) == (
        Decimal("2.4"),
        Decimal("2.0"),
        "not_met",
        Decimal("0.4"),
    )
    report = con.execute('SELECT "Indikator-id", "1. kv. 2014" FROM plan_report').fetchall()
    assert len(report) == 22
    assert report[1] == ("korttidsfravaer_kommunen", Decimal("2.4"))


# --- real statistics --------------------------------------------------------------------------


def test_national_rates_from_ssb_against_andebus_targets(plan):
    """SSB table 12439: Norway's sick-leave rate per quarter, set against Andebu's municipal
    targets (7.5 % in 2013, 7.0 % in 2014, 6.5 % in 2015)."""
    with (REFERENCE_DATA / "ssb_sykefravaer.csv").open(encoding="utf-8") as handle:
        rates = {
            row[2]: row[4] for row in csv.reader(handle) if row[2][:4] in {"2013", "2014", "2015"}
        }
    assert len(rates) == 12
    con = duckdb.connect()
    make_sick_leave_periods(
        con,
        [{"period_type": "quarter", "period": q, "sick_leave_pct": v} for q, v in rates.items()],
    )
    evaluate_indicators(con, plan, "2015K4")
    rows = con.execute(
        "SELECT period, value, target, status, distance_to_target, trend FROM indicator_status "
        "WHERE indicator_id = 'sykefravaer_kommunen' ORDER BY period"
    ).fetchall()
    assert [r[3] for r in rows] == ["met"] * 8 + ["not_met", "met", "met", "met"]
    # 2015K1: 6.7 % nationally, 0.2 points above 6.5 and 0.2 above 2014K1's 6.5.
    assert rows[8] == (
        "2015K1",
        Decimal("6.7"),
        Decimal("6.5"),
        "not_met",
        Decimal("0.2"),
        Decimal("0.2"),
    )
    # 2014K1: 6.5 against 6.9 a year earlier.
    assert rows[4][5] == Decimal("-0.4")
