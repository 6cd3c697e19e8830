"""The marts as HR's tabular files: CSV in the Norwegian Excel dialect and Parquet, with Norwegian
headings and labels, and texts that start like a formula kept as text."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.warehouse import sql_literal

# OWASP's CSV-injection rule: Excel reads a field that starts with one of these as a formula
# (tab and carriage return too, as it skips them first). Unit, sector and indicator names come
# from the organisation export and the plan, so any text HR opens may start so.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def hr_columns(
    table: pa.Table, mart: dict, value_labels: dict
) -> tuple[list[str], list[pa.ChunkedArray]]:
    """The columns HR gets for a mart, in the table's order without the omitted ones: Norwegian
    headings, codes replaced by their Norwegian labels, yes/no as «Ja»/«Nei»; numbers stay
    numbers."""
    omit = set(mart.get("omit", []))
    headings, columns = [], []
    for name in table.column_names:
        if name in omit:
            continue
        column = table.column(name)
        if name in value_labels and pa.types.is_string(column.type):
            labels = value_labels[name]
            position = pc.index_in(column, value_set=pa.array(list(labels), pa.string()))
            column = pc.coalesce(
                pc.take(pa.array(list(labels.values()), pa.string()), position), column
            )
        elif pa.types.is_boolean(column.type):
            column = pc.if_else(column, "Ja", "Nei")
        headings.append(mart["columns"].get(name, name))
        columns.append(
            column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
        )
    return headings, columns


def write_csv(
    path: Path,
    table: pa.Table,
    mart: dict,
    value_labels: dict,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """A mart in the Norwegian Excel dialect: `;` between fields, decimal comma, UTF-8 with BOM
    (so Excel picks the encoding), Windows line ends, dates as dd.mm.yyyy, empty for no value.
    Decimals are written exactly, without the storage's trailing zeros (61.80000000 -> 61,8).

    DuckDB formats and writes the rows (a country's half a million rows in well under a second;
    pandas took seconds); the BOM goes in front as the file is moved into place. `con`: an
    in-memory DuckDB connection to write with (one for all marts saves opening one per file)."""
    headings, columns = hr_columns(table, mart, value_labels)
    names = [f"c{n}" for n in range(len(columns))]
    path.parent.mkdir(parents=True, exist_ok=True)
    if not names:
        path.write_bytes(b"\xef\xbb\xbf\r\n")
        return
    select = ", ".join(
        f"{_csv_expression(n, c.type)} AS {_identifier(h)}"
        for n, c, h in zip(names, columns, headings, strict=True)
    )
    body = path.with_name(f".{path.name}.body")
    own = con is None
    con = duckdb.connect() if own else con
    try:
        con.register("mart", pa.table(dict(zip(names, columns, strict=True))))
        con.execute(
            f"COPY (SELECT {select} FROM mart) TO {sql_literal(body)} "
            "(FORMAT csv, DELIMITER ';', HEADER, NEW_LINE '\r\n')"
        )
        con.unregister("mart")
    finally:
        if own:
            con.close()
    try:
        with open(path, "wb") as out, open(body, "rb") as rows:
            out.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(rows, out, 1 << 20)
    finally:
        body.unlink(missing_ok=True)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_expression(name: str, kind: pa.DataType) -> str:
    if pa.types.is_decimal(kind) and kind.scale > 0:
        # the storage's trailing zeros go, one decimal stays (61.80000000 -> 61,8; 61.0 -> 61,0);
        # string trimming, not a regular expression: a country's marts have millions of values
        trimmed = f"rtrim(CAST({name} AS VARCHAR), '0')"
        digits = f"CASE WHEN suffix({trimmed}, '.') THEN {trimmed} || '0' ELSE {trimmed} END"
        return f"replace({digits}, '.', ',')"
    if pa.types.is_floating(kind):
        return f"replace(CAST({name} AS VARCHAR), '.', ',')"
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return f"strftime({name}, '%d.%m.%Y')"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return csv_text_expression(name)
    return f"CAST({name} AS VARCHAR)"


def csv_text_expression(text: str) -> str:
    """SQL for a text field of a CSV HR opens in Excel: a leading single quote when the text
    starts like a formula (OWASP), so Excel shows it and never evaluates it. Only text columns
    get this: numbers stay numbers (a negative number is not a formula)."""
    starts = ", ".join(sql_literal(start) for start in FORMULA_START)
    quote = sql_literal("'")
    return f"CASE WHEN left({text}, 1) IN ({starts}) THEN {quote} || {text} ELSE {text} END"


def write_parquet(path: Path, table: pa.Table) -> None:
    """A mart as Parquet, with its DuckDB types (DECIMAL stays decimal)."""
    path.parent.mkdir(exist_ok=True)
    pq.write_table(table, path)
