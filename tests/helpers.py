"""Build a warehouse from tiny inline data, skipping the file readers, for definition tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.build import build_internal
from pipeline.profile import load_profile
from pipeline.run_context import RunContext

D = dt.date.fromisoformat

DEFAULT_ORG = [
    # unit, unit name, sector, sector name, valid_from, valid_to
    ("U1", "Enhet 1", "S1", "Sektor 1", None, None),
    ("U2", "Enhet 2", "S2", "Sektor 2", None, None),
]


def build(
    tmp_path: Path,
    employments: list[tuple],
    absences: list[tuple],
    org: list[tuple] | None = None,
    as_of: str = "2014-12-31",
    mask_threshold: int = 1,
    extra_frames: dict[str, pd.DataFrame] | None = None,
) -> duckdb.DuckDBPyConnection:
    """employments: (person, unit, position_pct, from, to|None[, annual pay|None]);
    absences: (person, code, from, to, grade_pct|None, unit|None). Dates as ISO strings.
    Returns a read-only connection to the built internal warehouse."""
    emp = pd.DataFrame(
        [
            {
                "employment_id": i + 1,
                "person_key": p,
                "unit_code": u,
                "position_pct": Decimal(str(pct)),
                "from_date": D(f),
                "to_date": D(t) if t else None,
                "source_file": "a.csv",
                "source_line": i + 2,
                "annual_pay": Decimal(str(pay[0])) if pay and pay[0] is not None else None,
            }
            for i, (p, u, pct, f, t, *pay) in enumerate(employments)
        ]
    )
    absn = pd.DataFrame(
        [
            {
                "absence_id": i + 1,
                "person_key": p,
                "absence_code": c,
                "from_date": D(f),
                "to_date": D(t),
                "absence_pct": None if g is None else Decimal(str(g)),
                "unit_code": u,
                "source_file": "f.csv",
                "source_line": i + 2,
            }
            for i, (p, c, f, t, g, u) in enumerate(absences)
        ]
    )
    orgf = pd.DataFrame(
        [
            {
                "unit_code": u,
                "unit_name": n,
                "sector_code": s,
                "sector_name": sn,
                "valid_from": D(vf) if vf else None,
                "valid_to": D(vt) if vt else None,
                "source_file": "o.csv",
                "source_line": i + 2,
            }
            for i, (u, n, s, sn, vf, vt) in enumerate(org or DEFAULT_ORG)
        ]
    )
    ctx = RunContext(
        tmp_path, tmp_path, D(as_of), mask_threshold=mask_threshold, municipality_name="Testkommune"
    )
    frames = {"stg_employments": emp, "stg_absences": absn, "stg_organisation": orgf}
    frames.update(extra_frames or {})  # e.g. stg_nav_diagnosis from NAV's reader
    build_internal(ctx, load_profile(), frames)
    return duckdb.connect(str(ctx.internal_path), read_only=True)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()
