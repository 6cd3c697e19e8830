"""The Arrow CSV path gives exactly the rows, line numbers and skipped columns pandas gives, and
leaves to pandas what it does not handle."""

import pandas as pd
import pytest

from pipeline import arrow_csv, read
from pipeline.profile import load_profile

DIALECT = load_profile().dialect
TEXT = (
    "Ressursnr;Navn;Dato\r\n"
    "1;Ola;01.01.2014\r\n"
    "\r\n"  # line 3: blank, counted
    ";;\r\n"  # line 4: delimiters only, dropped
    "2; Kari ;02.01.2014\r\n"
    "3;x;\r\n"
)


@pytest.mark.parametrize("text", [TEXT, TEXT.replace("\r\n", "\n") + "4;y;z"])
def test_same_rows_lines_and_skipped_columns_as_pandas(text, monkeypatch):
    fast = read.read_csv_text(text, DIALECT, {"Navn"})
    assert fast.index.tolist() == [2, 5, 6] + ([7] if text.endswith("z") else [])
    assert fast.loc[5, "Dato"] == "02.01.2014" and fast.loc[6, "Dato"] == ""
    assert "Navn" not in fast.columns and fast.attrs["skipped_headers"] == ["Navn"]
    monkeypatch.setattr(read, "read_plain_csv", lambda *args: None)  # pandas parses
    by_pandas = read.read_csv_text(text, DIALECT, {"Navn"})
    pd.testing.assert_frame_equal(fast, by_pandas)
    assert fast.attrs == by_pandas.attrs


def test_line_numbers_count_blank_lines():
    assert arrow_csv.data_line_numbers(b"h\n1\n\n\r\n2\r\n3").tolist() == [2, 5, 6]


@pytest.mark.parametrize(
    "text",
    [
        'a;b\n1;"x;y"\n',  # quotes: a field may hold the delimiter
        "a;b\r1;2\r",  # a lone carriage return
        "a;a\n1;2\n",  # a repeated header
        "a;\n1;2\n",  # an empty header
    ],
)
def test_leaves_what_it_does_not_handle_to_pandas(text):
    fields = text.splitlines()[0].split(";")
    assert arrow_csv.read_plain_csv(text, ";", fields, str.strip, ()) is None


def test_dates_as_pandas_reads_them_value_by_value():
    values = pd.Series(
        ["03.02.2014", " 1.2.2014", "31.02.2014", "-", "", "29.02.2012", "2014-01-01", "03.02.14"]
    )
    parsed = read.parse_dates(values, DIALECT)
    assert parsed.tolist()[:2] == [pd.Timestamp("2014-02-03"), pd.Timestamp("2014-02-01")]
    assert parsed[5] == pd.Timestamp("2012-02-29")
    assert parsed[[2, 3, 4, 6, 7]].isna().all()  # no 31 February, missing, other formats
    by_pandas = pd.to_datetime(
        values.str.strip().where(~values.str.strip().isin(["", "-"])),
        format="%d.%m.%Y",
        errors="coerce",
    )
    pd.testing.assert_series_equal(parsed, by_pandas)
