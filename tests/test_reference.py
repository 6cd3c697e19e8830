"""National reference series: SSB table 12439 and NAV's diagnosis tables, inline and real files."""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipeline.reference import (
    REFERENCE_COLUMNS,
    ReferenceFormatError,
    read_nav_long_csv,
    read_nav_wide_tables,
    read_ssb_table,
    split_digit_groups,
)

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"
SSB_FILE = REFERENCE / "ssb_sykefravaer.csv"
NAV_WIDE = REFERENCE / "nav_tabellsider_utdrag.txt"
NAV_LONG = REFERENCE / "nav_legemeldt_diagnose_3kv_4kv_2004-2014_fra_nav_tabellsider.csv"
KEYS = ["series", "quarter", "diagnosis_group", "diagnosis_subgroup"]


def share_pct(part: float, whole: float) -> Decimal:
    """Part of whole in percent, one decimal, half up on the exact value (NAV's rounding)."""
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def total_differences(frame: pd.DataFrame) -> pd.DataFrame:
    """Per source, series, quarter, scope and sex: the sum of the main groups (herav rows never
    added), the "I alt" value and their difference (sum minus total)."""
    keys = ["source", "series", "quarter", "scope", "sex"]
    main = frame[frame["diagnosis_group"].notna() & ~frame["is_subgroup"]]
    total = frame[frame["diagnosis_group"].isna()].set_index(keys)["value"].rename("total")
    sums = main.groupby(keys)["value"].sum(min_count=1).rename("group_sum")
    out = pd.concat([sums, total], axis=1, join="inner").reset_index()
    out["difference"] = out["group_sum"] - out["total"]
    return out


def value(frame: pd.DataFrame, series: str, quarter: str, group: str | None) -> float:
    rows = frame[
        (frame["series"] == series)
        & (frame["quarter"] == quarter)
        & ~frame["is_subgroup"]
        & (frame["diagnosis_group"].isna() if group is None else frame["diagnosis_group"] == group)
    ]
    assert len(rows) == 1
    return rows["value"].iloc[0]


# --- splitting NAV's grouped digits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "numbers"),
    [
        ("5 181 801 5 249 207", 2, [5181801, 5249207]),  # short first groups fix the split
        ("264 130 258 177 288 783", 3, [264130, 258177, 288783]),  # 3-digit groups only
        ("914 050 910 830 998 169 1 002 098", 4, [914050, 910830, 998169, 1002098]),
        ("20 183 22 324", 2, [20183, 22324]),
        ("100 045", 1, [100045]),
        ("1 234 .. 567", 3, [1234, None, 567]),  # a masked year stands alone
        ("7 0 12", 3, [7, 0, 12]),
    ],
)
def test_split_digit_groups(text, count, numbers):
    assert split_digit_groups(text.split(), count) == numbers


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("123 456 789", 2),  # 123 | 456 789 or 123 456 | 789: equally plausible
        ("100 045", 2),  # "045" cannot start a number
        ("1 2", 3),  # too few groups
        ("12 34x", 2),
    ],
)
def test_split_digit_groups_refuses_to_guess(text, count):
    with pytest.raises(ValueError):
        split_digit_groups(text.split(), count)


# --- inline formats -----------------------------------------------------------------------------


def test_ssb_csv_keeps_the_not_seasonally_adjusted_rate_and_missing_markers(tmp_path: Path):
    path = tmp_path / "ssb.csv"
    both, adjusted = '"Begge kjønn","Egenmeldt og legemeldt"', '"Sykefraværsprosent, sesongjustert"'
    rate = '"Sykefraværsprosent, ikke-sesongjustert"'
    path.write_text(
        '"kjønn","type sykefravær","kvartal","statistikkvariabel",'
        '"12439: Sykefravær for lønnstakere(prosent),"\n'
        f'{both},"2014K1",{rate},6.5\n'
        f'{both},"2014K1",{adjusted},6.1\n'
        f'"Begge kjønn","Legemeldt","2014K1",{rate},5.3\n'
        f'{both},"2014K2",{rate},..\n',
        encoding="utf-8",
    )
    frame = read_ssb_table(path)
    assert list(frame.columns) == list(REFERENCE_COLUMNS)
    assert frame[["series", "quarter"]].values.tolist() == [
        ["sick_leave_pct", "2014K1"],
        ["doctor_certified_pct", "2014K1"],
        ["sick_leave_pct", "2014K2"],
    ]
    assert frame["value"].tolist()[:2] == [6.5, 5.3]
    assert pd.isna(frame["value"].iloc[2])  # ".." is unknown, not 0
    assert set(frame["source"]) == {"SSB 12439"} and set(frame["unit"]) == {"prosent"}
    assert set(frame["scope"]) == {"Norge"} and set(frame["sex"]) == {"Begge kjønn"}


def test_ssb_csv_without_the_value_column_is_refused(tmp_path: Path):
    path = tmp_path / "ssb.csv"
    path.write_text('"kjønn","type sykefravær","kvartal","statistikkvariabel","verdi"\n')
    with pytest.raises(ReferenceFormatError, match="12439:"):
        read_ssb_table(path)


def test_wide_table_herav_rows_are_subgroups_and_not_added_to_totals(tmp_path: Path):
    path = tmp_path / "nav.txt"
    path.write_text(
        "@@ https://example.invalid/tabell|tilfeller|3|2012 2013\n"
        "I alt 1 100 1 200\n"
        "Muskel/skjelett-lidelser 600 700\n"
        "... herav rygglidelser 300 350\n"
        "Psykiske lidelser 300 300\n"
        "Andre lidelser 200 200\n",
        encoding="utf-8",
    )
    frame = read_nav_wide_tables(path)
    assert len(frame) == 10
    herav = frame[frame["is_subgroup"]]
    assert herav["diagnosis_group"].tolist() == ["L", "L"]
    assert herav["diagnosis_subgroup"].tolist() == ["Rygglidelser", "Rygglidelser"]
    assert herav["label"].iloc[0] == "Legemeldte sykefraværstilfeller, herav rygglidelser"
    sums = total_differences(frame)
    assert sums[["quarter", "group_sum", "total", "difference"]].values.tolist() == [
        ["2012K3", 1100, 1100, 0],
        ["2013K3", 1200, 1200, 0],
    ]


def test_wide_table_with_an_unknown_label_is_refused(tmp_path: Path):
    path = tmp_path / "nav.txt"
    path.write_text("@@ x|tilfeller|3|2013\nI alt 5\nHodepine 5\n", encoding="utf-8")
    with pytest.raises(ReferenceFormatError, match="Hodepine"):
        read_nav_wide_tables(path)


# --- the real files -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return read_nav_wide_tables(NAV_WIDE)


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return read_nav_long_csv(NAV_LONG)


def test_ssb_real_file_rate_2014k1_is_6_5():
    frame = read_ssb_table(SSB_FILE)
    assert value(frame, "sick_leave_pct", "2014K1", None) == 6.5
    assert frame["quarter"].iloc[0] == "2000K2" and frame["quarter"].iloc[-1] == "2021K4"
    assert len(frame) == 87


@pytest.mark.parametrize("form", ["wide", "long"])
def test_nav_2013k3_shares_of_doctor_certified_lost_workdays(form, request):
    frame = request.getfixturevalue(form)
    series = "doctor_certified_lost_workdays"
    total = value(frame, series, "2013K3", None)
    assert total == 5634152
    assert share_pct(value(frame, series, "2013K3", "L"), total) == Decimal("41.0")
    assert share_pct(value(frame, series, "2013K3", "P"), total) == Decimal("19.1")


@pytest.mark.parametrize("form", ["wide", "long"])
def test_nav_nine_groups_add_up_to_i_alt_every_year(form, request):
    sums = total_differences(request.getfixturevalue(form))
    cases = sums[sums["series"] == "doctor_certified_cases"]
    workdays = sums[sums["series"] == "doctor_certified_lost_workdays"]
    assert len(cases) == 20 and len(workdays) == 10  # 3rd and 4th quarter cases, 3rd workdays
    assert (cases["difference"] == 0).all()
    assert (workdays["difference"].abs() <= 1).all()


def test_nav_wide_and_long_forms_agree_value_for_value(wide, long):
    assert len(wide) == len(long) == 420
    merged = wide.merge(long, on=KEYS, how="outer", indicator=True, suffixes=("_wide", "_long"))
    assert (merged["_merge"] == "both").all()
    assert (merged["value_wide"] == merged["value_long"]).all()
    assert (merged["label_wide"] == merged["label_long"]).all()
    assert merged["is_subgroup_wide"].sum() == 4 * 30  # four herav rows, 30 table columns


def test_nav_herav_rows_2013k3():
    frame = read_nav_wide_tables(NAV_WIDE)
    rows = frame[
        frame["is_subgroup"]
        & (frame["quarter"] == "2013K3")
        & (frame["series"] == "doctor_certified_lost_workdays")
    ]
    assert dict(zip(rows["diagnosis_subgroup"], rows["value"], strict=True)) == {
        "Rygglidelser": 576998,
        "Nakke/skulder/arm": 545035,
        "Lettere psykiske lidelser": 558728,
        "Angst/depressive lidelser": 462025,
    }
