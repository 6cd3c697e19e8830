"""`sickleave sql` sees the published tables and nothing else.

The command runs with the rights of whoever starts it, usually the service account, which can read
the raw exports (names, identity numbers), the pseudonym key and the person-level internal
database, and can write the SQL files the next night runs. Every attack below was reproduced on the
sample before the fix (the key printed, person-level rows returned, a file written); now each is
refused with one Norwegian sentence and exit 2, and nothing is read or written.

The published database here is built from two people small enough to check by hand: person p1
(100 % in U1) is away 7-8 January 2013, two of the quarter's 61 working days (1 January is a
holiday), so the municipality's 2013K1 is 100 x 2 / (61 + 61 x 0.5) = 2.19 -> 2,2 %.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import pandas as pd
import pytest

from pipeline import cli, steps
from pipeline.warehouse import ANALYTICS_DB, INTERNAL_DB, load_warehouse_schema, publish
from tests.helpers import build

KEY_TEXT = "hemmelig-nokkel-5e1f0a9c"
NAME = "Kari Nordmann"
IDENTITY_NUMBER = "01017012345"
WHY = "sickleave sql viser bare de publiserte tabellene i analytics.duckdb"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A warehouse as a night leaves it, with the secrets an attacker would go for beside it."""
    root = tmp_path_factory.mktemp("site")
    warehouse = root / "warehouse"
    warehouse.mkdir()
    build(
        warehouse,
        [("p1", "U1", 100, "2013-01-01", None), ("p2", "U2", 50, "2013-01-01", None)],
        [("p1", "EGM", "2013-01-07", "2013-01-08", None, None)],
        as_of="2013-12-31",
    ).close()
    ctx = steps.RunContext(root / "raw", warehouse, dt.date(2013, 12, 31))
    load_log_columns = load_warehouse_schema()["tables"]["load_log"]["columns"]
    publish(
        warehouse / INTERNAL_DB,
        warehouse / ANALYTICS_DB,
        extra_tables={
            "validation_findings": steps.findings_table(ctx, []),
            "load_log": pd.DataFrame(columns=list(load_log_columns)),
            "run_info": steps.run_info_frame(ctx),
        },
    )
    raw = root / "raw" / "agresso"
    raw.mkdir(parents=True)
    (raw / "fravaer.csv").write_text(
        f"Ressursnr;Navn;Fødselsnr\n10001;{NAME};{IDENTITY_NUMBER}\n", encoding="utf-8"
    )
    (root / "key").mkdir()
    (root / "key" / "pseudonym.key").write_text(KEY_TEXT, encoding="utf-8")
    # DuckDB allows its spill folder even with external access off, unless there is none.
    (warehouse / f"{ANALYTICS_DB}.tmp").mkdir()
    (warehouse / f"{ANALYTICS_DB}.tmp" / "kopi.txt").write_text(KEY_TEXT, encoding="utf-8")
    (root / "marts").mkdir()  # stands for pipeline/sql/marts/, which the next night executes
    return root


def sickleave_sql(site: Path, *args: str, capsys, stdin: str | TextIO | None = None):
    """Run `sickleave sql` in-process as the console script does; returns (exit, stdout, stderr)."""
    argv = ["sql", "--warehouse-dir", str(site / "warehouse"), *args]
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin) if isinstance(stdin, str) else stdin
    try:
        cli.main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdin = old_stdin
    out, err = capsys.readouterr()
    return code, out, err


def cells(table: str) -> list[str]:
    """The cells of DuckDB's box table, top to bottom, left to right."""
    return [cell.strip() for line in table.splitlines() for cell in line.split("│")[1:-1]]


def state(site: Path) -> dict[str, str]:
    """Every file under the site with its digest: an attack must change none and add none."""
    return {
        str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


ATTACKS = {
    # name: (statement, words the one sentence must hold)
    "read_csv on a raw export": (
        "SELECT * FROM read_csv('{site}/raw/agresso/fravaer.csv')",
        "Å lese filer",
    ),
    "replacement scan of a raw export": ("FROM '{site}/raw/agresso/fravaer.csv'", "Å lese filer"),
    "read_text on the key file": ("SELECT * FROM read_text('{site}/key/pseudonym.key')", "filer"),
    "read_blob on the key file": ("SELECT * FROM read_blob('{site}/key/pseudonym.key')", "filer"),
    "glob over the site": ("SELECT * FROM glob('{site}/**')", "filer"),
    "read_text in the spill folder": (
        "SELECT * FROM read_text('{site}/warehouse/analytics.duckdb.tmp/kopi.txt')",
        "filer",
    ),
    "attach the internal database": (
        "ATTACH '{site}/warehouse/internal.duckdb' AS i (READ_ONLY)",
        "(ATTACH)",
    ),
    "attach then read person-level rows": (
        "ATTACH '{site}/warehouse/internal.duckdb' AS i; SELECT * FROM i.stg_absences",
        "(ATTACH)",
    ),
    "install an extension": ("INSTALL httpfs", "(INSTALL/LOAD)"),
    "load an extension": ("LOAD httpfs", "(INSTALL/LOAD)"),
    "copy into the marts folder": (
        "COPY (SELECT 'SELECT 1' AS s) TO '{site}/marts/99_evil.sql' (HEADER false)",
        "(COPY)",
    ),
    "set external access back on": ("SET enable_external_access = true", "(SET, RESET, USE)"),
    "reset external access": ("RESET enable_external_access", "(SET, RESET, USE)"),
    "widen the allowed directories": (
        "SET allowed_directories = ['{site}']",
        "(SET, RESET, USE)",
    ),
    "pragma": ("PRAGMA database_size", "PRAGMA"),
    "export the database": ("EXPORT DATABASE '{site}/marts/export'", "(EXPORT DATABASE)"),
    "import a database": ("IMPORT DATABASE '{site}/marts'", "PRAGMA, IMPORT"),
    "create a secret": (
        "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
        "(CREATE SECRET)",
    ),
    "create a table": ("CREATE TABLE t AS SELECT 1 AS x", "(CREATE)"),
    "insert into a published table": ("INSERT INTO quarters SELECT * FROM quarters", "(INSERT)"),
    "drop a published table": ("DROP TABLE quarters", "(DROP)"),
    "explain analyze runs a copy": (
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '{site}/marts/sentinel.csv'",
        "(COPY)",
    ),
    "explain analyze runs a set": (
        "EXPLAIN ANALYZE SET enable_external_access = true",
        "(SET, RESET, USE)",
    ),
    "a harmless query before a refused one": (
        "SELECT 'skal ikke vises' AS x; COPY (SELECT 1) TO '{site}/marts/sentinel.csv'",
        "(COPY)",
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_each_attack_is_refused_with_one_sentence_and_touches_nothing(site, capsys, attack):
    statement, words = ATTACKS[attack]
    before = state(site)
    code, out, err = sickleave_sql(site, statement.format(site=site), capsys=capsys)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Feil: "), err
    assert words in lines[0] and lines[0].endswith(f"ikke tillatt: {WHY}.")
    assert out == ""  # refused before anything ran: not even the harmless first query
    for secret in (KEY_TEXT, NAME, IDENTITY_NUMBER):
        assert secret not in out + err
    assert state(site) == before  # nothing written, nothing created, the database unchanged


def test_the_published_tables_and_the_macro_still_work(site, capsys):
    published = [
        name for name, spec in load_warehouse_schema()["tables"].items() if not spec.get("optional")
    ]
    text = "; ".join(f"SELECT count(*) AS {name} FROM {name}" for name in published)
    code, out, err = sickleave_sql(site, text, capsys=capsys)
    assert code == 0, err
    for name in published:
        assert name in out
    code, out, err = sickleave_sql(
        site,
        "SELECT sick_leave_pct(lost_workdays, possible_workdays) AS own, sick_leave_pct AS shown "
        "FROM sick_leave_quarterly WHERE scope_level = 'municipality' AND quarter = '2013K1'",
        capsys=capsys,
    )
    assert code == 0, err
    assert out.count(str(Decimal("2.2"))) == 2  # the macro gives the published figure: 2,2 %
    assert sickleave_sql(site, "SELECT sick_leave_pct(455, 10000) AS p", capsys=capsys)[1].count(
        "4.6"
    )


def test_show_describe_summarize_pivot_and_explain_are_queries(site, capsys):
    for text in [
        "SHOW TABLES",
        "DESCRIBE quarters",
        "SUMMARIZE quarters",
        "PIVOT (SELECT quarter, scope_name, sick_leave_pct FROM sick_leave_quarterly "
        "WHERE scope_level = 'sector') ON quarter USING first(sick_leave_pct) GROUP BY scope_name",
        "EXPLAIN SELECT * FROM quarters",
        "WITH q AS (FROM quarters) SELECT count(*) FROM q",
    ]:
        code, out, err = sickleave_sql(site, text, capsys=capsys)
        assert code == 0, (text, err)


def test_a_query_starting_with_a_comment_is_taken_as_sql_not_as_an_option(site, capsys):
    text = "-- Antall kvartaler:\nSELECT count(*) AS kvartaler FROM quarters;"
    code, out, err = sickleave_sql(site, text, capsys=capsys)
    assert code == 0, err
    assert "kvartaler" in out and cells(out) == ["kvartaler", "int64", "4"]  # 2013K1-2013K4
    # After `--` too, as the shell's end of options.
    code, out, _ = sickleave_sql(site, "--", text, capsys=capsys)
    assert code == 0 and cells(out) == ["kvartaler", "int64", "4"]


def test_several_statements_each_show_their_result_in_turn(site, capsys):
    code, out, _ = sickleave_sql(
        site, "SELECT 'første' AS a; -- mellom\nSELECT 'andre' AS b", capsys=capsys
    )
    assert code == 0
    assert out.index("første") < out.index("andre")


def test_query_from_a_file(site, capsys, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("-- fra fil\nSELECT max(quarter) AS siste FROM quarters;\n", "utf-8")
    code, out, err = sickleave_sql(site, "--file", str(query), capsys=capsys)
    assert code == 0, err
    assert "2013K4" in out
    code, _, err = sickleave_sql(site, "--file", str(tmp_path / "mangler.sql"), capsys=capsys)
    assert code == 2 and "Fant ikke spørringsfilen" in err
    code, _, err = sickleave_sql(site, "SELECT 1", "--file", str(query), capsys=capsys)
    assert code == 2 and "ikke begge" in err


def test_query_from_standard_input(site, capsys):
    text = "-- fra standard inn\nSELECT min(quarter) AS forste FROM quarters;"
    code, out, _ = sickleave_sql(site, "-", stdin=text, capsys=capsys)
    assert code == 0 and "2013K1" in out
    code, out, err = sickleave_sql(site, "-", stdin="-- bare en kommentar\n", capsys=capsys)
    assert code == 2 and "tom" in err


def test_query_redirected_from_a_file_without_an_argument(site, capsys, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("-- omdirigert\nSELECT max(quarter) AS siste FROM quarters;", "utf-8")
    with query.open(encoding="utf-8") as redirected:  # sickleave sql < q.sql
        code, out, err = sickleave_sql(site, stdin=redirected, capsys=capsys)
    assert code == 0, err
    assert "2013K4" in out


def test_no_query_and_nothing_piped_in_is_a_usage_error(site, capsys):
    with open(os.devnull, encoding="utf-8") as nothing:  # a terminal or /dev/null: no query
        code, out, err = sickleave_sql(site, stdin=nothing, capsys=capsys)
    assert code == 2 and out == ""
    assert "mangler argumentet SPØRRING" in err and len(err.strip().splitlines()) == 1


def test_piped_query_through_the_console_command(site):
    """The real process: a query with a leading comment piped in, and an attack piped in."""
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "sql",
        "--warehouse-dir",
        str(site / "warehouse"),
    ]
    ok = subprocess.run(
        command,
        input="-- hele kommunen\nSELECT count(*) AS n FROM sick_leave_quarterly "
        "WHERE scope_level = 'municipality';\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert ok.returncode == 0, ok.stderr
    assert cells(ok.stdout) == ["n", "int64", "4"]  # four quarters of 2013
    refused = subprocess.run(
        command,
        input=f"SELECT content FROM read_text('{site}/key/pseudonym.key');",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert KEY_TEXT not in refused.stdout + refused.stderr
    assert refused.stderr.strip() == (
        f"Feil: Å lese filer, andre databaser eller utvidelser er ikke tillatt: {WHY}."
    )
