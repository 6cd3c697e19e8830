"""The region night: each municipality's published, already aggregated Parquet added up into
`region.duckdb`.

Only what a municipality publishes is read: its reports' `parquet/sykefravaer_perioder.parquet`
(aggregated and masked by the municipality's own night) and, from its published
`analytics.duckdb`, the run record (as-of date, sample data) and SSB's national figure. Workdays
are summed and rates recomputed with `sick_leave_pct`, masking is applied again on the combined
persons (pipeline/sql/region/, run by the same SQL runner as the warehouse), every table and
column gets its comment from `schemas/region_warehouse.yaml`, and the file is written anew and
renamed over the old one, as the municipalities' published database is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import filemodes, sqlproject
from pipeline.profile import SCHEMAS_DIR
from pipeline.region.config import Municipality, Region

# The published warehouse's own commenting: the region's data dictionary has the same shape.
from pipeline.warehouse import (
    ANALYTICS_DB,
    _comment_table,
    _sql_string,
    load_warehouse_schema,
    sql_literal,
)

REGION_DB = "region.duckdb"
REGION_SCHEMA = SCHEMAS_DIR / "region_warehouse.yaml"
PERIODS_PARQUET = "sykefravaer_perioder.parquet"

# The columns read from each municipality's published periods (the published mart's own names).
INPUT_COLUMNS = {
    "period_type": "VARCHAR",
    "period": "VARCHAR",
    "first_quarter": "VARCHAR",
    "last_quarter": "VARCHAR",
    "is_complete": "BOOLEAN",
    "scope_level": "VARCHAR",
    "scope_code": "VARCHAR",
    "scope_name": "VARCHAR",
    "persons": "DECIMAL(38, 0)",
    "possible_workdays": "DECIMAL(20, 8)",
    "lost_workdays": "DECIMAL(20, 8)",
    "lost_workdays_self": "DECIMAL(20, 8)",
    "lost_workdays_doctor": "DECIMAL(20, 8)",
    "lost_workdays_short": "DECIMAL(20, 8)",
    "lost_workdays_long": "DECIMAL(20, 8)",
    "lost_workdays_graded": "DECIMAL(20, 8)",
    "is_masked": "BOOLEAN",
}

INCLUDED, FAILED, MISSING, OTHER_AS_OF = "included", "failed", "missing", "other_as_of"


@dataclass(frozen=True)
class Published:
    """What one municipality has published, as the region sees it."""

    municipality: Municipality
    status: str
    as_of: dt.date | None = None
    is_sample_data: bool | None = None

    @property
    def is_included(self) -> bool:
        return self.status == INCLUDED


@dataclass(frozen=True)
class RegionBuild:
    path: Path
    published: tuple[Published, ...]

    @property
    def included(self) -> list[str]:
        return [p.municipality.name for p in self.published if p.is_included]

    @property
    def left_out(self) -> list[Published]:
        return [p for p in self.published if not p.is_included]


def published_state(municipality: Municipality, as_of: dt.date, failed: bool) -> Published:
    """Whether a municipality's figures for this as-of date are published and can be added."""
    if failed:
        return Published(municipality, FAILED)
    analytics = municipality.warehouse_dir / ANALYTICS_DB
    parquet = municipality.parquet_dir / PERIODS_PARQUET
    if not (analytics.is_file() and parquet.is_file()):
        return Published(municipality, MISSING)
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        published_as_of, sample = con.execute(
            "SELECT CAST(as_of AS DATE), is_sample_data FROM run_info"
        ).fetchone()
    finally:
        con.close()
    status = INCLUDED if published_as_of == as_of else OTHER_AS_OF
    return Published(municipality, status, published_as_of, bool(sample))


def build_region_database(
    region: Region, as_of: dt.date, failed: frozenset[str] = frozenset()
) -> RegionBuild:
    """Add up the published figures of the municipalities whose night for `as_of` published
    (those named in `failed`, by kommunenummer, are left out) into region.duckdb."""
    published = tuple(
        published_state(m, as_of, m.number in failed) for m in region.municipalities
    )
    out_dir = filemodes.make_dir(region.output_dir, shared=True)
    target = out_dir / REGION_DB
    tmp = filemodes.temporary_path(target)
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        sqlproject.create_macros(con)
        sqlproject.set_params(con, as_of=as_of, mask_threshold=region.mask_threshold)
        _load_inputs(con, region, published)
        sqlproject.run(con, "region")
        _run_info(con, region, as_of, published)
        _comment_everything(con)
        con.execute("DROP TABLE params")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    filemodes.replace(tmp, target, shared=True)
    return RegionBuild(target, published)


def _load_inputs(con: duckdb.DuckDBPyConnection, region: Region, published) -> None:
    """The SQL's inputs as temporary tables (gone when the file is closed): the published
    periods of the included municipalities, the sector mapping, the municipalities and the
    national figure."""
    columns = ", ".join(f"{name} {kind}" for name, kind in INPUT_COLUMNS.items())
    con.execute(f"CREATE TEMP TABLE region_input (municipality_number VARCHAR, {columns})")
    names = ", ".join(INPUT_COLUMNS)
    for item in published:
        if item.is_included:
            path = item.municipality.parquet_dir / PERIODS_PARQUET
            con.execute(
                f"INSERT INTO region_input SELECT ? AS municipality_number, {names} "
                f"FROM read_parquet({sql_literal(path)})",
                [item.municipality.number],
            )
    con.execute(
        "CREATE TEMP TABLE region_sector_map (municipality_number VARCHAR, sector_code VARCHAR,"
        " common_sector_code VARCHAR, common_sector_name VARCHAR)"
    )
    con.executemany(
        "INSERT INTO region_sector_map VALUES (?, ?, ?, ?)",
        [
            (m.number, local, common, region.sectors[common])
            for m in region.municipalities
            for local, common in m.sectors.items()
        ],
    )
    con.execute(
        "CREATE TEMP TABLE region_input_municipalities (municipality_number VARCHAR, "
        "municipality_name VARCHAR, is_included BOOLEAN, status VARCHAR, as_of DATE, "
        "is_sample_data BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO region_input_municipalities VALUES (?, ?, ?, ?, ?, ?)",
        [
            (p.municipality.number, p.municipality.name, p.is_included, p.status, p.as_of,
             p.is_sample_data)
            for p in published
        ],
    )
    _load_national(con, [p for p in published if p.is_included])


def _load_national(con: duckdb.DuckDBPyConnection, included: list[Published]) -> None:
    """SSB's national figure as the first included municipality's warehouse holds it (every
    municipality loads the same shipped table)."""
    con.execute(
        "CREATE TEMP TABLE region_input_national (quarter VARCHAR, value DOUBLE, source VARCHAR)"
    )
    for item in included:
        analytics = item.municipality.warehouse_dir / ANALYTICS_DB
        con.execute(f"ATTACH {sql_literal(analytics)} AS municipality (READ_ONLY)")
        try:
            con.execute(
                "INSERT INTO region_input_national SELECT quarter, value, source "
                "FROM municipality.main.reference_series WHERE series = 'sick_leave_pct' "
                "AND scope = 'Norge' AND coalesce(sex, 'Begge kjønn') = 'Begge kjønn'"
            )
        finally:
            con.execute("DETACH municipality")
        if con.execute("SELECT count(*) FROM region_input_national").fetchone()[0]:
            return


def _run_info(con: duckdb.DuckDBPyConnection, region: Region, as_of: dt.date, published) -> None:
    included = [p for p in published if p.is_included]
    con.execute(
        "CREATE TABLE region_run_info AS SELECT ?::VARCHAR AS region_name, "
        "now()::TIMESTAMP AS built_at, ?::DATE AS as_of, ?::INTEGER AS mask_threshold, "
        "?::INTEGER AS municipalities, ?::INTEGER AS municipalities_included, "
        "?::BOOLEAN AS is_sample_data",
        [
            region.name,
            as_of,
            region.mask_threshold,
            len(published),
            len(included),
            any(p.is_sample_data for p in included),
        ],
    )


def _comment_everything(con: duckdb.DuckDBPyConnection) -> None:
    """Every persistent table gets its comment and every column its own; a table the data
    dictionary does not know is an error (nothing is published undocumented)."""
    schema = load_warehouse_schema(REGION_SCHEMA)
    tables = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND table_name <> 'params'"
        ).fetchall()
    ]
    unknown = sorted(set(tables) - set(schema["tables"]))
    if unknown:
        raise RuntimeError(f"schemas/region_warehouse.yaml documents no table {', '.join(unknown)}")
    for table in tables:
        _comment_table(con, table, schema["tables"][table])
    for name, text in schema.get("macros", {}).items():
        con.execute(f"COMMENT ON MACRO {name} IS {_sql_string(text)}")
