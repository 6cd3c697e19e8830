"""The naive baseline: how an analyst would compute the municipality's quarterly sick-leave
figures with pandas alone. Every employment, spell and organisation unit becomes one row per
calendar day (pd.date_range and explode), working days are marked, and lost and possible
workdays are summed per quarter, for the municipality and for each sector.

It follows the definitions (SPEC section 2) the plainest way there is, so it is two things: a
baseline the benchmark measures the pipeline against, and an oracle the tests hold the
pipeline's figures to (tests/test_naive_oracle.py). It knows nothing of units' masking, cases or
periods, and its memory grows with persons x days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.calendar import norwegian_public_holidays

# The default profile's sick-leave codes; every other code is not sick leave.
CERTIFICATION = {"EGM": "self", "SYK": "doctor"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != ""), format="%d.%m.%Y")


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.replace(",", ".", regex=False).where(values != ""))


def _each_day(frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """One row per calendar day from 'from' to 'to' (an empty 'to' is open), inside first..last."""
    frame = frame.assign(
        start=frame["from"].fillna(first).clip(lower=first),
        end=frame["to"].fillna(last).clip(upper=last),
    )
    frame = frame[frame["start"] <= frame["end"]].copy()
    frame["day"] = [pd.date_range(f, t) for f, t in zip(frame["start"], frame["end"], strict=True)]
    out = frame.drop(columns=["from", "to", "start", "end"]).explode("day")
    out["day"] = pd.to_datetime(out["day"])
    return out


def _employment_days(agresso_dir: Path, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Each employment's working days, with its position share and the unit's sector that day."""
    emp = _read(Path(agresso_dir) / "ansettelser.csv")
    emp = pd.DataFrame(
        {
            "employment": range(len(emp)),
            "Ressursnr": emp["Ressursnr"],
            "Arbeidssted": emp["Arbeidssted"],
            "share": _numbers(emp["Stillingsprosent"]) / 100,
            "from": _dates(emp["Fra dato"]),
            "to": _dates(emp["Til dato"]),
        }
    )
    days = _each_day(emp, first, last)
    holidays = set(pd.to_datetime(norwegian_public_holidays(first.year, last.year)["holiday_date"]))
    days = days[(days["day"].dt.dayofweek < 5) & ~days["day"].isin(holidays)]
    org = _read(Path(agresso_dir) / "organisasjon.csv")
    org = pd.DataFrame(
        {
            "Arbeidssted": org["Arbeidssted"],
            "sector": org["Sektor"],
            "from": _dates(org["Fra dato"]),
            "to": _dates(org["Til dato"]),
        }
    )
    return days.merge(_each_day(org, first, last), on=["Arbeidssted", "day"], how="left")


def _lost_share(agresso_dir: Path, days: pd.DataFrame, first, last) -> pd.Series:
    """Per employment and working day, the share of the day lost: doctor-certified grades first
    (at most the whole day), self-certified ones fill what is left."""
    absn = _read(Path(agresso_dir) / "fravaer.csv")
    absn = absn[absn["Fraværskode"].isin(list(CERTIFICATION))]
    absn = pd.DataFrame(
        {
            "Ressursnr": absn["Ressursnr"],
            "unit": absn["Arbeidssted"],
            "certification": absn["Fraværskode"].map(CERTIFICATION),
            "grade": _numbers(absn["Fraværsprosent"]).fillna(100) / 100,
            "from": _dates(absn["Fra dato"]),
            "to": _dates(absn["Til dato"]),
        }
    )
    sick = _each_day(absn, first, last)
    joined = sick.merge(
        days[["employment", "Ressursnr", "Arbeidssted", "day"]], on=["Ressursnr", "day"]
    )
    # An absence with a unit applies to the employment at that unit, without one to every job.
    joined = joined[(joined["unit"] == "") | (joined["unit"] == joined["Arbeidssted"])]
    grades = (
        joined.pivot_table(
            index=["employment", "day"], columns="certification", values="grade", aggfunc="sum"
        )
        .reindex(columns=["doctor", "self"], fill_value=0)
        .fillna(0)
    )
    doctor = grades["doctor"].clip(upper=1)
    return (doctor + grades["self"].clip(upper=1 - doctor)).rename("lost_share")


def naive_workdays(agresso_dir: Path, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Lost and possible workdays per quarter, for the municipality (scope_code 'Alle') and for
    each sector (its code), from start to end (the as-of date): columns quarter (2014K1),
    scope_level, scope_code, lost_workdays, possible_workdays."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    days = _employment_days(agresso_dir, first, last)
    lost = _lost_share(agresso_dir, days, first, last)
    days = days.merge(lost, left_on=["employment", "day"], right_index=True, how="left")
    days["lost_workdays"] = days["share"] * days["lost_share"].fillna(0)
    days["possible_workdays"] = days["share"]
    quarter = days["day"].dt.to_period("Q")
    days["quarter"] = quarter.dt.year.astype(str) + "K" + quarter.dt.quarter.astype(str)
    sums = ["lost_workdays", "possible_workdays"]
    municipality = days.groupby("quarter")[sums].sum().reset_index()
    municipality.insert(1, "scope_level", "municipality")
    municipality.insert(2, "scope_code", "Alle")
    sectors = days.groupby(["quarter", "sector"])[sums].sum().reset_index()
    sectors = sectors.rename(columns={"sector": "scope_code"})
    sectors.insert(1, "scope_level", "sector")
    out = pd.concat([municipality, sectors], ignore_index=True)
    return out.sort_values(["quarter", "scope_level", "scope_code"], ignore_index=True)


def naive_quarterly(agresso_dir: Path, start: dt.date, end: dt.date) -> dict[str, float]:
    """Sick-leave percentage per quarter for the whole municipality, the day-by-day way."""
    figures = naive_workdays(agresso_dir, start, end)
    whole = figures[figures["scope_level"] == "municipality"].set_index("quarter")
    pct = (100 * whole["lost_workdays"] / whole["possible_workdays"]).dropna().round(1)
    return {quarter: float(value) for quarter, value in pct.items()}
