"""Follow-up of sick leave (oppfølging): the milestones of a case and the activities that answer
them, as tables the SQL reads (pipeline/sql/core/core_follow_up_*.sql and
pipeline/sql/marts/follow_up/).

The milestones are data (schemas/follow_up_milestones.yaml, or the file the profile's
follow_up.milestones names), so a municipality adds its own routine steps without code; the
activity codes of the follow-up export are mapped in the profile (follow_up.activities).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
from ruamel.yaml import YAML

from pipeline import sqlproject
from pipeline.calendar import norwegian_public_holidays
from pipeline.profile import SCHEMAS_DIR, Profile, ProfileError

DEFAULT_MILESTONES = SCHEMAS_DIR / "follow_up_milestones.yaml"
# Days ahead the action lists and follow_up_status look (the next 7 and 14 days).
HORIZON_DAYS = (7, 14)


@dataclass(frozen=True)
class Milestone:
    id: str
    day: int  # calendar day of the case, the first day being day 1
    label: str
    source: str
    fully_absent_only: bool
    activity: str | None


@dataclass(frozen=True)
class FollowUpConfig:
    milestones: tuple[Milestone, ...]
    activities: dict[str, str]  # the export's code -> activity id


def _yaml(path: Path) -> dict:
    try:
        data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    except OSError:
        raise ProfileError(f"Fant ikke filen med oppfølgingspunkter {path}.") from None
    return data if isinstance(data, dict) else {}


@cache
def follow_up_config(profile_path: Path) -> FollowUpConfig:
    """The milestones and activity codes the profile points at (defaults when it says none)."""
    block = _yaml(profile_path).get("follow_up") or {}
    named = block.get("milestones")
    path = (Path(profile_path).parent / named).resolve() if named else DEFAULT_MILESTONES
    milestones = tuple(_milestone(path, m) for m in (_yaml(path).get("milestones") or []))
    activities = {str(k): str(v) for k, v in (block.get("activities") or {}).items()}
    ids = [m.id for m in milestones]
    if len(set(ids)) != len(ids):
        raise ProfileError(f"{path}: hvert oppfølgingspunkt må ha sin egen id.")
    return FollowUpConfig(milestones, activities)


def _milestone(path: Path, m: dict) -> Milestone:
    try:
        day = int(m["day"])
        if day < 1 or isinstance(m["day"], bool):
            raise ValueError
        return Milestone(
            id=str(m["id"]),
            day=day,
            label=str(m["label"]),
            source=str(m.get("source") or ""),
            fully_absent_only=bool(m.get("fully_absent_only", False)),
            activity=str(m["activity"]) if m.get("activity") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise ProfileError(
            f"{path}: hvert oppfølgingspunkt må ha id, day (et helt tall fra 1) og label; "
            f"rett punktet «{m.get('id', '?') if isinstance(m, dict) else m}»."
        ) from None


def activity_codes(profile: Profile) -> list[str]:
    """The follow-up export's known activity codes (the suite's $follow_up_activities)."""
    return sorted(follow_up_config(profile.path).activities)


def milestones_frame(config: FollowUpConfig) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "milestone_id": m.id,
                "milestone_no": n,
                "day": m.day,
                "label": m.label,
                "legal_source": m.source,
                "fully_absent_only": m.fully_absent_only,
                "activity": m.activity,
            }
            for n, m in enumerate(config.milestones, start=1)
        ],
        columns=[
            "milestone_id",
            "milestone_no",
            "day",
            "label",
            "legal_source",
            "fully_absent_only",
            "activity",
        ],
    )


def load_follow_up_tables(con: duckdb.DuckDBPyConnection, profile: Profile, as_of: dt.date):
    """stg_follow_up_milestones, stg_follow_up_activity_codes and stg_follow_up_holidays (the
    public holidays around the as-of date, for the day a leader is told)."""
    config = follow_up_config(profile.path)
    _table(
        con,
        "stg_follow_up_milestones",
        milestones_frame(config),
        {
            "milestone_id": "VARCHAR",
            "milestone_no": "INTEGER",
            "day": "INTEGER",
            "label": "VARCHAR",
            "legal_source": "VARCHAR",
            "fully_absent_only": "BOOLEAN",
            "activity": "VARCHAR",
        },
    )
    codes = pd.DataFrame(
        {"activity_code": list(config.activities), "activity": list(config.activities.values())}
    )
    _table(
        con,
        "stg_follow_up_activity_codes",
        codes,
        {"activity_code": "VARCHAR", "activity": "VARCHAR"},
    )
    # A due day may lie up to 14 days ahead and be told on the next working day; the days
    # themselves are made in SQL (core_follow_up_days), these are the holidays of both years.
    holidays = norwegian_public_holidays(as_of.year - 1, as_of.year + 1)
    _table(con, "stg_follow_up_holidays", holidays, {"holiday_date": "DATE"})


def _table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, types: dict) -> None:
    select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
    con.register("follow_up_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM follow_up_frame")
    finally:
        con.unregister("follow_up_frame")


def build_follow_up_marts(con: duckdb.DuckDBPyConnection) -> None:
    """follow_up_status and follow_up_compliance (published, masked), after the core tables."""
    sqlproject.run(con, "marts/follow_up")
