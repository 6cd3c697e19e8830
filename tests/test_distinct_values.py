"""Work done once per distinct value (typing, the suites, repeated rows, pseudonyms) gives what
the same work row by row gives: the same values and dtypes, findings on every line concerned."""

import numpy as np
import pandas as pd

from pipeline import expectations, intake
from pipeline.privacy import pseudonymise_persons, pseudonyms_of
from pipeline.profile import load_profile
from pipeline.read import MISSING_MARKERS, parse_dates, parse_numbers, type_columns
from pipeline.validate import repeated_rows, suite_parameters

PROFILE = load_profile()
ABSENCES = PROFILE.source("absences")
KEY = b"k" * 32


def test_typing_per_distinct_value_is_typing_each_row():
    raw = pd.DataFrame(
        {
            "source_line": range(2, 10),
            "resource_id": [" 1", "1", "2", "-", "", "3 ", "3", "4"],
            "from_date": [
                "03.02.2014",
                "03.02.2014",
                " 1.2.2014",
                "31.02.2014",
                "",
                "-",
                "x",
                "03.02.2014",
            ],
            "absence_pct": ["50,5", "50,5", "1e2", "", "100", " 1 234,5", "-", "50,5"],
        }
    ).astype({"resource_id": str, "from_date": str, "absence_pct": str})
    typed, findings, codes = type_columns(raw, ABSENCES, PROFILE.dialect, "fravaer.csv")
    dates = parse_dates(raw["from_date"].str.strip(), PROFILE.dialect)
    pd.testing.assert_series_equal(typed["from_date"], dates, check_names=False)
    numbers = parse_numbers(raw["absence_pct"].str.strip(), PROFILE.dialect, 2)
    pd.testing.assert_series_equal(typed["absence_pct"], numbers, check_names=False)
    text = raw["resource_id"].str.strip()
    pd.testing.assert_series_equal(
        typed["resource_id"], text.where(~text.isin(MISSING_MARKERS), None), check_names=False
    )
    assert [(f.line, f.rule) for f in findings] == [
        (5, "date_unparseable"),
        (8, "date_unparseable"),
        (4, "number_unparseable"),
    ]
    # Equal typed values, equal codes; missing values alike.
    assert codes["resource_id"][0] == codes["resource_id"][1]
    assert codes["resource_id"][3] == codes["resource_id"][4]
    assert codes["from_date"][0] == codes["from_date"][1] != codes["from_date"][2]


def test_repeated_rows_from_value_codes_are_pandas_duplicated():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({c: rng.integers(0, 4, 2000) for c in "abc"}).astype(float)
    frame.loc[rng.integers(0, 2000, 200), "b"] = np.nan
    codes = {c: pd.factorize(frame[c], use_na_sentinel=False)[0] for c in frame.columns}
    expected = frame.duplicated(keep="first").to_numpy()
    assert (repeated_rows(frame, list(frame.columns), codes) == expected).all()
    assert (repeated_rows(frame, list(frame.columns), None) == expected).all()


def test_the_suite_on_distinct_values_reports_every_line_that_fails():
    n = 3000
    frame = pd.DataFrame(
        {
            "source_line": np.arange(2, n + 2),
            "absence_code": pd.Series(["SYK", "XYZ", "EGM"] * (n // 3), dtype=str),
            "absence_pct": np.tile([50.0, 0.0, 100.0, 120.0, np.nan], n // 5),
            "from_date": pd.Timestamp("2014-01-10"),
            "to_date": pd.Timestamp("2014-01-10")
            + pd.to_timedelta(np.tile([0, -1, 5], n // 3), unit="D"),
            "unit_code": pd.Series(["2010"] * (n - 1) + ["9999"], dtype=str),
        }
    )
    units = {str(u) for u in range(2000, 2000 + expectations.LARGE_VALUE_SET + 10)}
    params = suite_parameters(PROFILE, units)
    failures = {f.rule: f.lines for f in expectations.check_rows(frame, ABSENCES, params)}
    lines = frame["source_line"]
    assert failures["absence_code_unknown"] == lines[frame["absence_code"] == "XYZ"].tolist()
    out_of_range = frame["absence_pct"].isin([0.0, 120.0])
    assert failures["grade_out_of_range"] == lines[out_of_range].tolist()
    assert failures["end_before_start"] == lines[frame["to_date"] < frame["from_date"]].tolist()
    assert failures["unit_unknown"] == [n + 1]
    # A failing first value stands for the padding that repeats it: reported once per line.
    frame["absence_code"] = pd.Series(["XYZ"] + ["SYK"] * (n - 1), dtype=str)
    failures = {f.rule: f.lines for f in expectations.check_rows(frame, ABSENCES, params)}
    assert failures["absence_code_unknown"] == [2]


def test_persons_hashed_once_for_pseudonyms_and_resource_numbers(tmp_path):
    values = pd.Series([" 10001", "10001", "10002 ", "10002"], dtype=str)
    keys, persons = pseudonymise_persons(values, KEY)
    first, second = pseudonyms_of(["10001", "10002"], KEY)
    assert keys.tolist() == [first, first, second, second]
    assert persons == {first: "10001", second: "10002"}
    path = tmp_path / "fravaer.csv"
    path.write_text(
        "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted\r\n"
        "10001;SYK;03.02.2014;14.02.2014;;2010\r\n",
        encoding="cp1252",
    )
    lf = intake.read_and_validate(path, "absences", PROFILE, KEY, {"2010"})
    assert lf.resource_numbers == {first: "10001"}
    assert lf.frame["person_key"].tolist() == [first]


def test_utf8_sequences_found_without_a_regular_expression():
    from pipeline.rawfile import _UTF8_SEQUENCE, _has_utf8_sequence

    samples = [b"", b"abc", b"\xf8", b"\xc3\xb8", b"a\xc3", b"\xc3a\xb8", b"\xf5\x80", b"\xc2\x80"]
    samples += [
        bytes(np.random.default_rng(s).integers(0, 256, 50, dtype=np.uint8)) for s in range(200)
    ]
    for sample in samples:
        assert _has_utf8_sequence(sample) == bool(_UTF8_SEQUENCE.search(sample)), sample


def test_an_entry_that_judges_a_share_of_the_rows_sees_every_row():
    frame = pd.DataFrame({"source_line": [2, 3, 4], "absence_code": ["SYK", "SYK", "XYZ"]})
    per_value = {
        "expectation": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "absence_code", "value_set": ["SYK"]},
        "rule": "r",
    }
    assert expectations._DistinctValues.of(frame, [per_value]) is not None
    share = {**per_value, "kwargs": {**per_value["kwargs"], "mostly": 0.5}}
    assert expectations._DistinctValues.of(frame, [per_value, share]) is None
