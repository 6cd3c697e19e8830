"""Data tests on the built warehouse, declared beside the data dictionary
(schemas/warehouse_tests.yaml): grain, not null, accepted values, relationships, row conditions,
and additivity (units add up to sectors and sectors to the municipality, before masking).

They run on the internal database before every publish (pipeline.warehouse.publish). A failing
test stops the publish: the database published before stays as it was, and the error says which
test failed on which rows (a few example keys), so a person can find the fault in the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
from ruamel.yaml import YAML

from pipeline.errors import UserError
from pipeline.findings import ERROR, Finding
from pipeline.profile import SCHEMAS_DIR

TESTS_FILE = SCHEMAS_DIR / "warehouse_tests.yaml"
EXAMPLES = 3  # failing rows shown per test


@dataclass(frozen=True)
class DataTest:
    name: str  # e.g. "sick_leave_quarterly: unique (quarter, scope_level, scope_code)"
    table: str
    kind: str  # unique, not_null, accepted_values, relationships, rows, additivity
    sql: str  # a query returning the failing rows, key columns first
    column: str | None = None


@dataclass(frozen=True)
class Failure:
    test: DataTest
    rows: int
    examples: list[str]

    def finding(self) -> Finding:
        shown = "; ".join(self.examples)
        hidden = self.rows - len(self.examples)
        more = f" (og {hidden} til)" if hidden > 0 else ""
        return Finding(
            "warehouse",
            self.test.table,
            None,
            self.test.column,
            ERROR,
            f"data_test_{self.test.kind}",
            f"Datatesten «{self.test.name}» feiler for {self.rows} rad(er), f.eks. {shown}{more}.",
        )


class DataTestsFailed(UserError):
    """The built warehouse breaks its data tests: nothing is published."""

    def __init__(self, failures: list[Failure]):
        self.findings = [f.finding() for f in failures]
        first = self.findings[0].message
        others = f" Til sammen {len(failures)} tester feiler." if len(failures) > 1 else ""
        super().__init__(
            f"Databasen er ikke publisert, fordi den bygde databasen bryter datatestene: {first}"
            f"{others} Forrige publiserte database gjelder fortsatt."
        )


def load_tests(path: Path = TESTS_FILE) -> list[DataTest]:
    """Every data test of the file as a query for its failing rows."""
    spec = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    tests: list[DataTest] = []
    for table, declared in spec.get("tables", {}).items():
        tests += table_tests(table, declared)
    additivity = spec.get("additivity") or []
    for declared in additivity if isinstance(additivity, list) else [additivity]:
        tests += additivity_tests(declared)
    return tests


def _keys(declared: dict) -> str:
    return ", ".join(declared["grain"])


def _list(values: list) -> str:
    return ", ".join(
        "'" + v.replace("'", "''") + "'" if isinstance(v, str) else str(v) for v in values
    )


def table_tests(table: str, declared: dict) -> list[DataTest]:
    keys = _keys(declared)
    tests = [
        DataTest(
            f"{table}: unik ({keys})",
            table,
            "unique",
            f"SELECT {keys}, count(*) AS antall_rader FROM {table} GROUP BY ALL "
            "HAVING count(*) > 1",
        )
    ]
    for column in declared.get("not_null", []):
        tests.append(
            DataTest(
                f"{table}.{column}: ikke tom",
                table,
                "not_null",
                f"SELECT {keys} FROM {table} WHERE {column} IS NULL",
                column,
            )
        )
    for column, values in declared.get("accepted_values", {}).items():
        tests.append(
            DataTest(
                f"{table}.{column}: tillatte verdier",
                table,
                "accepted_values",
                f"SELECT {keys}, {column} FROM {table} WHERE {column} NOT IN ({_list(values)})",
                column,
            )
        )
    for rel in declared.get("relationships", []):
        tests.append(relationship_test(table, keys, rel))
    for name, condition in declared.get("rows", {}).items():
        tests.append(
            DataTest(
                f"{table}: {name}",
                table,
                "rows",
                f"SELECT {keys} FROM {table} WHERE NOT coalesce(({condition}), false)",
            )
        )
    return tests


def relationship_test(table: str, keys: str, rel: dict) -> DataTest:
    """Each row's `columns` exist in table `to` (under the names `as`, default the same)."""
    columns, target = rel["columns"], rel["to"]
    names = rel.get("as", columns)
    match = " AND ".join(f"t.{c} = r.{n}" for c, n in zip(columns, names, strict=True))
    present = " AND ".join(f"t.{c} IS NOT NULL" for c in columns)
    return DataTest(
        f"{table} ({', '.join(columns)}) finnes i {target}",
        table,
        "relationships",
        f"SELECT {', '.join('t.' + k for k in keys.split(', '))} FROM {table} AS t "
        f"WHERE {present} AND NOT EXISTS (SELECT 1 FROM {target} AS r WHERE {match})",
        ", ".join(columns),
    )


# Each unit's sector per quarter, for the additivity tests: one pass over the fact for all of them
# (a temporary table made by run_tests), not one per measure.
UNIT_SECTORS = "data_test_unit_sectors"
UNIT_SECTORS_SQL = f"""
    CREATE OR REPLACE TEMP TABLE {UNIT_SECTORS} AS
    SELECT quarter, unit_code, min(sector_code) AS sector_code,
        count(DISTINCT sector_code) AS sectors
    FROM core_fact_quarter GROUP BY ALL
"""


def additivity_tests(spec: dict) -> list[DataTest]:
    """Units add up to their sector, sectors and units to the municipality, per quarter and
    measure, on the unmasked sums. A unit's sector in a quarter comes from the fact; a unit that
    changed sector inside a quarter has one row for both, so its sectors are left out of the
    unit-to-sector test (the unit-to-municipality test still holds it)."""
    table = spec["table"]
    tests = []
    for measure in spec["measures"]:
        level = (
            f"SELECT quarter, scope_code, {measure} AS amount FROM {table} "
            "WHERE scope_level = '{level}'"
        )
        units, sectors, whole = (
            level.format(level=lv) for lv in ("unit", "sector", "municipality")
        )
        unit_sectors = f"""
            WITH unit_sector AS (SELECT * FROM {UNIT_SECTORS}),
            split AS (
                SELECT DISTINCT f.quarter, f.sector_code FROM core_fact_quarter AS f
                JOIN unit_sector AS u USING (quarter, unit_code) WHERE u.sectors > 1
            ),
            parts AS (
                SELECT u.quarter, s.sector_code, sum(u.amount) AS units
                FROM ({units}) AS u
                JOIN unit_sector AS s ON s.quarter = u.quarter AND s.unit_code = u.scope_code
                WHERE s.sectors = 1
                GROUP BY ALL
            )
            SELECT coalesce(w.quarter, p.quarter) AS quarter,
                coalesce(w.scope_code, p.sector_code) AS sector_code,
                coalesce(p.units, 0) AS enhetene, coalesce(w.amount, 0) AS sektoren
            FROM parts AS p FULL JOIN ({sectors}) AS w
                ON w.quarter = p.quarter AND w.scope_code = p.sector_code
            WHERE coalesce(p.units, 0) <> coalesce(w.amount, 0)
              AND (coalesce(w.quarter, p.quarter), coalesce(w.scope_code, p.sector_code))
                  NOT IN (SELECT (quarter, sector_code) FROM split)
        """
        tests.append(
            DataTest(
                f"{table}: enhetene summerer til sektoren ({measure})",
                table,
                "additivity",
                unit_sectors,
                measure,
            )
        )
        for part, label in ((sectors, "sektorene"), (units, "enhetene")):
            tests.append(
                DataTest(
                    f"{table}: {label} summerer til kommunen ({measure})",
                    table,
                    "additivity",
                    f"""
                    SELECT coalesce(p.quarter, w.quarter) AS quarter,
                        coalesce(p.amount, 0) AS {label}, coalesce(w.amount, 0) AS kommunen
                    FROM (SELECT quarter, sum(amount) AS amount FROM ({part}) GROUP BY quarter)
                        AS p
                    FULL JOIN ({whole}) AS w USING (quarter)
                    WHERE coalesce(p.amount, 0) <> coalesce(w.amount, 0)
                    """,
                    measure,
                )
            )
    return tests


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
    ).fetchall()
    return {r[0] for r in rows}


def run_tests(con: duckdb.DuckDBPyConnection, tests: list[DataTest] | None = None) -> list[Failure]:
    """Run the data tests in `con`; the failures, each with its count and a few example rows.
    Tests of a table that was not built (the plan's tables of a run without a plan) are skipped;
    a test that reads a table missing otherwise fails as an error of the test itself."""
    tests = load_tests() if tests is None else tests
    built = existing_tables(con)
    tests = [t for t in tests if t.table in built]
    if not tests:
        return []
    if "core_fact_quarter" in built and any(UNIT_SECTORS in t.sql for t in tests):
        con.execute(UNIT_SECTORS_SQL)
    # One query counts the failing rows of every test (one round trip, not one per test; about
    # 0.1 s of CPU on the sample municipality); examples are fetched only for the tests that fail.
    counts = con.execute(
        " UNION ALL ".join(
            f"SELECT {n} AS test_no, count(*) AS failing FROM ({t.sql})"
            for n, t in enumerate(tests)
        )
    ).fetchall()
    failures = []
    for n, failing in sorted(counts):
        if failing:
            failures.append(Failure(tests[n], failing, _examples(con, tests[n])))
    return failures


def _examples(con: duckdb.DuckDBPyConnection, test: DataTest) -> list[str]:
    cursor = con.execute(f"SELECT * FROM ({test.sql}) ORDER BY ALL LIMIT {EXAMPLES}")
    columns = [d[0] for d in cursor.description]
    return [
        ", ".join(f"{c}={_show(v)}" for c, v in zip(columns, row, strict=True))
        for row in cursor.fetchall()
    ]


def _show(value: object) -> str:
    if value is None:
        return "tom"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}".replace(".", ",")  # 94,5 rather than 94.50000000
    return str(value)


def check(database: Path) -> None:
    """Run the data tests on a built database (read-only); raise DataTestsFailed when any fails."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        failures = run_tests(con)
    finally:
        con.close()
    if failures:
        raise DataTestsFailed(failures)
