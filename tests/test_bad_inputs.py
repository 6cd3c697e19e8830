"""The bad-input corpus: each broken export produces its finding (file, line, column, rule) and
no good row is lost. Runs the read-and-validate step exactly as the nightly flow does."""

import concurrent.futures
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from pipeline import expectations, steps
from pipeline.errors import FileRejected
from pipeline.nav import read_nav_folder
from pipeline.profile import Limits, ProfileError, load_profile
from pipeline.rawfile import check_workbook, read_regular_file

PROFILE = load_profile()
KEY = b"k" * 32
UNITS = {"2010", "3010"}

EMPLOYMENTS = (
    "Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato\r\n"
    "10001;2010;100;01.01.2014;\r\n"
    "10002;3010;50;01.01.2014;30.06.2014\r\n"
    "10003;2010;80;01.03.2014;\r\n"
)
ABSENCES = (
    "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted\r\n"
    "10001;SYK;03.02.2014;14.02.2014;;\r\n"
    "10002;EGM;04.02.2014;04.02.2014;;3010\r\n"
    "10003;SYK;03.03.2014;07.03.2014;50;2010\r\n"
)


def load(tmp_path: Path, name: str, content: bytes | str, source: str) -> steps.LoadedFile:
    folder = tmp_path / "agresso"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("cp1252") if isinstance(content, str) else content)
    return steps.read_and_validate(path, source, PROFILE, KEY, UNITS)


def rejected(lf: steps.LoadedFile) -> tuple[str, str | None]:
    assert lf.outcome == "rejected" and lf.frame is None
    [finding] = lf.findings
    assert finding.line is None and finding.severity == "error"
    return finding.rule, finding.column


def quarantined(lf: steps.LoadedFile) -> list[tuple[int, str | None, str]]:
    return [(f.line, f.column, f.rule) for f in lf.findings if f.severity == "error"]


def test_good_files_load_whole(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES, "absences")
    assert (lf.outcome, lf.rows_read, lf.rows_loaded, lf.findings) == ("loaded", 3, 3, [])


# --- whole file rejected -------------------------------------------------------------------


def test_wrong_delimiter(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.replace(";", ","), "absences")
    assert rejected(lf) == ("wrong_delimiter", None)
    assert "«,»" in lf.rejected_reason


def test_utf16_file(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.encode("utf-16"), "absences")
    assert rejected(lf) == ("encoding_utf16", None)


def test_empty_file(tmp_path):
    assert rejected(load(tmp_path, "fravaer.csv", b"", "absences")) == ("file_empty", None)


def test_header_only(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.splitlines()[0] + "\r\n", "absences")
    assert rejected(lf) == ("header_only", None)


def test_missing_column_names_the_column(tmp_path):
    content = "\r\n".join(";".join(line.split(";")[:4]) for line in ABSENCES.splitlines())
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert rejected(lf) == ("column_missing", "Fraværsprosent")


def test_pdf_renamed_csv(tmp_path):
    lf = load(tmp_path, "fravaer.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "absences")
    assert rejected(lf) == ("not_text", None)


def test_xlsx_with_two_sheets(tmp_path):
    path = tmp_path / "agresso" / "ansettelser.xlsx"
    path.parent.mkdir()
    frame = pd.read_csv(pd.io.common.StringIO(EMPLOYMENTS), sep=";", dtype=str)
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="Ansatte", index=False)
        frame.to_excel(writer, sheet_name="Kopi", index=False)
    lf = steps.read_and_validate(path, "employments", PROFILE, KEY, UNITS)
    assert rejected(lf) == ("excel_sheet_count", None)


def test_two_digit_years_fall_outside_the_sane_date_window(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.replace(".2014;", ".14;"), "absences")
    assert rejected(lf) == ("dates_outside_window", "Fra dato")


def test_identity_numbers_as_resource_numbers_reject_the_file(tmp_path):
    content = ABSENCES.replace("10001;", "15076500565;").replace("10002;", "01010012356;")
    content = content.replace("10003;", "15076500565;")
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert rejected(lf) == ("identity_numbers_in_required_column", "Ressursnr")
    assert "15076500565" not in lf.rejected_reason


def test_file_in_the_wrong_folder(tmp_path):
    (tmp_path / "agresso").mkdir()
    (tmp_path / "agresso" / "nav_diagnose.csv").write_text("Kvartal;Sektor\r\n", "utf-8")
    [lf] = steps.unexpected_files(tmp_path, PROFILE)
    assert rejected(lf) == ("file_unexpected", None)
    assert "ansettelser*.csv" in lf.rejected_reason


# --- rows quarantined, the rest loads -------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("14.02.2014", "2014-13-45", (2, "Til dato", "date_unparseable")),
        ("03.02.2014;14.02.2014", "02/03/2014;02/14/2014", (2, "Fra dato", "date_unparseable")),
        ("03.03.2014;07.03.2014", "07.03.2014;03.03.2014", (4, "Til dato", "end_before_start")),
        (";50;2010", ";0;2010", (4, "Fraværsprosent", "grade_out_of_range")),
        (";50;2010", ";140;2010", (4, "Fraværsprosent", "grade_out_of_range")),
        ("10001;SYK", "10001;SYKX", (2, "Fraværskode", "absence_code_unknown")),
        (";;3010", ";;9999", (3, "Arbeidssted", "unit_unknown")),
        ("50;2010\r\n", "50;2010\r\n10003;SYK;03.03.2014;07.", (5, None, "field_count")),
    ],
    ids=[
        "impossible-date",
        "american-dates",
        "end-before-start",
        "grade-0",
        "grade-140",
        "unknown-code",
        "unknown-unit",
        "truncated-last-line",
    ],
)
def test_bad_absence_row_is_quarantined_and_the_rest_loads(tmp_path, old, new, expected):
    content = ABSENCES.replace(old, new)
    assert content != ABSENCES
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert quarantined(lf)[0] == expected
    lines = lf.frame["source_line"].tolist()
    assert expected[0] not in lines
    assert lf.rows_loaded == lf.rows_read - 1


def test_unknown_unit_is_found_the_same_way_against_a_country_of_units(tmp_path):
    """Tens of thousands of known units are checked as membership (GX is slow on large value
    sets): the same line, column and rule as with a handful, and good rows untouched."""
    content = ABSENCES.replace(";;3010", ";;9999")
    folder = tmp_path / "agresso"
    folder.mkdir()
    path = folder / "fravaer.csv"
    path.write_bytes(content.encode("cp1252"))
    many_units = set(UNITS) | {f"{n:05d}" for n in range(10000, 40000)}
    assert len(many_units) > expectations.LARGE_VALUE_SET
    few = steps.read_and_validate(path, "absences", PROFILE, KEY, UNITS, None)
    many = steps.read_and_validate(path, "absences", PROFILE, KEY, many_units, None)
    assert quarantined(many) == quarantined(few) == [(3, "Arbeidssted", "unit_unknown")]
    assert many.frame.equals(few.frame)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("10002;3010;50;", "10002;3010;140;", (3, "Stillingsprosent", "position_pct_out_of_range")),
        ("10002;3010;50;", "10002;3010;0;", (3, "Stillingsprosent", "position_pct_out_of_range")),
        ("01.01.2014;30.06.2014", "01.07.2014;30.06.2014", (3, "Til dato", "end_before_start")),
    ],
    ids=["position-140", "position-0", "employment-end-before-start"],
)
def test_bad_employment_row_is_quarantined(tmp_path, old, new, expected):
    lf = load(tmp_path, "ansettelser.csv", EMPLOYMENTS.replace(old, new), "employments")
    assert quarantined(lf) == [expected]
    assert lf.rows_loaded == 2


def test_duplicate_row_keeps_the_first_copy(tmp_path):
    lines = ABSENCES.splitlines()
    lf = load(tmp_path, "fravaer.csv", "\r\n".join([*lines, lines[1]]) + "\r\n", "absences")
    assert quarantined(lf) == [(5, None, "duplicate_row")]
    assert lf.frame["source_line"].tolist() == [2, 3, 4]


def test_extra_unknown_column_is_reported_and_not_read(tmp_path):
    content = "\r\n".join(
        line + (";Merknad" if i == 0 else ";fritekst")
        for i, line in enumerate(ABSENCES.splitlines())
    )
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert [(f.column, f.rule, f.severity) for f in lf.findings] == [
        ("Merknad", "column_unknown", "warning")
    ]
    assert lf.rows_loaded == 3 and "Merknad" not in lf.frame.columns


def test_identity_numbers_under_a_harmless_header_are_dropped_and_reported(tmp_path):
    numbers = ["15076500565", "01010012356", "15076500565"]
    content = "\r\n".join(
        line + (";Referanse" if i == 0 else f";{numbers[i - 1]}")
        for i, line in enumerate(ABSENCES.splitlines())
    )
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert [(f.column, f.rule) for f in lf.findings] == [("Referanse", "identity_numbers_dropped")]
    assert lf.rows_loaded == 3
    text = lf.frame.to_string()
    assert not any(n in text for n in numbers)
    assert not any(n in f.message for f in lf.findings for n in numbers)


@pytest.mark.parametrize(
    ("header", "value"), [("Navn", "Kari Nordmann"), ("Fødselsnr", "15076500565")]
)
def test_profiles_personal_columns_are_never_read(tmp_path, header, value):
    # Optional columns of the export format, dropped by design: their values are never parsed
    # (no finding). Identity numbers under any other header are found and reported (above).
    content = "\r\n".join(
        line + (f";{header}" if i == 0 else f";{value}")
        for i, line in enumerate(ABSENCES.splitlines())
    )
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert lf.rows_loaded == 3 and lf.findings == []
    assert value not in lf.frame.to_string()


def test_resource_numbers_are_replaced_by_pseudonyms(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES, "absences")
    assert "resource_id" not in lf.frame.columns
    assert not lf.frame["person_key"].str.contains("1000").any()
    assert lf.frame["person_key"].str.fullmatch(r"[0-9a-f]{32}").all()


# --- poison: inputs that used to stop or fool the night ---------------------------------------


def xlsx_bytes(csv_text: str, patch=None) -> bytes:
    """A one-sheet workbook of the CSV text; `patch` rewrites the sheet's XML (bytes -> bytes)."""
    buffer = io.BytesIO()
    frame = pd.read_csv(io.StringIO(csv_text), sep=";", dtype=str, keep_default_na=False)
    frame.to_excel(buffer, index=False)
    if patch is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = patch(data)
            zf.writestr(part.filename, data)
    return out.getvalue()


def far_cell(xml: bytes) -> bytes:
    """One cell at XFD1048576, the last cell Excel has; the dimension left as it was (a lie)."""
    return xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    )


def test_good_workbook_loads(tmp_path):
    lf = load(tmp_path, "fravaer.xlsx", xlsx_bytes(ABSENCES), "absences")
    assert (lf.outcome, lf.rows_loaded) == ("loaded", 3)


def test_workbook_with_a_cell_at_xfd1048576_is_rejected_before_the_reader(tmp_path):
    lf = load(tmp_path, "fravaer.xlsx", xlsx_bytes(ABSENCES, far_cell), "absences")
    assert rejected(lf) == ("excel_too_large", None)
    assert "rad 1\u00a0048\u00a0576 og kolonne 16\u00a0384" in lf.rejected_reason


def test_workbook_whose_dimension_claims_the_whole_sheet_is_rejected(tmp_path):
    def claim(xml: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)

    lf = load(tmp_path, "fravaer.xlsx", xlsx_bytes(ABSENCES, claim), "absences")
    assert rejected(lf) == ("excel_too_large", None)


def test_workbook_that_unpacks_beyond_the_limit_is_rejected_unread():
    # A deflate bomb in small: 3 MB of blanks in the sheet pack to a few KB.
    bomb = xlsx_bytes(
        ABSENCES, lambda xml: xml.replace(b"<sheetData>", b" " * 3_000_000 + b"<sheetData>")
    )
    assert len(bomb) < 100_000
    limits = Limits(max_excel_uncompressed_mb=2)
    with pytest.raises(FileRejected) as caught:
        check_workbook(bomb, limits)
    assert caught.value.rule == "excel_too_large"
    assert "pakkes ut til 2 MB, mer enn grensen på 2 MB" in caught.value.reason
    check_workbook(bomb, Limits(max_excel_uncompressed_mb=4))  # within the limit: accepted


def test_line_with_many_extra_fields_is_quarantined_and_the_rest_loads(tmp_path):
    lines = ABSENCES.splitlines()
    lines[2] += ";" * 100_000
    lf = load(tmp_path, "fravaer.csv", "\r\n".join(lines) + "\r\n", "absences")
    assert quarantined(lf) == [(3, None, "field_count")]
    assert lf.frame["source_line"].tolist() == [2, 4]
    assert (lf.rows_read, lf.rows_loaded) == (3, 2)


def test_header_with_more_columns_than_the_profile_allows_is_rejected(tmp_path):
    header = ABSENCES.splitlines()[0] + "".join(f";x{i}" for i in range(PROFILE.limits.max_columns))
    lf = load(tmp_path, "fravaer.csv", header + "\r\n" + ABSENCES.split("\r\n", 1)[1], "absences")
    assert rejected(lf) == ("too_many_columns", None)
    assert "limits.max_columns" in lf.rejected_reason


def test_stray_delimiter_in_free_text_of_the_first_row_quarantines_that_row_only(tmp_path):
    # The header has 7 fields, the first data row 8: pandas used to take the extra field as an
    # index and shift every row one column.
    content = (
        "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted;Fraværstekst\r\n"
        "10001;EGM;03.02.2014;04.02.2014;;2010;Egenmelding; vondt i ryggen\r\n"
        "10002;SYK;04.02.2014;14.02.2014;50;3010;Sykmelding\r\n"
        "10003;SYK;03.03.2014;07.03.2014;;2010;\r\n"
    )
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert quarantined(lf) == [(2, None, "field_count")]
    assert lf.frame["absence_code"].tolist() == ["SYK", "SYK"]
    assert lf.frame["unit_code"].tolist() == ["3010", "2010"]
    assert lf.frame["absence_pct"].tolist()[0] == 50


def test_line_with_too_few_fields_is_quarantined(tmp_path):
    lines = ABSENCES.splitlines()
    lines[1] = "10001;SYK;03.02.2014;14.02.2014"
    lf = load(tmp_path, "fravaer.csv", "\r\n".join(lines) + "\r\n", "absences")
    assert quarantined(lf) == [(2, None, "field_count")]
    assert lf.rows_loaded == 2


def test_quoted_delimiter_is_a_character_not_a_field(tmp_path):
    content = (
        "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted;Fraværstekst\r\n"
        '10001;EGM;03.02.2014;04.02.2014;;2010;"Egenmelding; vondt i ryggen"\r\n'
        "10002;SYK;04.02.2014;14.02.2014;50;3010;x;y\r\n"
    )
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    assert quarantined(lf) == [(3, None, "field_count")]
    assert lf.frame["source_line"].tolist() == [2]


def test_many_exact_duplicates_are_one_finding_with_the_count_and_first_lines(tmp_path):
    lines = ABSENCES.splitlines()
    content = "\r\n".join(lines + [lines[1]] * 500) + "\r\n"
    lf = load(tmp_path, "fravaer.csv", content, "absences")
    [finding] = [f for f in lf.findings if f.rule == "duplicate_row"]
    assert (finding.line, finding.extra["count"]) == (5, 500)
    assert finding.extra["lines"] == list(range(5, 15))
    assert "Gjelder 500 linjer (linje 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 …)" in finding.message
    assert (lf.rows_read, lf.rows_loaded) == (503, 3)
    ctx = steps.RunContext(tmp_path, tmp_path, dt.date(2014, 6, 30))
    [log] = steps.load_log_frame(ctx, [lf]).to_dict("records")
    assert (log["rows_read"], log["rows_loaded"], log["rows_quarantined"]) == (503, 3, 500)


def test_a_few_duplicates_keep_a_finding_each(tmp_path):
    lines = ABSENCES.splitlines()
    lf = load(tmp_path, "fravaer.csv", "\r\n".join(lines + [lines[1]] * 3) + "\r\n", "absences")
    assert quarantined(lf) == [
        (5, None, "duplicate_row"),
        (6, None, "duplicate_row"),
        (7, None, "duplicate_row"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("03.02.2014;14.02.2014", "02.01.1900;14.01.1900", (2, "Fra dato", "date_outside_window")),
        ("04.02.2014;04.02.2014", "04.02.2014;04.02.2114", (3, "Til dato", "date_outside_window")),
        ("03.03.2014;07.03.2014", "01.01.2000;31.12.2019", (4, "Til dato", "period_too_long")),
    ],
    ids=["year-1900", "year-2114", "twenty-year-spell"],
)
def test_date_outside_the_sources_window_quarantines_the_row(tmp_path, old, new, expected):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.replace(old, new), "absences")
    assert quarantined(lf) == [expected]
    assert lf.rows_loaded == 2


def test_thirty_year_spell_from_1990_is_quarantined(tmp_path):
    lf = load(
        tmp_path,
        "fravaer.csv",
        ABSENCES.replace("03.03.2014;07.03.2014", "01.01.1990;31.12.2019"),
        "absences",
    )
    assert [rule for _, _, rule in quarantined(lf)] == ["date_outside_window"]


def test_employment_from_1975_is_plausible(tmp_path):
    lf = load(
        tmp_path, "ansettelser.csv", EMPLOYMENTS.replace("01.03.2014", "01.08.1975"), "employments"
    )
    assert (lf.rows_loaded, lf.findings) == (3, [])


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e-300", "number_unparseable"),
        ("5E1", "number_unparseable"),
        ("33,333", "number_unparseable"),
    ],
)
def test_number_in_exponent_notation_or_with_too_many_decimals_is_a_finding(tmp_path, value, rule):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.replace(";50;2010", f";{value};2010"), "absences")
    assert quarantined(lf) == [(4, "Fraværsprosent", rule)]
    assert "høyst 2 desimaler" in lf.findings[0].message


def test_number_with_allowed_decimals_loads(tmp_path):
    lf = load(tmp_path, "fravaer.csv", ABSENCES.replace(";50;2010", ";33,33;2010"), "absences")
    assert lf.findings == [] and lf.frame["absence_pct"].tolist()[2] == 33.33


def test_bom_in_the_middle_of_a_file_is_removed_and_reported(tmp_path):
    clean = load(tmp_path, "fravaer.csv", ABSENCES, "absences").frame
    lines = ABSENCES.encode("utf-8").split(b"\r\n")
    lines[2] = b"\xef\xbb\xbf" + lines[2]  # two exports pasted together
    lf = load(tmp_path, "fravaer.csv", b"\r\n".join(lines), "absences")
    assert [(f.line, f.rule, f.severity) for f in lf.findings] == [
        (3, "bom_inside_file", "warning")
    ]
    assert lf.frame["person_key"].tolist() == clean["person_key"].tolist()  # no phantom person


ORGANISATION_UTF8 = (
    "Arbeidssted;Navn;Sektor;Sektornavn\r\n"
    "2010;Andebu sykehjem;20;Helse, omsorg og velferd\r\n"
    "3010;Høyjord skole;30;Oppvekst og kultur\r\n"
    "3020;Kodal skole;30;Oppvekst og kultur – sør\r\n"
    "3030;Øvre Ålby skole;30;Oppvekst og kultur\r\n"
)


def test_windows_1252_line_in_a_utf8_file_is_quarantined_not_mojibake(tmp_path):
    lines = ORGANISATION_UTF8.split("\r\n")
    raw = b"\r\n".join(line.encode("cp1252" if i == 3 else "utf-8") for i, line in enumerate(lines))
    lines[3] = "3020;Kodal skole – Bø;30;Oppvekst og kultur"
    raw = b"\r\n".join(line.encode("cp1252" if i == 3 else "utf-8") for i, line in enumerate(lines))
    lf = load(tmp_path, "organisasjon.csv", raw, "organisation")
    assert lf.encoding == "utf-8"
    assert [(f.line, f.rule) for f in lf.findings] == [(4, "encoding_mixed")]
    assert lf.frame["unit_name"].tolist() == ["Andebu sykehjem", "Høyjord skole", "Øvre Ålby skole"]


def test_utf8_line_in_a_windows_1252_file_is_quarantined(tmp_path):
    lines = ORGANISATION_UTF8.split("\r\n")
    raw = b"\r\n".join(line.encode("utf-8" if i == 2 else "cp1252") for i, line in enumerate(lines))
    lf = load(tmp_path, "organisasjon.csv", raw, "organisation")
    assert lf.encoding == "cp1252"
    assert [(f.line, f.rule) for f in lf.findings] == [(3, "encoding_mixed")]
    assert lf.frame["unit_name"].tolist() == ["Andebu sykehjem", "Kodal skole", "Øvre Ålby skole"]


def test_windows_1252_file_is_read_as_such(tmp_path):
    lf = load(tmp_path, "organisasjon.csv", ORGANISATION_UTF8.encode("cp1252"), "organisation")
    assert (lf.encoding, lf.findings) == ("cp1252", [])
    assert lf.frame["unit_name"].tolist()[1] == "Høyjord skole"


# --- poison in the folders: names, folders, pipes, links ----------------------------------------


def test_long_file_name_is_shortened_when_rejected_and_kept_in_the_reason(tmp_path):
    name = "fravaer_" + "x" * 240 + ".csv"
    assert len(name) == 252
    lf = load(tmp_path, name, ABSENCES.replace(";", ","), "absences")
    target = steps.move_rejected(lf, tmp_path / "rejected", "0123456789ab")
    assert target.exists() and not lf.path.exists()
    assert target.name.startswith("0123456789ab_fravaer_xxx") and target.name.endswith(".csv")
    reason = target.with_name(target.name + ".grunn.txt")
    assert len(reason.name.encode()) <= 255
    assert f"Fil: {name}\n" in reason.read_text(encoding="utf-8")


def test_two_long_names_stay_apart_when_shortened():
    a = steps.rejected_name("a" * 250 + "1.csv", "run")
    b = steps.rejected_name("a" * 250 + "2.csv", "run")
    assert a != b and len(a.encode()) <= 245 and len(b.encode()) <= 245
    assert steps.rejected_name("fravaer.csv", "run") == "run_fravaer.csv"


def odd_entries(raw: Path) -> Path:
    """A directory named like an export, a named pipe, and links to a file elsewhere, in every
    input folder; plus one good organisation file."""
    outside = raw.parent / "elsewhere.csv"
    outside.write_text(ORGANISATION_UTF8, encoding="utf-8")
    for folder in ["agresso", "nav", "ssb", "manual"]:
        (raw / folder).mkdir(parents=True, exist_ok=True)
    (raw / "nav" / "gammel.csv").mkdir()
    os.mkfifo(raw / "nav" / "fifo.csv")
    os.mkfifo(raw / "manual" / "maalinger.csv")
    (raw / "agresso" / "organisasjon_lenke.csv").symlink_to(outside)
    (raw / "ssb" / "tabell.csv").symlink_to(outside)
    (raw / "agresso" / "organisasjon.csv").write_text(ORGANISATION_UTF8, encoding="utf-8")
    return outside


def in_time(function, *args, seconds: float = 30):
    """Call function(*args) in a thread; fail instead of hanging when it blocks (a named pipe)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result(timeout=seconds)


def test_only_regular_files_are_read_and_every_other_entry_is_a_finding(tmp_path):
    raw = tmp_path / "raw"
    odd_entries(raw)
    found = in_time(steps.discover, raw, PROFILE, steps.AGRESSO_SOURCES)
    assert found["organisation"] == [raw / "agresso" / "organisasjon.csv"]
    rejected_entries = in_time(steps.unexpected_files, raw, PROFILE)
    assert sorted(
        (lf.path.relative_to(raw).as_posix(), lf.findings[0].rule) for lf in rejected_entries
    ) == [
        ("agresso/organisasjon_lenke.csv", "not_regular_file"),
        ("manual/maalinger.csv", "not_regular_file"),
        ("nav/fifo.csv", "not_regular_file"),
        ("nav/gammel.csv", "not_regular_file"),
        ("ssb/tabell.csv", "not_regular_file"),
    ]
    reasons = {lf.path.name: lf.rejected_reason for lf in rejected_entries}
    assert "er en mappe" in reasons["gammel.csv"]
    assert "er en snarvei" in reasons["tabell.csv"]
    assert "er en spesialfil" in reasons["fifo.csv"]
    # Readers of the other folders pass them by (they would hang or read outside data/raw).
    frame, findings = in_time(read_nav_folder, raw / "nav", PROFILE)
    assert frame.empty and findings == []
    frame, findings = in_time(steps.read_reference_folder, raw / "ssb")
    assert frame.empty and findings == []
    # Nothing odd is moved: a link, a pipe or a folder stays for a person to remove.
    for lf in rejected_entries:
        assert steps.move_rejected(lf, tmp_path / "rejected", "run") is None
        assert lf.path.is_symlink() or lf.path.exists()


def test_a_link_is_never_followed_even_when_read_directly(tmp_path):
    raw = tmp_path / "raw"
    odd_entries(raw)
    lf = steps.read_and_validate(
        raw / "agresso" / "organisasjon_lenke.csv", "organisation", PROFILE, KEY
    )
    assert rejected(lf) == ("not_regular_file", None)


def test_a_linked_source_folder_is_not_read(tmp_path):
    raw = tmp_path / "raw"
    real = tmp_path / "real_agresso"
    real.mkdir()
    (real / "organisasjon.csv").write_text(ORGANISATION_UTF8, encoding="utf-8")
    raw.mkdir()
    (raw / "agresso").symlink_to(real)
    assert steps.discover(raw, PROFILE, ["organisation"]) == {"organisation": []}
    [lf] = steps.unexpected_files(raw, PROFILE)
    assert (lf.path.name, lf.findings[0].rule) == ("agresso", "not_regular_file")


def test_file_larger_than_the_limit_is_rejected_before_it_is_read(tmp_path):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(ABSENCES.encode() + b"x" * 2_000_000)
    with pytest.raises(FileRejected) as caught:
        read_regular_file(path, Limits(max_file_mb=1))
    assert caught.value.rule == "file_too_large"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("max_rows: 20000000", "max_rows: -5", "limits.max_rows må være et positivt tall"),
        ("max_rows: 20000000", "max_lines: 5", "limits.max_lines er ukjent"),
        ("earliest: 2000-01-01", 'earliest: "2000-13-01"', "sources.absences.dates"),
        ("earliest: 2000-01-01", "earliest: 2000-13-01", "er ikke gyldig YAML"),
        ("earliest: 2000-01-01", "earliest: 2100-01-01", "earliest er etter latest"),
    ],
)
def test_profile_limits_and_date_windows_are_checked(tmp_path, old, new, says):
    text = PROFILE.path.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "profil.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(says)):
        load_profile(path)


def test_profile_limits_are_used(tmp_path):
    text = PROFILE.path.read_text(encoding="utf-8").replace("max_columns: 200", "max_columns: 5")
    path = tmp_path / "profil.yaml"
    path.write_text(text, encoding="utf-8")
    folder = tmp_path / "agresso"
    folder.mkdir()
    (folder / "fravaer.csv").write_bytes(ABSENCES.encode("cp1252"))
    profile = load_profile(path)
    lf = steps.read_and_validate(folder / "fravaer.csv", "absences", profile, KEY, UNITS)
    assert rejected(lf) == ("too_many_columns", None)
