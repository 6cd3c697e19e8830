"""The cost of sick leave: its inputs.

The rules are SQL (pipeline/sql/core/core_cost_*.sql and pipeline/sql/marts/cost/); this module
brings what they read into the warehouse: the rates (schemas/cost_rates.yaml, overridden by the
profile's `cost` block), which accounts (KOSTRA art) are substitute pay and refunds, and the
accounts export's good rows as one staging frame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
from ruamel.yaml import YAML

from pipeline import sqlproject
from pipeline.profile import SCHEMAS_DIR, Profile, ProfileError
from pipeline.replacement import replacement
from pipeline.run_context import LoadedFile

COST_RATES = SCHEMAS_DIR / "cost_rates.yaml"
ACCOUNTS = "accounts"
# The settings the profile's cost block may override.
OVERRIDABLE = ("employer_tax_pct", "pension_pct", "refund_flag_share_pct")


@dataclass(frozen=True)
class CostSettings:
    grunnbelop: dict[dt.date, int]  # G from the day it took effect
    employer_tax_pct: Decimal
    pension_pct: Decimal
    refund_flag_share_pct: Decimal
    nav_day_cost_default: Decimal
    nav_day_cost_by_year: dict[int, Decimal] = field(default_factory=dict)
    substitute_pay_arts: tuple[str, ...] = ("020",)
    refund_arts: tuple[str, ...] = ("710",)


def _yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}


def load_cost_settings(profile: Profile, rates_path: Path = COST_RATES) -> CostSettings:
    """The rates, with the profile's cost block laid over them."""
    rates = _yaml(rates_path)
    block = (_yaml(profile.path).get("cost") or {}) if profile.path.is_file() else {}
    if not isinstance(block, dict):
        raise ProfileError(f"Kildeprofilen {profile.path}: 'cost' må være et YAML-kart.")
    merged = {**rates, **{k: block[k] for k in OVERRIDABLE if k in block}}
    nav = rates.get("nav_day_cost") or {}
    return CostSettings(
        grunnbelop={_date(k): int(v) for k, v in (rates.get("grunnbelop") or {}).items()},
        employer_tax_pct=Decimal(str(merged["employer_tax_pct"])),
        pension_pct=Decimal(str(merged["pension_pct"])),
        refund_flag_share_pct=Decimal(str(merged["refund_flag_share_pct"])),
        nav_day_cost_default=Decimal(str(nav.get("default", 4700))),
        nav_day_cost_by_year={
            int(y): Decimal(str(v)) for y, v in (nav.get("by_year") or {}).items()
        },
        substitute_pay_arts=_arts(block.get("substitute_pay_arts", ["020"])),
        refund_arts=_arts(block.get("refund_arts", ["710"])),
    )


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _arts(values) -> tuple[str, ...]:
    return tuple(normalise_art(v) for v in (values or []))


def normalise_art(value) -> str:
    """KOSTRA arts are three digits: '20' (a number in Excel) and '020' are the same art."""
    text = str(value).strip()
    return text.zfill(3) if text.isdigit() else text


def create_cost_tables(con: duckdb.DuckDBPyConnection, settings: CostSettings) -> None:
    """The rates as tables and parameters for the cost SQL: stg_grunnbelop (G by validity),
    stg_nav_day_cost (NAV's per-day figure by year, default for the rest) and
    stg_account_arts (which art is substitute pay, which a refund)."""
    sqlproject.set_params(
        con,
        employer_tax_pct=settings.employer_tax_pct,
        pension_pct=settings.pension_pct,
        refund_flag_share_pct=settings.refund_flag_share_pct,
        nav_day_cost_default=settings.nav_day_cost_default,
    )
    starts = sorted(settings.grunnbelop)
    # Before the first known G there is none: a refund there is unknown, never computed.
    rows = [(dt.date(1, 1, 1), starts[0] - dt.timedelta(days=1), None)] if starts else []
    for i, start in enumerate(starts):
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else dt.date(9999, 12, 31)
        rows.append((start, end, settings.grunnbelop[start]))
    _table(
        con,
        "stg_grunnbelop",
        pd.DataFrame(rows, columns=["valid_from", "valid_to", "amount"]),
        "CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to, "
        "CAST(amount AS DECIMAL(18, 2)) AS amount",
    )
    _table(
        con,
        "stg_nav_day_cost",
        pd.DataFrame(
            [(y, str(v)) for y, v in settings.nav_day_cost_by_year.items()],
            columns=["year", "kr"],
        ).astype({"year": "int64", "kr": "object"}),
        "CAST(year AS INTEGER) AS year, CAST(kr AS DECIMAL(18, 2)) AS kr",
    )
    arts = [(a, "substitute_pay") for a in settings.substitute_pay_arts]
    arts += [(a, "refund") for a in settings.refund_arts]
    _table(
        con,
        "stg_account_arts",
        pd.DataFrame(arts, columns=["art", "kind"]).astype(str),
        "CAST(art AS VARCHAR) AS art, CAST(kind AS VARCHAR) AS kind",
    )


def _table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, select: str) -> None:
    con.register("cost_frame", frame)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {select} FROM cost_frame")
    con.unregister("cost_frame")


def account_sources(profile: Profile) -> list[str]:
    """The accounts source when the profile describes one (an older profile may not)."""
    return [ACCOUNTS] if ACCOUNTS in profile.sources else []


def with_period_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Periode ('2014-03' or '201403') as the first day of that month (validation has already
    quarantined every other form)."""
    digits = frame["period"].astype(str).str.replace("-", "", regex=False).str.strip()
    out = frame.copy()
    out["period_month"] = pd.to_datetime(digits + "01", format="%Y%m%d", errors="coerce")
    out["art"] = out["art"].map(normalise_art)
    return out


def accounts_staging_frame(loaded: list[LoadedFile], profile: Profile) -> pd.DataFrame:
    """The accounts' good rows as one staging frame, after the replacement rule: a newer export
    replaces the older rows of the months it covers (like the Agresso exports' periods)."""
    files = [
        lf
        for lf in loaded
        if lf.source == ACCOUNTS
        and lf.outcome == "loaded"
        and lf.frame is not None
        and len(lf.frame)
    ]
    for lf in files:
        lf.frame = with_period_month(lf.frame)
    if not files:
        return empty_accounts_frame()
    kept, masks, _ = replacement(files, profile.source(ACCOUNTS).replaces, "period_month")
    parts = []
    for lf, mask in zip(kept, masks, strict=True):
        lf.rows_superseded = int((~mask).sum())
        parts.append(lf.frame[mask])
    if not parts:
        return empty_accounts_frame()
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "account_row_id", range(1, len(frame) + 1))
    return frame


def empty_accounts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "account_row_id",
            "period",
            "period_month",
            "unit_code",
            "art",
            "amount",
            "source_file",
            "source_line",
        ]
    )


def add_cost_findings(con: duckdb.DuckDBPyConnection) -> None:
    """Unknown pay, one finding per employments file (core_cost_findings), beside the other
    data-quality findings."""
    con.execute(
        'INSERT INTO core_quality_findings SELECT source, file, line, "column", severity, rule, '
        "message FROM core_cost_findings"
    )
