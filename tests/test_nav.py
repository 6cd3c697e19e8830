"""NAV's employer diagnosis file: label normalisation, masked cells, numbers, row rules, sums."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pipeline.diagnosis_groups import classify_labels, load_diagnosis_groups, normalise_group
from pipeline.nav import (
    STAGING_COLUMNS,
    check_scopes,
    parse_nav_diagnosis,
    read_nav_diagnosis,
    read_nav_folder,
)
from pipeline.profile import load_profile
from pipeline.publishing import quality_findings
from pipeline.read import decode, read_csv_text
from pipeline.run_context import RunContext
from tests.helpers import build

HEADER = "Kvartal;Sektor;Diagnosegruppe;Tapte dagsverk;Tilfeller"
VALID_ORGNR = "964963738"  # a real-format organisation number (check digit holds)


def parse(text: str):
    """Parse a NAV table given as the text of a file (default profile)."""
    profile = load_profile()
    frame = read_csv_text(text, profile.dialect)
    return parse_nav_diagnosis(frame, "nav_test.csv", profile)


def rules(findings) -> list[tuple[int | None, str]]:
    return sorted(((f.line or 0), f.rule) for f in findings)


# --- diagnosis groups --------------------------------------------------------------------------


def test_nine_groups_cover_every_icpc2_chapter_once():
    catalogue = load_diagnosis_groups()
    assert catalogue.codes == ["A", "D", "K", "L", "N", "P", "R", "W", "ANDRE"]
    chapters = [c for g in catalogue.groups for c in g.chapters]
    assert sorted(chapters) == sorted("ABDFHKLNPRSTUWXYZ")
    assert next(g for g in catalogue.groups if g.code == "ANDRE").chapters == tuple("BFHSTUXYZ")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("L", "L"),  # chapter letter
        ("p", "P"),  # case
        ("F", "ANDRE"),  # a chapter of "Andre lidelser"
        ("Z", "ANDRE"),
        ("Psykiske lidelser", "P"),  # SPEC's name
        ("Muskel- og skjelettlidelser", "L"),
        ("Muskel/skjelett-lidelser", "L"),  # NAV's table spelling
        ("Hjertekar sykd.", "K"),
        ("  SYKDOM fordøyelses\u00a0organene ", "D"),  # case, NBSP and spaces ignored
        ("Sykdom i fordøyelsesorganene", "D"),
        ("Svangerskaps-sykdommer", "W"),
        ("Andre lidelser", "ANDRE"),
        ("I alt", None),  # the total is not a group
        ("... herav rygglidelser", None),  # a sub-row is not a group
        ("Hodepine", None),  # unknown: no silent "Andre lidelser"
        ("", None),
    ],
)
def test_normalise_group(label, code):
    assert normalise_group(label) == code


def test_normalise_group_is_vectorised_over_a_series():
    labels = pd.Series(["R", "Sykdommer i luftveiene", "ukjent", None], index=[7, 8, 9, 10])
    result = normalise_group(labels)
    assert list(result.index) == [7, 8, 9, 10]
    assert result.tolist()[:2] == ["R", "R"]
    assert result.isna().tolist() == [False, False, True, True]


def test_herav_rows_are_subgroups_of_their_parent_and_never_main_groups():
    kinds = classify_labels(
        pd.Series(
            [
                "... herav rygglidelser",
                "... herav nakke/skulder/arm",
                "... herav lettere psykiske lid",
                "...herav Angst/depressive lid",
                "... herav Psykiske lidelser",  # a main group written as herav: unknown
            ]
        )
    )
    assert kinds["label_kind"].tolist()[:4] == ["subgroup"] * 4
    assert kinds["diagnosis_group"].tolist()[:4] == ["L", "L", "P", "P"]
    assert kinds["diagnosis_subgroup"].tolist()[:4] == [
        "Rygglidelser",
        "Nakke/skulder/arm",
        "Lettere psykiske lidelser",
        "Angst/depressive lidelser",
    ]
    assert pd.isna(kinds["label_kind"].iloc[4])


# --- parsing ------------------------------------------------------------------------------------


def test_rows_are_typed_into_the_staging_columns():
    frame, findings = parse(
        f"{HEADER}\n2014K1;Alle;Muskel/skjelett-lidelser;1 234 567;1\u00a0204\n2014k2;20;b;12,5;3\n"
    )
    assert findings == []
    assert list(frame.columns) == list(STAGING_COLUMNS)
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first.quarter, first.scope_kind, first.scope_code) == ("2014K1", "municipality", "Alle")
    assert (first.diagnosis_group, first.lost_workdays, first.cases) == ("L", 1234567, 1204)
    assert (second.quarter, second.scope_kind, second.scope_code) == ("2014K2", "sector", "20")
    assert (second.diagnosis_group, second.icpc2_chapter) == ("ANDRE", "B")
    assert second.lost_workdays == 12.5
    assert frame["source_line"].tolist() == [2, 3]


@pytest.mark.parametrize("marker", ["*", "***", ":", ".."])
def test_masked_cells_stay_masked_never_zero(marker):
    frame, findings = parse(f"{HEADER}\n2014K1;20;W;{marker};{marker}\n2014K1;20;P;{marker};4\n")
    assert findings == []
    w, p = frame.iloc[0], frame.iloc[1]
    assert pd.isna(w.lost_workdays) and pd.isna(w.cases) and w.is_masked
    assert pd.isna(p.lost_workdays) and p.cases == 4 and p.is_masked
    assert frame["lost_workdays"].sum() == 0  # the point: no masked cell was read as a number
    assert frame["lost_workdays"].notna().sum() == 0


def test_unknown_label_is_a_finding_and_the_row_is_held_back():
    frame, findings = parse(f"{HEADER}\n2014K1;Alle;L;10;1\n2014K1;Alle;Hodepine;5;1\n")
    assert frame["diagnosis_label"].tolist() == ["L"]
    [finding] = findings
    assert (finding.line, finding.column, finding.rule) == (
        3,
        "Diagnosegruppe",
        "diagnosis_unknown",
    )
    assert finding.severity == "error"


def test_row_rules_quarter_negative_unparseable_and_empty():
    frame, findings = parse(
        f"{HEADER}\n"
        "2014K5;Alle;L;10;1\n"  # 2: no fifth quarter
        "14K1;Alle;L;10;1\n"  # 3: not YYYYK[1-4]
        "2014K1;Alle;L;-3;1\n"  # 4: negative
        "2014K1;Alle;P;ti;1\n"  # 5: not a number
        "2014K1;Alle;R;5;1,5\n"  # 6: cases not whole
        "2014K1;Alle;W;;2\n"  # 7: empty: unknown, loaded with a warning
    )
    assert rules(findings) == [
        (2, "quarter_unparseable"),
        (3, "quarter_unparseable"),
        (4, "number_negative"),
        (5, "number_unparseable"),
        (6, "integer_unparseable"),
        (7, "value_missing"),
    ]
    assert frame["source_line"].tolist() == [7]
    assert pd.isna(frame.loc[0, "lost_workdays"]) and not frame.loc[0, "is_masked"]


def test_duplicate_group_is_held_back_but_chapters_of_andre_lidelser_are_parts():
    frame, findings = parse(
        f"{HEADER}\n"
        "2014K1;Alle;L;10;1\n"
        "2014K1;Alle;Muskel- og skjelettlidelser;10;1\n"  # L again, by name
        "2014K1;Alle;B;2;1\n"
        "2014K1;Alle;F;3;1\n"  # another chapter of ANDRE: a part, not a duplicate
        "2014K1;20;L;10;1\n"  # other scope: fine
        "2014K1;Alle;I alt;15;3\n"
        "2014K1;Alle;i  ALT;15;3\n"  # the total twice
    )
    assert rules(findings) == [(3, "duplicate"), (8, "duplicate")]
    assert frame["source_line"].tolist() == [2, 4, 5, 6, 7]


def test_group_by_name_and_by_its_chapters_would_count_twice():
    _, findings = parse(f"{HEADER}\n2014K1;Alle;Andre lidelser;5;2\n2014K1;Alle;H;3;1\n")
    assert rules(findings) == [(3, "duplicate")]


def test_nine_groups_must_add_up_to_i_alt_and_herav_rows_are_never_added():
    rows = "\n".join(
        [
            "2014K1;Alle;I alt;100,4;20",
            "2014K1;Alle;L;40;8",
            "2014K1;Alle;... herav rygglidelser;25;5",  # inside L's 40, not added again
            "2014K1;Alle;P;30;6",
            "2014K1;Alle;... herav angst/depressive lid;20;4",
            "2014K1;Alle;ANDRE;30;6",
            "2014K2;Alle;I alt;100;20",  # groups add up to 97 and 19: off by 3 and by 1
            "2014K2;Alle;L;97;19",
            "2014K3;Alle;I alt;100;20",  # a masked group: the sum cannot be checked
            "2014K3;Alle;L;90;*",
            "2014K3;Alle;W;*;*",
        ]
    )
    frame, findings = parse(f"{HEADER}\n{rows}\n")
    assert len(frame) == 11
    assert [(f.line, f.column, f.rule) for f in findings] == [
        (8, "Tapte dagsverk", "groups_sum_differs_from_total")
    ]
    assert findings[0].severity == "warning"
    assert "97" in findings[0].message and "100" in findings[0].message


def test_scope_by_organisation_number():
    text = (
        "Kvartal;Orgnr;Diagnosegruppe;Tapte dagsverk;Tilfeller\n"
        f"2014K1;{VALID_ORGNR};L;10;1\n"
        "2014K1;964 963 738;P;10;1\n"  # spaces inside the number are only layout
        "2014K1;123456789;L;10;1\n"  # check digit wrong
        "2014K1;Alle;L;10;1\n"
        "2014K1;;L;10;1\n"
    )
    frame, findings = parse(text)
    assert rules(findings) == [(4, "org_number_invalid"), (6, "scope_missing")]
    assert frame["scope_kind"].tolist() == ["orgnr", "orgnr", "municipality"]
    assert frame["scope_code"].tolist() == [VALID_ORGNR, VALID_ORGNR, "Alle"]


def test_check_scopes_against_the_organisation_file():
    text = (
        "Kvartal;Sektor;Orgnr;Diagnosegruppe;Tapte dagsverk;Tilfeller\n"
        "2014K1;Alle;;L;10;1\n"
        "2014K1;HOV;;L;10;1\n"
        "2014K1;XYZ;;L;10;1\n"
        f"2014K1;;{VALID_ORGNR};L;10;1\n"
        "2014K1;;974760673;L;10;1\n"
    )
    frame, findings = parse(text)
    assert findings == []
    problems = check_scopes(frame, known_sector_codes={"HOV"}, known_org_numbers=[VALID_ORGNR])
    assert [(f.line, f.column, f.rule) for f in problems] == [
        (4, "Sektor", "scope_unknown"),
        (6, "Orgnr", "scope_unknown"),
    ]


def test_unknown_nav_scopes_are_findings_of_the_night_and_held_out(tmp_path):
    """The warehouse build checks NAV's scopes against the staged organisation file (units U1
    and U2 in sectors S1 and S2, no organisation numbers): each unknown sector or organisation
    number is a finding with file, line and column, and its row is not loaded."""
    nav, findings = parse(
        "Kvartal;Sektor;Orgnr;Diagnosegruppe;Tapte dagsverk;Tilfeller\n"
        "2014K1;Alle;;L;10;1\n"
        "2014K1;S1;;L;4;1\n"
        "2014K1;XYZ;;L;3;1\n"
        f"2014K1;;{VALID_ORGNR};L;2;1\n"
    )
    assert findings == []
    con = build(
        tmp_path,
        [("p1", "U1", 100, "2014-01-01", None)],
        [("p1", "SYK", "2014-01-06", "2014-01-10", None, None)],
        as_of="2014-03-31",
        extra_frames={"stg_nav_diagnosis": nav},
    )
    staged = con.execute("SELECT scope_code FROM stg_nav_diagnosis ORDER BY source_line").fetchall()
    con.close()
    assert staged == [("Alle",), ("S1",)]
    ctx = RunContext(tmp_path, tmp_path, dt.date(2014, 3, 31))
    scope = [f for f in quality_findings(ctx) if f.rule == "scope_unknown"]
    assert [(f.source, f.file, f.line, f.column, f.severity) for f in scope] == [
        ("nav_diagnosis", "nav_test.csv", 4, "Sektor", "error"),
        ("nav_diagnosis", "nav_test.csv", 5, "Orgnr", "error"),
    ]
    assert scope[0].message.startswith("Sektoren finnes ikke i organisasjonsfilen")


# --- file reading -------------------------------------------------------------------------------


def test_encodings_cp1252_and_utf8_with_bom_are_detected(tmp_path: Path):
    body = f"{HEADER}\n2014K1;Alle;Sykdom i fordøyelsesorganene;1 234,5;12\n"
    (tmp_path / "a.csv").write_bytes(body.encode("cp1252"))
    (tmp_path / "b.csv").write_bytes(body.replace("2014K1", "2014K2").encode("utf-8-sig"))
    assert decode(body.encode("cp1252"))[1] == "cp1252"
    assert decode(body.encode("utf-8-sig"))[1] == "utf-8-sig"
    frame, findings = read_nav_folder(tmp_path)
    assert findings == []
    assert frame["quarter"].tolist() == ["2014K1", "2014K2"]
    assert frame["diagnosis_group"].tolist() == ["D", "D"]
    assert frame["lost_workdays"].tolist() == [1234.5, 1234.5]
    assert frame["source_file"].tolist() == ["a.csv", "b.csv"]


def test_same_figure_in_two_files_is_a_duplicate(tmp_path: Path):
    body = f"{HEADER}\n2014K1;Alle;L;10;1\n"
    (tmp_path / "a.csv").write_text(body, encoding="utf-8")
    (tmp_path / "b.csv").write_text(body, encoding="utf-8")
    frame, findings = read_nav_folder(tmp_path)
    assert [(f.file, f.line, f.rule) for f in findings] == [("b.csv", 2, "duplicate_across_files")]
    assert frame["source_file"].tolist() == ["a.csv"]


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "file_empty"),
        (b"Kvartal,Sektor,Diagnosegruppe,Tapte dagsverk,Tilfeller\n", "wrong_delimiter"),
        (b"Kvartal;Sektor;Diagnosegruppe;Tilfeller\n2014K1;Alle;L;1\n", "column_missing"),
        (b"Kvartal;Diagnosegruppe;Tapte dagsverk;Tilfeller\n2014K1;L;1;1\n", "column_missing"),
        (f"{HEADER}\n".encode(), "header_only"),
    ],
)
def test_a_file_that_cannot_be_read_whole_gives_one_file_finding(tmp_path: Path, content, rule):
    path = tmp_path / "nav.csv"
    path.write_bytes(content)
    frame, findings = read_nav_diagnosis(path)
    assert frame.empty and list(frame.columns) == list(STAGING_COLUMNS)
    assert [(f.line, f.severity, f.rule) for f in findings] == [(None, "error", rule)]


def test_profile_describes_the_nav_source():
    source = load_profile().source("nav_diagnosis")
    assert source.folder == "nav"
    assert source.header_map() == {
        "Kvartal": "quarter",
        "Sektor": "scope_code",
        "Orgnr": "org_number",
        "Diagnosegruppe": "diagnosis_label",
        "Tapte dagsverk": "lost_workdays",
        "Tilfeller": "cases",
    }
