"""Diagnosis marts on tiny inline tables: NAV's figures per group against the municipality's own
possible workdays, per quarter and period, and NAV against Agresso.

Hand check (2014K1, whole municipality): possible workdays 60 + 40 + 100 = 200; NAV's "I alt" 11.
L: 5.5 lost -> 100 x 5.5 / 200 = 2.75 -> 2.8 %; 5.5 / 11 = 50.0 % of doctor-certified days.
"""

from decimal import Decimal

import duckdb
import pytest

from pipeline.diagnosis_marts import build_diagnosis_marts, load_nav_staging
from pipeline.nav import empty_staging_frame, parse_nav_diagnosis
from pipeline.profile import load_profile
from pipeline.read import read_csv_text
from pipeline.sqlproject import create_macros

ORGNR = "964963738"

NAV_TEXT = f"""Kvartal;Sektor;Orgnr;Diagnosegruppe;Tapte dagsverk;Tilfeller
2014K1;Alle;;I alt;11;5
2014K1;Alle;;L;5,5;2
2014K1;Alle;;... herav rygglidelser;3;1
2014K1;Alle;;P;3;1
2014K1;Alle;;B;1;1
2014K1;Alle;;F;1,5;1
2014K1;Alle;;W;*;*
2014K1;HOV;;I alt;10;3
2014K1;HOV;;L;10;3
2014K1;;{ORGNR};P;2;1
2014K2;Alle;;I alt;8;3
2014K2;Alle;;L;4;2
2014K2;Alle;;P;4;1
"""


@pytest.fixture
def con():
    con = duckdb.connect()
    create_macros(con)  # the warehouse's own sick_leave_pct, not a stand-in
    con.execute(
        """
        CREATE TABLE core_units AS SELECT * FROM (VALUES
            ('U1', 'Sykehjemmet', 'HOV', 'Helse, omsorg og velferd', '964963738',
                DATE '2010-01-01', NULL::DATE),
            ('U2', 'Hjemmetjenesten', 'HOV', 'Helse, omsorg og velferd', NULL, NULL, NULL),
            ('U3', 'Skolen', 'SKO', 'Skole og barnehage', NULL, NULL, NULL)
        ) AS t(unit_code, unit_name, sector_code, sector_name, org_number, valid_from, valid_to)
        """
    )
    con.execute(
        """
        CREATE TABLE core_fact_quarter AS
        SELECT quarter, person_id, unit_code, sector_code,
            CAST(possible AS DECIMAL(18, 6)) AS possible_workdays,
            CAST(doctor AS DECIMAL(18, 6)) AS lost_workdays,
            CAST(0 AS DECIMAL(18, 6)) AS lost_workdays_self,
            CAST(doctor AS DECIMAL(18, 6)) AS lost_workdays_doctor,
            CAST(0 AS DECIMAL(18, 6)) AS lost_workdays_short,
            CAST(doctor AS DECIMAL(18, 6)) AS lost_workdays_long,
            CAST(0 AS DECIMAL(18, 6)) AS lost_workdays_graded
        FROM (VALUES
            ('2014K1', 1, 'U1', 'HOV', 60, 6),
            ('2014K1', 2, 'U2', 'HOV', 40, 4),
            ('2014K1', 3, 'U3', 'SKO', 100, 0),
            ('2014K2', 1, 'U1', 'HOV', 60, 3),
            ('2014K2', 2, 'U2', 'HOV', 40, 0),
            ('2014K2', 3, 'U3', 'SKO', 100, 5)
        ) AS t(quarter, person_id, unit_code, sector_code, possible, doctor)
        """
    )
    con.execute(
        """
        CREATE TABLE periods AS SELECT * FROM (VALUES
            ('quarter', '2014K1', '2014K1'),
            ('quarter', '2014K2', '2014K2'),
            ('year', '2014', '2014K1'),
            ('year', '2014', '2014K2')
        ) AS t(period_type, period, quarter)
        """
    )
    con.execute("CREATE TABLE params AS SELECT 'Testkommune' AS municipality_name")
    profile = load_profile()
    frame, findings = parse_nav_diagnosis(
        read_csv_text(NAV_TEXT, profile.dialect), "nav.csv", profile
    )
    assert findings == []
    load_nav_staging(con, frame)
    yield con
    con.close()


def rows(con, query: str) -> list[tuple]:
    return con.execute(query).fetchall()


def test_diagnosis_quarterly_points_of_possible_and_share_of_nav_total(con):
    build_diagnosis_marts(con)
    got = rows(
        con,
        """
        SELECT diagnosis_group, diagnosis_subgroup, lost_workdays, cases, possible_workdays,
            doctor_lost_workdays_nav, diagnosis_pct, doctor_share_pct, is_masked
        FROM diagnosis_quarterly
        WHERE quarter = '2014K1' AND scope_level = 'municipality'
        """,
    )
    d = Decimal
    assert got == [
        ("L", None, d("5.5"), 2, d(200), d(11), d("2.8"), d("50.0"), False),
        ("L", "Rygglidelser", d(3), 1, d(200), d(11), d("1.5"), d("27.3"), False),
        ("P", None, d(3), 1, d(200), d(11), d("1.5"), d("27.3"), False),
        ("W", None, None, None, d(200), d(11), None, None, True),  # masked, not 0
        # chapters B and F of "Andre lidelser": 1 + 1.5 = 2.5 -> 1.25 -> 1.3 %
        ("ANDRE", None, d("2.5"), 2, d(200), d(11), d("1.3"), d("22.7"), False),
    ]


def test_diagnosis_quarterly_names_and_scopes(con):
    build_diagnosis_marts(con)
    got = rows(
        con,
        """
        SELECT scope_level, scope_code, scope_name, diagnosis_group, diagnosis_name,
            possible_workdays, doctor_lost_workdays_nav, diagnosis_pct, doctor_share_pct
        FROM diagnosis_quarterly
        WHERE quarter = '2014K1' AND scope_level <> 'municipality'
        """,
    )
    d = Decimal
    assert got == [
        # an organisation number without an "I alt" row: NAV's total is the sum of its groups
        ("orgnr", ORGNR, "Sykehjemmet", "P", "Psykiske lidelser", d(60), d(2), d("3.3"), d(100)),
        (
            "sector",
            "HOV",
            "Helse, omsorg og velferd",
            "L",
            "Muskel- og skjelettlidelser",
            d(100),
            d(10),
            d(10),
            d(100),
        ),
    ]


def test_the_municipality_level_has_the_configured_name(con):
    build_diagnosis_marts(con)
    for table in ("diagnosis_quarterly", "diagnosis_periods", "nav_reconciliation"):
        got = rows(
            con, f"SELECT DISTINCT scope_name FROM {table} WHERE scope_level = 'municipality'"
        )
        assert got == [("Testkommune",)], table


def test_diagnosis_periods_sum_quarters_and_stay_masked(con):
    build_diagnosis_marts(con)
    got = rows(
        con,
        """
        SELECT diagnosis_group, quarters, lost_workdays, possible_workdays,
            doctor_lost_workdays_nav, diagnosis_pct, doctor_share_pct, is_masked
        FROM diagnosis_periods
        WHERE period_type = 'year' AND scope_level = 'municipality' AND NOT is_subgroup
        """,
    )
    d = Decimal
    assert got == [
        # 100 x (5.5 + 4) / (200 + 200) = 2.375 -> 2.4; 9.5 / (11 + 8) = 50 %
        ("L", 2, d("9.5"), d(400), d(19), d("2.4"), d("50.0"), False),
        ("P", 2, d(7), d(400), d(19), d("1.8"), d("36.8"), False),
        ("W", 1, None, d(200), d(11), None, None, True),
        # only in 2014K1: summed over the quarters NAV gave it, possible over the same quarter
        ("ANDRE", 1, d("2.5"), d(200), d(11), d("1.3"), d("22.7"), False),
    ]


def test_nav_reconciliation_flags_gaps_above_the_threshold(con):
    build_diagnosis_marts(con)
    query = """
        SELECT quarter, scope_level, scope_code, doctor_lost_workdays_nav,
            lost_workdays_doctor_agresso, difference_pct, is_flagged
        FROM nav_reconciliation
    """
    d = Decimal
    assert rows(con, query) == [
        ("2014K1", "municipality", "Alle", d(11), d(10), d("-9.1"), False),
        ("2014K1", "orgnr", ORGNR, d(2), d(6), d(200), True),
        ("2014K1", "sector", "HOV", d(10), d(10), d(0), False),
        ("2014K2", "municipality", "Alle", d(8), d(8), d(0), False),
    ]
    build_diagnosis_marts(con, reconciliation_threshold_pct=5)
    flagged = rows(con, "SELECT quarter, scope_code FROM nav_reconciliation WHERE is_flagged")
    assert flagged == [("2014K1", "Alle"), ("2014K1", ORGNR)]


def test_staging_table_types(con):
    types = dict(rows(con, "SELECT column_name, column_type FROM (DESCRIBE stg_nav_diagnosis)"))
    assert types["lost_workdays"] == "DECIMAL(18,6)"
    assert types["cases"] == "BIGINT"
    assert types["is_masked"] == "BOOLEAN"
    masked = rows(con, "SELECT lost_workdays, cases FROM stg_nav_diagnosis WHERE is_masked")
    assert masked == [(None, None)]


def test_diagnosis_groups_table_comes_from_the_catalogue(con):
    build_diagnosis_marts(con)
    got = rows(con, "SELECT diagnosis_group, diagnosis_name, icpc2_chapters FROM diagnosis_groups")
    assert len(got) == 9
    assert got[3] == ("L", "Muskel- og skjelettlidelser", "L")
    assert got[8] == ("ANDRE", "Andre lidelser", "B, F, H, S, T, U, X, Y, Z")


def test_marts_build_empty_when_no_nav_file_has_arrived(con):
    load_nav_staging(con, empty_staging_frame())
    build_diagnosis_marts(con)
    for table in ("diagnosis_quarterly", "diagnosis_periods", "nav_reconciliation"):
        assert rows(con, f"SELECT count(*) FROM {table}") == [(0,)]
