"""The data tests of schemas/warehouse_tests.yaml on a tiny warehouse: a good build passes them
(masked units and a unit that changes sector included), and a broken mart (a duplicated row, a
unit missing from its sector) fails them and is not published: the database published before
stays, and the error names the test and the rows.

The municipality, by hand (as of 2014-06-30, mask threshold 5, so every unit and sector is masked):
- U1 (sector S1): p1 100 % from 2013-01-01; U2: p2 50 % from 2013-01-01, in S1 in 2013 and in S2
  from 2014-01-01; U3 (S2): p3 100 %.
- p1 sick (self-certified, 100 %) Monday 6 and Tuesday 7 January 2014: 2 lost workdays in 2014K1.
- 2014K1 has 63 working days (1 January is a holiday): possible S1 = U1 = 63, S2 = U2 + U3 =
  31.5 + 63 = 94.5, the municipality 157.5; lost: S1 = U1 = 2, S2 = 0, municipality 2.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from pipeline import data_tests
from pipeline.warehouse import ANALYTICS_DB, INTERNAL_DB, publish
from tests.helpers import build

ORG = [
    ("U1", "Enhet 1", "S1", "Sektor 1", None, None),
    ("U2", "Enhet 2", "S1", "Sektor 1", None, "2013-12-31"),
    ("U2", "Enhet 2", "S2", "Sektor 2", "2014-01-01", None),
    ("U3", "Enhet 3", "S2", "Sektor 2", None, None),
]
EMPLOYMENTS = [
    ("p1", "U1", 100, "2013-01-01", None),
    ("p2", "U2", 50, "2013-01-01", None),
    ("p3", "U3", 100, "2013-01-01", None),
]
ABSENCES = [("p1", "EGM", "2014-01-06", "2014-01-07", None, None)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A good build, kept aside; each test breaks a copy of it."""
    folder = tmp_path_factory.mktemp("good")
    build(folder, EMPLOYMENTS, ABSENCES, org=ORG, as_of="2014-06-30", mask_threshold=5).close()
    return folder / INTERNAL_DB


@pytest.fixture
def warehouse(built, tmp_path):
    """A warehouse folder with the good build published (the last good state) and a writable
    copy of the internal database to break."""
    shutil.copy(built, tmp_path / INTERNAL_DB)
    publish(tmp_path / INTERNAL_DB, tmp_path / ANALYTICS_DB, extra_tables=_extra())
    return tmp_path


def _extra() -> dict[str, pd.DataFrame]:
    # Published beside the built tables; their content does not matter here.
    from pipeline.warehouse import load_warehouse_schema

    tables = load_warehouse_schema()["tables"]
    return {
        name: pd.DataFrame({c: pd.Series(dtype="object") for c in tables[name]["columns"]})
        for name in ("validation_findings", "load_log", "run_info")
    }


def _sums(path, quarter: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT scope_level, scope_code, possible_workdays, lost_workdays "
            "FROM mart_quarter_sums WHERE quarter = ? ORDER BY scope_level, scope_code",
            [quarter],
        ).fetchall()
    finally:
        con.close()


def _break(path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _published_rows(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT quarter, scope_level, scope_code, is_masked FROM sick_leave_quarterly "
            "ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def test_a_good_build_passes_every_data_test_with_masked_units_and_a_unit_changing_sector(built):
    assert _sums(built, "2014K1") == [
        ("municipality", "Alle", Decimal("157.5"), Decimal("2")),
        ("sector", "S1", Decimal("63"), Decimal("2")),
        ("sector", "S2", Decimal("94.5"), Decimal("0")),
        ("unit", "U1", Decimal("63"), Decimal("2")),
        ("unit", "U2", Decimal("31.5"), Decimal("0")),
        ("unit", "U3", Decimal("63"), Decimal("0")),
    ]
    con = duckdb.connect(str(built), read_only=True)
    try:
        # Every group has fewer than 5 persons: the published rows show no figures at all.
        assert con.execute(
            "SELECT bool_and(is_masked), count(lost_workdays) FROM sick_leave_quarterly"
        ).fetchone() == (True, 0)
        assert data_tests.run_tests(con) == []
    finally:
        con.close()


def test_a_duplicated_row_fails_the_grain_test_and_is_not_published(warehouse):
    before = _published_rows(warehouse / ANALYTICS_DB)
    _break(
        warehouse / INTERNAL_DB,
        "INSERT INTO sick_leave_quarterly SELECT * FROM sick_leave_quarterly "
        "WHERE quarter = '2014K1' AND scope_code = 'U1'",
    )
    with pytest.raises(data_tests.DataTestsFailed) as raised:
        publish(warehouse / INTERNAL_DB, warehouse / ANALYTICS_DB, extra_tables=_extra())
    [finding] = raised.value.findings
    assert finding.rule == "data_test_unique"
    assert finding.file == "sick_leave_quarterly"
    assert finding.message == (
        "Datatesten «sick_leave_quarterly: unik (quarter, scope_level, scope_code)» feiler for "
        "1 rad(er), f.eks. quarter=2014K1, scope_level=unit, scope_code=U1, antall_rader=2."
    )
    assert "Forrige publiserte database gjelder fortsatt" in str(raised.value)
    assert _published_rows(warehouse / ANALYTICS_DB) == before  # the last good state stays
    assert not list(warehouse.glob(".analytics.duckdb.*"))


def test_a_unit_missing_from_its_sector_fails_additivity_and_is_not_published(warehouse):
    before = _published_rows(warehouse / ANALYTICS_DB)
    for table in ("mart_quarter_sums", "sick_leave_quarterly"):
        _break(
            warehouse / INTERNAL_DB,
            f"DELETE FROM {table} WHERE quarter = '2014K1' AND scope_code = 'U1'",
        )
    with pytest.raises(data_tests.DataTestsFailed) as raised:
        publish(warehouse / INTERNAL_DB, warehouse / ANALYTICS_DB, extra_tables=_extra())
    messages = {f.message for f in raised.value.findings if f.rule == "data_test_additivity"}
    # S1 is U1 alone in 2014K1: without U1 its units sum to 0 against the sector's 63 and 2.
    assert messages == {
        "Datatesten «mart_quarter_sums: enhetene summerer til sektoren (lost_workdays)» feiler "
        "for 1 rad(er), f.eks. quarter=2014K1, sector_code=S1, enhetene=0, sektoren=2.",
        "Datatesten «mart_quarter_sums: enhetene summerer til sektoren (possible_workdays)» "
        "feiler for 1 rad(er), f.eks. quarter=2014K1, sector_code=S1, enhetene=0, "
        "sektoren=63.",
        "Datatesten «mart_quarter_sums: enhetene summerer til kommunen (lost_workdays)» feiler "
        "for 1 rad(er), f.eks. quarter=2014K1, enhetene=0, kommunen=2.",
        "Datatesten «mart_quarter_sums: enhetene summerer til kommunen (possible_workdays)» "
        "feiler for 1 rad(er), f.eks. quarter=2014K1, enhetene=94,5, "
        "kommunen=157,5.",
    }
    assert _published_rows(warehouse / ANALYTICS_DB) == before


def test_a_published_row_without_its_sum_fails_the_relationship_test(warehouse):
    _break(
        warehouse / INTERNAL_DB,
        "DELETE FROM sick_leave_quarterly WHERE quarter = '2014K1' AND scope_code = 'U2'",
    )
    con = duckdb.connect(str(warehouse / INTERNAL_DB), read_only=True)
    try:
        failures = data_tests.run_tests(con)
    finally:
        con.close()
    assert [(f.test.name, f.examples) for f in failures] == [
        (
            "mart_quarter_sums (quarter, scope_level, scope_code) finnes i sick_leave_quarterly",
            ["quarter=2014K1, scope_level=unit, scope_code=U2"],
        )
    ]
