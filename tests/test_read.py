"""Reading through the profile: encodings, dialect, Excel, personal columns dropped."""

from decimal import Decimal

import pandas as pd
import pytest

from pipeline.errors import FileRejected
from pipeline.profile import load_profile
from pipeline.read import read_source_file

PROFILE = load_profile()
ABSENCES = PROFILE.source("absences")
EMPLOYMENTS = PROFILE.source("employments")

ABSENCE_CSV = (
    "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted;Fraværstekst;Navn\r\n"
    "10001;SYK;03.02.2014;14.02.2014;50,5;2010;Sykemelding;Kari Nordmann\r\n"
    "10002;EGM;04.02.2014;04.02.2014;;;Egenmelding;Ola Søreide\r\n"
)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_csv_is_read_in_any_of_the_accepted_encodings(tmp_path, encoding):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(ABSENCE_CSV.encode(encoding))
    sf = read_source_file(path, ABSENCES, PROFILE)
    assert sf.encoding == encoding
    assert sf.rows_read == 2
    first = sf.frame.iloc[0]
    assert first["from_date"] == pd.Timestamp(2014, 2, 3)
    assert first["absence_pct"] == pytest.approx(50.5)
    assert first["source_line"] == 2
    assert pd.isna(sf.frame.iloc[1]["absence_pct"])


def test_personal_columns_never_enter_the_frame(tmp_path):
    path = tmp_path / "fravaer.csv"
    path.write_bytes(ABSENCE_CSV.encode("cp1252"))
    sf = read_source_file(path, ABSENCES, PROFILE)
    assert sorted(sf.dropped_personal_columns) == ["Fraværstekst", "Navn"]
    values = [str(v) for v in sf.frame.to_numpy().ravel()]
    assert not any("Nordmann" in v or "Søreide" in v for v in values)
    assert "person_name" not in sf.frame.columns and "absence_text" not in sf.frame.columns


def test_excel_file_with_the_same_columns_is_read_like_csv(tmp_path):
    path = tmp_path / "ansettelser.xlsx"
    pd.DataFrame(
        {
            "Ressursnr": ["10001", "10002"],
            "Arbeidssted": ["2010", "3010"],
            "Stillingsprosent": [66.67, 100],
            "Fra dato": [pd.Timestamp("2013-01-01"), pd.Timestamp("2013-08-15")],
            "Til dato": [pd.Timestamp("2014-06-30"), None],
        }
    ).to_excel(path, index=False)
    sf = read_source_file(path, EMPLOYMENTS, PROFILE)
    assert sf.encoding == "xlsx"
    assert sf.frame["position_pct"].tolist() == [pytest.approx(66.67), 100]
    assert sf.frame["from_date"].tolist() == [pd.Timestamp(2013, 1, 1), pd.Timestamp(2013, 8, 15)]
    assert pd.isna(sf.frame["to_date"].iloc[1])
    assert Decimal(str(sf.frame["position_pct"].iloc[0])) == Decimal("66.67")


def test_wrong_delimiter_rejects_the_file_with_a_reason(tmp_path):
    path = tmp_path / "fravaer.csv"
    path.write_text(ABSENCE_CSV.replace(";", ","), encoding="utf-8")
    with pytest.raises(FileRejected) as info:
        read_source_file(path, ABSENCES, PROFILE)
    assert info.value.rule == "wrong_delimiter"
    assert "«,»" in info.value.reason


def test_missing_required_column_names_the_column(tmp_path):
    path = tmp_path / "fravaer.csv"
    path.write_text(ABSENCE_CSV.replace("Fraværskode", "Kode"), encoding="utf-8")
    with pytest.raises(FileRejected) as info:
        read_source_file(path, ABSENCES, PROFILE)
    assert info.value.column == "Fraværskode"


def test_unparseable_date_is_a_finding_on_its_line_and_column(tmp_path):
    path = tmp_path / "fravaer.csv"
    path.write_text(ABSENCE_CSV.replace("14.02.2014", "2014-13-45"), encoding="utf-8")
    sf = read_source_file(path, ABSENCES, PROFILE)
    [finding] = sf.findings
    assert (finding.line, finding.column, finding.rule) == (2, "Til dato", "date_unparseable")
    assert "dd.mm.åååå" in finding.message


def test_blank_lines_are_skipped_without_shifting_line_numbers(tmp_path):
    path = tmp_path / "fravaer.csv"
    lines = ABSENCE_CSV.split("\r\n")
    content = "\r\n".join([lines[0], "", lines[1], ";;;;;;;", lines[2].replace("EGM", "XYZ")])
    path.write_text(content + "\r\n", encoding="utf-8")
    sf = read_source_file(path, ABSENCES, PROFILE)
    assert sf.frame["source_line"].tolist() == [3, 5]  # as a person counts lines in the file
