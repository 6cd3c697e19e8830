"""The SQL project's runner: one table per file named after it, the order derived from the tables
a file reads, and one way of passing parameters (the params table)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline import sqlproject
from pipeline.sqlproject import Model, build_order

LAYERS = (
    "staging",
    "core",
    "marts/sick_leave",
    "marts/cost",
    "marts/diagnosis",
    "marts/plan",
    "marts/follow_up",
    "region",
)


def test_every_sql_file_makes_the_one_table_it_is_named_after():
    found = sqlproject.models(LAYERS)
    files = sorted(p.stem for layer in LAYERS for p in (sqlproject.SQL_DIR / layer).glob("*.sql"))
    assert sorted(found) == files
    assert len(files) == len(set(files))  # no table made in two places
    # No file outside the layers but the macros.
    loose = {p.name for p in sqlproject.SQL_DIR.rglob("*.sql")} - {f"{f}.sql" for f in files}
    assert loose == {"macros.sql"}


def test_the_order_comes_from_the_tables_a_file_reads_not_from_its_name():
    found = sqlproject.models(LAYERS)
    assert found["core_fact_quarter"].depends_on == {"core_employment_pieces", "core_lost_pieces"}
    order = [m.name for m in build_order(found)]
    for model in found.values():
        for read in model.depends_on:
            assert order.index(read) < order.index(model.name), (read, model.name)


def _model(name: str, *reads: str) -> Model:
    return Model(name, Path(f"{name}.sql"), "", frozenset(reads))


def test_build_order_puts_each_table_after_what_it_reads_and_refuses_a_circle():
    found = {m.name: m for m in (_model("a_last", "z_first"), _model("z_first"))}
    assert [m.name for m in build_order(found)] == ["z_first", "a_last"]
    circle = {m.name: m for m in (_model("x", "y"), _model("y", "x"))}
    with pytest.raises(RuntimeError, match="circle"):
        build_order(circle)


def test_set_params_keeps_earlier_parameters_and_types_each_one():
    con = duckdb.connect()
    sqlproject.set_params(con, as_of=dt.date(2014, 6, 30), mask_threshold=5)
    sqlproject.set_params(con, mask_threshold=3, reconciliation_threshold_pct=Decimal("10.05"))
    assert con.execute(
        "SELECT as_of, mask_threshold, reconciliation_threshold_pct FROM params"
    ).fetchall() == [(dt.date(2014, 6, 30), 3, Decimal("10.05"))]
    with pytest.raises(ValueError, match="unknown SQL parameter"):
        sqlproject.set_params(con, as_off=dt.date(2014, 6, 30))
