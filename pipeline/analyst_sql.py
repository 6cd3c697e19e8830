"""`sickleave sql`: analysts' queries against the published tables, and nothing else.

The command runs with the service account's rights, which can read the raw exports (names and
identity numbers), the pseudonym key and the person-level internal database, and write the SQL the
next night executes. So the published database is opened read-only with DuckDB's external access
off (no file functions, COPY, ATTACH, extensions, secrets) and the configuration locked (no SET,
RESET or PRAGMA can turn it back on). Statements other than queries are refused before anything
runs, each with a sentence saying what is not allowed; the configuration catches whatever a query
tries from inside a SELECT.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import TextIO

import duckdb

from pipeline.errors import UserError
from pipeline.warehouse import connect

# Published tables only: no file system, no other databases, no extensions, no network, no
# Python objects, no spill files (temp_directory would otherwise be an allowed directory), and
# the configuration locked so that no statement can change any of it back.
LOCKED_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,
    "temp_directory": "",
    "lock_configuration": True,
}

# Queries read; DuckDB parses SHOW, DESCRIBE, SUMMARIZE, VALUES and FROM-first as SELECT, and
# PIVOT as MULTI.
ALLOWED = {"SELECT", "EXPLAIN", "MULTI"}

WHY = "sickleave sql viser bare de publiserte tabellene i analytics.duckdb"

REFUSED = {
    "ATTACH": "Å koble til andre databaser (ATTACH)",
    "DETACH": "Å koble fra databaser (DETACH)",
    "LOAD": "Å installere eller laste utvidelser (INSTALL/LOAD)",
    "COPY": "Å lese eller skrive filer (COPY)",
    "EXPORT": "Å eksportere databasen til filer (EXPORT DATABASE)",
    "PRAGMA": "PRAGMA, IMPORT og COPY FROM DATABASE",
    "SET": "Å endre innstillinger (SET, RESET, USE)",
    "CREATE": "Å opprette tabeller, visninger eller makroer (CREATE)",
    "INSERT": "Å endre data (INSERT)",
    "UPDATE": "Å endre data (UPDATE)",
    "DELETE": "Å endre data (DELETE)",
    "DROP": "Å slette (DROP)",
    "ALTER": "Å endre tabeller (ALTER)",
    "CALL": "CALL og CHECKPOINT (bruk SELECT * FROM funksjon())",
}
EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\s+", re.I)
SECRET = re.compile(
    r"^\s*create\s+(or\s+replace\s+)?(persistent\s+|temporary\s+|temp\s+)?secret\b", re.I
)


def refusal(statement_type: str, text: str) -> str:
    """One sentence: what is not allowed, and why."""
    if SECRET.match(text):
        what = "Å lagre hemmeligheter (CREATE SECRET)"
    else:
        what = REFUSED.get(statement_type, f"Setninger av typen {statement_type}")
    return f"{what} er ikke tillatt: {WHY}."


def read_query(query: str | None, file: Path | None, stdin: TextIO | None = None) -> str | None:
    """The SQL text from the argument, from --file, or from standard input (argument `-`, or no
    argument with input piped or redirected in); None when there is none of these."""
    stdin = stdin or sys.stdin
    if query is not None and file is not None:
        raise UserError("Gi spørringen enten som argument eller med --file, ikke begge.")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UserError(f"Fant ikke spørringsfilen {file}.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Kunne ikke lese spørringsfilen {file}: {exc}.") from None
    if query == "-" or (query is None and piped(stdin)):
        return stdin.read()
    return query


def piped(stream: TextIO) -> bool:
    """Whether the stream is a pipe or a file (`… | sickleave sql`, `sickleave sql < q.sql`);
    a terminal or /dev/null is not: waiting for a query from there would look like a hang."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):  # no file descriptor (io.UnsupportedOperation is an OSError)
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def parse(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """The statements of the text, each checked against the allow-list before any runs."""
    try:
        statements = con.extract_statements(text)
    except duckdb.ParserException as exc:
        raise UserError(f"Spørringen feilet: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise UserError("Spørringen er tom (bare kommentarer eller blanke).")
    for statement in statements:
        kind, text = kind_of(con, statement)
        if kind not in ALLOWED:
            raise UserError(refusal(kind, text))
    return [without_terminator(con, statement.query) for statement in statements]


def kind_of(con: duckdb.DuckDBPyConnection, statement) -> tuple[str, str]:
    """The statement's type and text; for EXPLAIN those of the statement it explains (EXPLAIN
    ANALYZE runs it)."""
    try:
        kind = statement.type.name
    except ValueError:  # a type the Python client does not know (UPDATE EXTENSIONS)
        return " ".join(statement.query.split()[:2]).upper(), statement.query
    inner = EXPLAIN.sub("", statement.query, count=1)
    if kind == "EXPLAIN" and inner != statement.query:
        try:
            explained = con.extract_statements(inner)
        except duckdb.Error:
            return kind, statement.query
        if len(explained) == 1:
            return kind_of(con, explained[0])
    return kind, statement.query


def without_terminator(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """The statement without its `;` and what follows it (comments, blanks).

    DuckDB gives each statement's text up to the next one, `;` and comments included, and shows a
    result by running the statement as a subquery, where a `;` is a syntax error. The cut is
    checked by parsing it again: it must still be exactly the one statement.
    """
    cut = text[: top_level_semicolon(text)]
    try:
        same = [s.type for s in con.extract_statements(cut)] == [
            s.type for s in con.extract_statements(text)
        ]
    except duckdb.Error:
        same = False
    return cut if same else text


def top_level_semicolon(text: str) -> int:
    """Where the first `;` outside strings, quoted names and comments is (or the end)."""
    closing = {"'": "'", '"': '"', "--": "\n", "/*": "*/"}
    i = 0
    while i < len(text):
        opener = text[i : i + 2] if text[i : i + 2] in closing else text[i]
        if opener == ";":
            return i
        if opener in closing:
            end = text.find(closing[opener], i + len(opener))
            i = len(text) if end < 0 else end + len(closing[opener])
        else:
            i += 1
    return len(text)


def run_query(database: Path, text: str, max_rows: int = 200) -> None:
    """Run every statement of the text in turn and print each result as a table."""
    if not database.exists():
        raise UserError(
            f"Fant ikke {database}. Kjør 'sickleave run' (eller 'sickleave demo') først."
        )
    con = connect(database, read_only=True, config=LOCKED_CONFIG)
    try:
        for statement in parse(con, text):
            relation = con.sql(statement)
            if relation is None:
                print("OK")
            else:
                relation.show(max_rows=max_rows, max_width=250, max_col_width=40)
    except duckdb.PermissionException:
        raise UserError(
            f"Å lese filer, andre databaser eller utvidelser er ikke tillatt: {WHY}."
        ) from None
    except duckdb.Error as exc:
        raise UserError(f"Spørringen feilet: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
