"""Manual measurements typed in by HR: what loads, and what comes back as a finding."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from pipeline.manual import MEASUREMENT_COLUMNS, parse_manual_measurements, read_manual_measurements
from pipeline.plan import DEFAULT_PLAN, load_plan


@pytest.fixture(scope="module")
def plan():
    return load_plan(DEFAULT_PLAN)


def raw(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["Indikator", "Periode", "Verdi", "Kommentar"])


def test_years_quarters_and_decimal_comma(plan):
    frame, findings = parse_manual_measurements(
        raw(
            [
                ("vernerunder_gjennomfort", "2014", "92,5", "Alle enheter"),
                ("medarbeiderundersokelse_kommunen", "2014k2", "4,35", ""),
                ("avvik_antall", "2015 K1", "1 234", ""),
                ("medarbeidersamtaler_gjennomfort", "2014", "87 %", ""),
            ]
        ),
        plan,
    )
    assert findings == []
    assert list(frame.columns) == MEASUREMENT_COLUMNS
    assert frame[["indicator_id", "period_type", "period"]].values.tolist() == [
        ["vernerunder_gjennomfort", "year", "2014"],
        ["medarbeiderundersokelse_kommunen", "quarter", "2014K2"],
        ["avvik_antall", "quarter", "2015K1"],
        ["medarbeidersamtaler_gjennomfort", "year", "2014"],
    ]
    assert [Decimal(str(v)) for v in frame["value"]] == [
        Decimal("92.5"),
        Decimal("4.35"),
        Decimal("1234"),
        Decimal("87"),
    ]
    assert frame["comment"][0] == "Alle enheter" and pd.isna(frame["comment"][1])
    assert frame["source_line"].tolist() == [2, 3, 4, 5]


def test_bad_lines_become_findings_and_the_rest_loads(plan):
    frame, findings = parse_manual_measurements(
        raw(
            [
                ("vernerunder_gjennomfort", "2014", "92,5", ""),
                ("ukjent_indikator", "2014", "1", ""),
                ("sykefravaer_kommunen", "2014K1", "7,1", ""),
                ("brukerundersokelse", "14", "3", ""),
                ("brukerundersokelse", "2014K5", "3", ""),
                ("brukerundersokelse", "2014", "fire", ""),
                ("brukerundersokelse", "2014", "", ""),
                ("tilretteleggingstilskudd", "2014", "350000", ""),
                ("", "", "", ""),
            ]
        ),
        plan,
    )
    assert frame["indicator_id"].tolist() == ["vernerunder_gjennomfort"]
    assert [(f.line, f.column, f.rule) for f in findings] == [
        (3, "Indikator", "manual_indicator_unknown"),
        (4, "Indikator", "manual_indicator_not_manual"),
        (5, "Periode", "manual_period_unparseable"),
        (6, "Periode", "manual_period_unparseable"),
        (7, "Verdi", "manual_value_unparseable"),
        (8, "Verdi", "manual_value_missing"),
        (9, "Verdi", "manual_value_out_of_range"),
    ]
    assert findings[1].message == (
        "Indikatoren «sykefravaer_kommunen» beregnes automatisk (sick_leave_pct) og tar ikke "
        "manuelle verdier; fjern linjen, eller endre measure til manual i plan.yaml."
    )
    assert all(f.severity == "error" and f.source == "manual" for f in findings)


def test_later_line_wins_and_the_earlier_is_reported(plan):
    frame, findings = parse_manual_measurements(
        raw(
            [
                ("vernerunder_gjennomfort", "2014", "80", "første telling"),
                ("vernerunder_gjennomfort", "2014", "90", "rettet"),
            ]
        ),
        plan,
    )
    assert frame["comment"].tolist() == ["rettet"]
    assert [(f.line, f.rule) for f in findings] == [(2, "manual_duplicate")]
    assert "linje 3" in findings[0].message


def test_reading_files_in_both_encodings(tmp_path, plan):
    folder = tmp_path / "manual"
    folder.mkdir()
    header = "Indikator;Periode;Verdi;Kommentar\n"
    (folder / "a_medarbeiderundersokelse.csv").write_bytes(
        (header + "medarbeiderundersokelse_hov;2014;4,2;Høy svarprosent\n").encode("cp1252")
    )
    (folder / "b_hms.csv").write_bytes(
        b"\xef\xbb\xbf"
        + (
            header + "vernerunder_gjennomfort;2014;92,5;\n\nvernerunder_gjennomfort;2015;x;\n"
        ).encode()
    )
    (folder / "c_feil.csv").write_text("Indikator;Verdi\nbrukerundersokelse;4\n", encoding="utf-8")
    (folder / "d_komma.csv").write_text("Indikator,Periode,Verdi\n", encoding="utf-8")
    frame, findings = read_manual_measurements(folder, plan)
    assert frame[["indicator_id", "source_file", "source_line"]].values.tolist() == [
        ["medarbeiderundersokelse_hov", "a_medarbeiderundersokelse.csv", 2],
        ["vernerunder_gjennomfort", "b_hms.csv", 2],
    ]
    assert frame["comment"][0] == "Høy svarprosent" and pd.isna(frame["comment"][1])
    assert [(f.file, f.line, f.rule) for f in findings] == [
        ("c_feil.csv", None, "manual_column_missing"),
        ("d_komma.csv", None, "manual_wrong_delimiter"),
        ("b_hms.csv", 4, "manual_value_unparseable"),
    ]
    assert findings[0].message.startswith("Kolonnen «Periode» mangler")


def test_empty_folder_gives_an_empty_frame(tmp_path, plan):
    frame, findings = read_manual_measurements(tmp_path, plan)
    assert frame.empty and list(frame.columns) == MEASUREMENT_COLUMNS and findings == []
