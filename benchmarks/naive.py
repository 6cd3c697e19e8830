"""The naive baseline: how an analyst would compute the municipality's quarterly sick-leave rate
with pandas alone. Every employment and every spell becomes one row per calendar day
(pd.date_range and explode), working days are marked, the two are joined on person and day, and
lost and possible workdays are summed per quarter.

It is here to be measured against, not used: it ignores the overlap cap, sectors, units, cases
and masking, and its memory grows with persons x days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from pipeline.calendar import norwegian_public_holidays


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != ""), format="%d.%m.%Y")


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.replace(",", ".", regex=False).where(values != ""))


def naive_quarterly(agresso_dir: Path, start: dt.date, end: dt.date) -> dict[str, float]:
    """Sick-leave percentage per quarter for the whole municipality, the day-by-day way."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    emp = _read(Path(agresso_dir) / "ansettelser.csv")
    emp["from"] = _dates(emp["Fra dato"]).clip(lower=first)
    emp["to"] = _dates(emp["Til dato"]).fillna(last).clip(upper=last)
    emp["share"] = _numbers(emp["Stillingsprosent"]) / 100
    emp = emp[emp["from"] <= emp["to"]]
    emp["day"] = [pd.date_range(f, t) for f, t in zip(emp["from"], emp["to"], strict=True)]
    days = emp[["Ressursnr", "Arbeidssted", "share", "day"]].explode("day")
    days["day"] = pd.to_datetime(days["day"])

    holidays = set(pd.to_datetime(norwegian_public_holidays(start.year, end.year)["holiday_date"]))
    days = days[(days["day"].dt.dayofweek < 5) & ~days["day"].isin(holidays)]
    days["quarter"] = days["day"].dt.to_period("Q")
    possible = days.groupby("quarter")["share"].sum()

    absn = _read(Path(agresso_dir) / "fravaer.csv")
    absn = absn[absn["Fraværskode"].isin(["EGM", "SYK"])].copy()
    absn["from"] = _dates(absn["Fra dato"]).clip(lower=first)
    absn["to"] = _dates(absn["Til dato"]).clip(upper=last)
    absn["grade"] = _numbers(absn["Fraværsprosent"]).fillna(100) / 100
    absn = absn[absn["from"] <= absn["to"]]
    absn["day"] = [pd.date_range(f, t) for f, t in zip(absn["from"], absn["to"], strict=True)]
    sick = absn[["Ressursnr", "Arbeidssted", "grade", "day"]].explode("day")
    sick["day"] = pd.to_datetime(sick["day"])

    joined = sick.merge(days, on=["Ressursnr", "day"], suffixes=("_absence", ""))
    # An absence with a unit applies to the employment at that unit, without one to every job.
    joined = joined[
        (joined["Arbeidssted_absence"] == "")
        | (joined["Arbeidssted_absence"] == joined["Arbeidssted"])
    ]
    lost = (joined["share"] * joined["grade"]).groupby(joined["quarter"]).sum()
    pct = (100 * lost / possible).dropna().round(1)
    return {f"{q.year}K{q.quarter}": float(v) for q, v in pct.items()}
