"""The sample's follow-up: a leader per unit (a few units have none, so HR gets their cases) and
a follow-up export (data/raw/oppfolging) in which some units register their activities on time
and others late or not at all, so the demo shows both.

Vectorised like the rest of the generator: cases are chained per person with a running maximum,
milestones joined on as a table, dates drawn for all rows at once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipeline.follow_up import follow_up_config
from pipeline.profile import Profile

LEADER_DOMAIN = "eksempel.kommune.no"
SHARE_WITHOUT_LEADER = 0.15
SHARE_DILIGENT_UNITS = 0.6


def with_leaders(org_export: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The organisation export with a Leder per unit (an invented address; some units none)."""
    units = org_export["unit_code"].drop_duplicates().sort_values().to_numpy()
    has_leader = rng.random(len(units)) >= SHARE_WITHOUT_LEADER
    leaders = pd.Series(
        np.where(has_leader, [f"leder.{u}@{LEADER_DOMAIN}" for u in units], ""), index=units
    )
    out = org_export.copy()
    out["leader"] = out["unit_code"].map(leaders)
    return out


def _cases(absences: pd.DataFrame) -> pd.DataFrame:
    """Sick-leave cases per person (EGM and SYK chained when a spell starts at the latest the day
    after the previous ones end), with first day and last day."""
    sick = absences[absences["absence_code"].isin(["EGM", "SYK"])]
    sick = sick[["resource_id", "from_date", "to_date"]].sort_values(
        ["resource_id", "from_date", "to_date"], kind="stable"
    )
    ends = pd.to_datetime(sick["to_date"])
    previous_end = ends.groupby(sick["resource_id"]).cummax().groupby(sick["resource_id"]).shift()
    starts = pd.to_datetime(sick["from_date"])
    new_case = previous_end.isna() | (starts > previous_end + pd.Timedelta(days=1))
    case_no = new_case.astype(int).groupby(sick["resource_id"]).cumsum()
    return (
        pd.DataFrame({"resource_id": sick["resource_id"], "case_no": case_no, "from": starts})
        .assign(to=ends)
        .groupby(["resource_id", "case_no"], as_index=False)
        .agg(case_from=("from", "min"), case_to=("to", "max"))
    )


def follow_up_export(
    absences: pd.DataFrame,
    home_units: pd.Series,
    end: dt.date,
    profile: Profile,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """What the units registered: diligent units on or a little before the due day (now and
    then forgotten), the others mostly late or never. home_units: Ressursnr -> unit."""
    config = follow_up_config(profile.path)
    code_of = {activity: code for code, activity in config.activities.items()}
    milestones = pd.DataFrame(
        [(m.day, code_of[m.activity]) for m in config.milestones if m.activity in code_of],
        columns=["day", "activity_code"],
    )
    cases = _cases(absences)
    rows = cases.merge(milestones, how="cross")
    rows["due"] = rows["case_from"] + pd.to_timedelta(rows["day"] - 1, unit="D")
    rows = rows[(rows["due"] <= rows["case_to"]) & (rows["due"] <= pd.Timestamp(end))]
    rows = rows.reset_index(drop=True)
    units = np.sort(home_units.unique())
    diligent = pd.Series(rng.random(len(units)) < SHARE_DILIGENT_UNITS, index=units)
    is_diligent = rows["resource_id"].map(home_units).map(diligent).fillna(False).to_numpy(bool)
    draw = rng.random(len(rows))
    early = rng.integers(0, 3, len(rows))
    late = rng.integers(3, 25, len(rows))
    offset = np.where(is_diligent, -early, np.where(draw < 0.35, -early, late))
    missing = np.where(is_diligent, draw > 0.95, draw > 0.7)
    rows["date"] = rows["due"] + pd.to_timedelta(offset, unit="D")
    rows["date"] = rows[["date", "case_from"]].max(axis=1)
    rows = rows[~missing & (rows["date"] <= pd.Timestamp(end))]
    return (
        pd.DataFrame(
            {
                "resource_id": rows["resource_id"],
                "activity_code": rows["activity_code"],
                "activity_date": rows["date"].dt.date,
            }
        )
        .sort_values(["activity_date", "resource_id"], kind="stable")
        .reset_index(drop=True)
    )
