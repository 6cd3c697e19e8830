"""The SQL project and its one runner.

Every table the SQL builds is a file named after it, `pipeline/sql/<layer>/<table>.sql`, holding
the one statement that makes it (dbt's convention, without dbt):

- `staging/`: the staging tables' columns and types (filled from the readers' frames),
- `core/`: the person-level tables everything is computed from,
- `marts/sick_leave/`, `marts/diagnosis/`, `marts/plan/`: what is published.

The order is derived, never numbered: a file depends on every other file whose table it names,
and the runner runs them in an order that has each after what it reads. Run parameters (the as-of
date, the masking threshold, ...) come in one way only: the one-row `params` table, which the SQL
reads as `(SELECT as_of FROM params)`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent / "sql"
MACROS = SQL_DIR / "macros.sql"

# Each model's build time is logged at DEBUG level (an operator's «which table is slow?»; the
# benchmark reads these lines to split the transform).
log = logging.getLogger(__name__)

# Every run parameter the SQL may read from `params`, with its type (one home for both).
PARAMETERS = {
    "as_of": "DATE",  # no day after it counts
    "mask_threshold": "INTEGER",  # a group with fewer persons in its largest quarter is masked
    "municipality_name": "VARCHAR",  # the name of the municipality level
    "reconciliation_threshold_pct": "DECIMAL(9, 2)",  # NAV against Agresso, percent of NAV's
    "as_of_quarter": "VARCHAR",  # the plan's last period, e.g. 2014K2
    "report_quarter": "VARCHAR",  # the quarter the gevinstrapport is made for
    "report_year": "INTEGER",  # its year
    # the cost of sick leave (pipeline/cost.py, schemas/cost_rates.yaml)
    "employer_tax_pct": "DECIMAL(9, 4)",  # arbeidsgiveravgift, percent of pay
    "pension_pct": "DECIMAL(9, 4)",  # the employer's pension share, percent of pay
    "refund_flag_share_pct": "DECIMAL(9, 4)",  # booked refunds below this share are flagged
    "nav_day_cost_default": "DECIMAL(18, 2)",  # NAV's per-day figure for years without one
}

_CREATES = re.compile(
    r"^\s*CREATE\s+OR\s+REPLACE\s+(?:TEMP\s+)?(?:TABLE|VIEW)\s+(\w+)\b", re.IGNORECASE | re.M
)
_COMMENT = re.compile(r"--[^\n]*")
_WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")


@dataclass(frozen=True)
class Model:
    name: str
    path: Path
    sql: str
    depends_on: frozenset[str]


def _read_model(path: Path) -> tuple[str, str]:
    sql = path.read_text(encoding="utf-8")
    made = _CREATES.findall(_COMMENT.sub("", sql))
    if made != [path.stem]:
        raise RuntimeError(
            f"{path.relative_to(SQL_DIR)} must create exactly one table, {path.stem} "
            f"(it creates {', '.join(made) or 'none'})"
        )
    return path.stem, sql


@cache
def models(layers: tuple[str, ...]) -> dict[str, Model]:
    """The models of these layers (folders under pipeline/sql), each with the other models it
    reads: the words of its SQL (comments left out) that are the name of another model."""
    paths = {p.stem: p for layer in layers for p in sorted((SQL_DIR / layer).glob("*.sql"))}
    texts = dict(_read_model(p) for p in paths.values())
    found = {}
    for name, sql in texts.items():
        words = set(_WORD.findall(_COMMENT.sub("", sql).lower()))
        found[name] = Model(name, paths[name], sql, frozenset(words & texts.keys() - {name}))
    return found


def build_order(found: dict[str, Model]) -> list[Model]:
    """The models, each after the ones it reads (ties in name order, so a run is repeatable)."""
    sorter = TopologicalSorter({name: sorted(m.depends_on) for name, m in sorted(found.items())})
    try:
        return [found[name] for name in sorter.static_order()]
    except CycleError as exc:
        raise RuntimeError(f"the SQL models read each other in a circle: {exc.args[1]}") from None


def run(con: duckdb.DuckDBPyConnection, *layers: str, only: set[str] | None = None) -> None:
    """Build every model of these layers (or `only` those named) in `con`, in dependency order.
    Tables they read that no model of these layers makes (staging, params, tables loaded from
    Python, or models of layers run before) must exist already."""
    for model in build_order(models(tuple(layers))):
        if only is None or model.name in only:
            started = time.perf_counter()
            con.execute(model.sql)
            log.debug("modell %s bygd på %.3f s", model.name, time.perf_counter() - started)


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """sick_leave_pct and the other macros, in this connection's database."""
    con.execute(MACROS.read_text(encoding="utf-8"))


def set_params(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """Set run parameters in the one-row `params` table (created if missing); parameters set
    before and not named here keep their values."""
    unknown = set(values) - set(PARAMETERS)
    if unknown:
        raise ValueError(f"unknown SQL parameter(s): {', '.join(sorted(unknown))}")
    new = ", ".join(f"?::{PARAMETERS[name]} AS {name}" for name in values)
    kept = _columns(con, "params") - set(values)
    if kept:
        keep = ", ".join(sorted(kept))
        sql = f"CREATE OR REPLACE TABLE params AS SELECT {keep}, {new} FROM params"
    else:
        sql = f"CREATE OR REPLACE TABLE params AS SELECT {new}"
    con.execute(sql, [_plain(v) for v in values.values()])


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() AND schema_name = current_schema()",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def _plain(value: object) -> object:
    # Decimals travel as text so a threshold such as 10.05 stays exact on its way into DECIMAL.
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return str(Decimal(str(value)))
    if isinstance(value, dt.datetime):
        return value.date()
    return value
