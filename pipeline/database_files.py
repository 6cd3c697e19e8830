"""The warehouse's two database files and how they are opened, without the rest of
pipeline.warehouse (pandas, the SQL project, the calendar): a quiet night needs only these to
decide that there is nothing to do."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.errors import UserError

INTERNAL_DB = "internal.duckdb"
ANALYTICS_DB = "analytics.duckdb"


def connect(
    path: Path, read_only: bool = False, config: dict | None = None
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, turning a lock held by another process into a sentence."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config or {})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise UserError(
                f"Databasen {path} er låst av en annen prosess. Vent til den er ferdig, "
                "eller lukk programmet som har den åpen for skriving."
            ) from None
        raise
