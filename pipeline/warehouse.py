"""The DuckDB warehouses: an internal, person-level (pseudonymised) one the pipeline builds, and the
published, aggregated `analytics.duckdb` analysts and HR read.

The internal database is built in a private file and the published one is written as a new file
and renamed over the old: an analyst holding the old file open keeps a consistent snapshot, and a
run that fails half-way leaves the published state as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
from ruamel.yaml import YAML

from pipeline import data_tests, filemodes, sqlproject
from pipeline.calendar import norwegian_public_holidays

# The file names and connect live in pipeline.database_files (a quiet night needs only those).
from pipeline.database_files import ANALYTICS_DB, INTERNAL_DB, connect  # noqa: F401
from pipeline.failpoints import crash_point
from pipeline.profile import SCHEMAS_DIR, Profile

WAREHOUSE_SCHEMA = SCHEMAS_DIR / "warehouse.yaml"
DURATION_BANDS = SCHEMAS_DIR / "duration_bands.yaml"  # NAV's bands, the short/long split


def create_staging(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    """Create the staging tables (pipeline/sql/staging) and fill them from the readers' frames."""
    sqlproject.run(con, "staging")
    for table in sqlproject.models(("staging",)):
        frame = frames.get(table)
        if frame is None or frame.empty:
            continue
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        present = [c for c in columns if c in frame.columns]
        con.register("incoming", frame[present])
        con.execute(
            f"INSERT INTO {table} ({', '.join(present)}) SELECT {', '.join(present)} FROM incoming"
        )
        con.unregister("incoming")


def create_parameters(
    con: duckdb.DuckDBPyConnection,
    profile: Profile,
    as_of: dt.date,
    mask_threshold: int,
    municipality_name: str,
    first_year: int,
) -> None:
    """Run parameters, the absence-code mapping and the holiday calendar as tables."""
    sqlproject.set_params(
        con, as_of=as_of, mask_threshold=mask_threshold, municipality_name=municipality_name
    )
    codes = pd.DataFrame(
        {
            "absence_code": list(profile.absence_codes),
            "certification": list(profile.absence_codes.values()),
        }
    )
    con.register("codes", codes)
    con.execute("CREATE OR REPLACE TABLE stg_absence_codes AS SELECT * FROM codes")
    con.unregister("codes")
    holidays = norwegian_public_holidays(min(first_year, as_of.year), as_of.year)
    con.register("holidays_df", holidays)
    con.execute(
        "CREATE OR REPLACE TABLE stg_holidays AS "
        "SELECT CAST(holiday_date AS DATE) AS holiday_date, holiday_name FROM holidays_df"
    )
    con.unregister("holidays_df")
    bands = pd.DataFrame(YAML(typ="safe").load(DURATION_BANDS.read_text(encoding="utf-8"))["bands"])
    con.register("bands_df", bands)
    con.execute(
        "CREATE OR REPLACE TABLE stg_duration_bands AS SELECT CAST(code AS VARCHAR) AS code, "
        "CAST(label AS VARCHAR) AS label, CAST(from_day AS INTEGER) AS from_day, "
        "CAST(to_day AS INTEGER) AS to_day, CAST(is_long_term AS BOOLEAN) AS is_long_term "
        "FROM bands_df"
    )
    con.unregister("bands_df")


def transform(con: duckdb.DuckDBPyConnection) -> None:
    """staging -> core -> the sick-leave and cost marts, all in SQL (the diagnosis and plan marts
    follow once their inputs are loaded: pipeline.diagnosis_marts, pipeline.indicators)."""
    sqlproject.create_macros(con)
    sqlproject.run(con, "core", "marts/sick_leave", "marts/cost")


def load_warehouse_schema(path: Path = WAREHOUSE_SCHEMA) -> dict:
    """The published tables with their comments (the analysts' data dictionary), as data."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def sql_literal(text: str) -> str:
    """A string as an SQL literal, for statements that take no parameters (ATTACH, COPY)."""
    return "'" + str(text).replace("'", "''") + "'"


def _sql_string(text: str) -> str:
    """A comment from the YAML data dictionary as one line."""
    return sql_literal(" ".join(str(text).split()))


def publish(
    internal_path: Path,
    analytics_path: Path,
    extra_tables: dict[str, pd.DataFrame] | None = None,
    schema: dict | None = None,
) -> Path:
    """Write the published database as a new file, comment every table and column, then rename it
    over the old one in one atomic step.

    The data tests (schemas/warehouse_tests.yaml) run on the internal database first: when one
    fails, DataTestsFailed is raised and the published database stays as it was.
    Tables come from the internal database (by the names in schemas/warehouse.yaml) or from
    `extra_tables` (frames such as the findings and the load log). A table or column without a
    comment in the schema is an error: the data dictionary is part of the contract.
    """
    data_tests.check(internal_path)  # a build that breaks them is never published
    schema = schema or load_warehouse_schema()
    analytics_path = Path(analytics_path)
    tmp_path = filemodes.temporary_path(analytics_path)
    # Leftovers of a run that was killed while publishing: never published, safe to remove.
    for stale in analytics_path.parent.glob(f".{analytics_path.name}.*.new*"):
        stale.unlink(missing_ok=True)
    extra_tables = extra_tables or {}
    con = duckdb.connect(str(tmp_path))
    try:
        con.execute(f"ATTACH {sql_literal(internal_path)} AS internal (READ_ONLY)")
        sqlproject.create_macros(con)
        internal_tables = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'internal' "
                "UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'internal'"
            ).fetchall()
        }
        # One transaction for every table and comment: a commit per COMMENT statement (hundreds
        # of columns) cost more than copying the tables.
        con.execute("BEGIN TRANSACTION")
        for table, spec in schema["tables"].items():
            if spec.get("optional") and table not in internal_tables | set(extra_tables):
                continue  # e.g. the plan tables of a run without a plan file
            if table in extra_tables:
                con.register("frame", extra_tables[table])
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
                con.unregister("frame")
            else:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM internal.main.{table}")
            _comment_table(con, table, spec)
        for name, text in schema.get("macros", {}).items():
            con.execute(f"COMMENT ON MACRO {name} IS {_sql_string(text)}")
        con.execute("COMMIT")
        con.execute("DETACH internal")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp_path.unlink(missing_ok=True)
        raise
    con.close()
    crash_point("publishing")
    filemodes.replace(tmp_path, analytics_path, shared=True)
    return analytics_path


def _comment_table(con: duckdb.DuckDBPyConnection, table: str, spec: dict) -> None:
    con.execute(f"COMMENT ON TABLE {table} IS {_sql_string(spec['comment'])}")
    actual = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    documented = dict(spec.get("columns", {}))
    # Columns named after periods (the plan report's "1. kv. 2013") are documented by pattern.
    for pattern, text in spec.get("column_patterns", {}).items():
        documented.update({c: text for c in actual if re.fullmatch(pattern, c)})
    missing = [c for c in actual if c not in documented]
    if missing:
        raise RuntimeError(
            f"schemas/warehouse.yaml documents no comment for {table}.{', '.join(missing)}"
        )
    for column in actual:
        con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_sql_string(documented[column])}')
