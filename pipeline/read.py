"""Reading exports: bytes -> text (encoding detected per file) -> a DataFrame of strings with the
profile's canonical column names -> typed columns.

Everything here works on whole columns (pandas), never row by row. Personal columns (names,
identity numbers, free text) are dropped the moment the header is known, before any value is
typed, stored or logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.arrow_csv import read_plain_csv
from pipeline.errors import FileRejected
from pipeline.findings import ERROR, WARNING, Finding, line_findings
from pipeline.profile import Dialect, Limits, Profile, Source
from pipeline.rawfile import (
    checked_text,
    read_regular_file,
    refuse_non_text,
    unknown_encoding,
)
from pipeline.workbook_check import check_workbook

MISSING_MARKERS = {"", "-"}

_NON_BREAKING_SPACES = ["\u00a0", "\u202f"]


@dataclass
class SourceFile:
    """One input file read into canonical, typed columns plus what was found on the way."""

    source: str
    path: Path
    encoding: str
    rows_read: int
    frame: pd.DataFrame  # canonical columns, typed; 'source_line' = line number in the file
    findings: list[Finding] = field(default_factory=list)
    dropped_personal_columns: list[str] = field(default_factory=list)
    # Per typed column, a number per row: equal numbers for equal typed values (missing ones
    # alike), for finding repeated rows without hashing every value again (validate.py).
    value_codes: dict[str, np.ndarray] | None = None


def decode(raw: bytes, encodings: tuple[str, ...] = ("utf-8", "cp1252")) -> tuple[str, str]:
    """Decode bytes with the first encoding that accepts them all; a BOM decides at once.

    Windows-1252 accepts almost any byte, so it is tried last: a UTF-8 file is always read as UTF-8.
    For the profile's CSV exports, read_csv_file decides line by line instead (rawfile.py).
    """
    refuse_non_text(raw)
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise unknown_encoding(encodings) from None
    for encoding in encodings:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise unknown_encoding(encodings)


@dataclass
class CsvFile:
    """A CSV export parsed into strings, with what the byte checks found on the way."""

    frame: pd.DataFrame  # strings, headers stripped, indexed by line (read.number_lines)
    encoding: str
    findings: list[Finding]
    lines_left_out: int  # lines quarantined before parsing (wrong field count or encoding)


def read_csv_file(
    path: Path, dialect: Dialect, limits: Limits, source: str, skip: Collection[str] = ()
) -> CsvFile:
    """Read one CSV export safely: a regular file within the profile's limits, every line checked
    for its field count and encoding on the raw bytes (rawfile.checked_text), then parsed.
    Raises FileRejected when the file cannot be used as a whole."""
    raw = read_regular_file(path, limits)
    checked = checked_text(raw, dialect, limits, source, Path(path).name)
    del raw  # the text is all that is needed from here; a big file should not be held twice
    frame = read_csv_text(checked.text, dialect, skip)
    return CsvFile(frame, checked.encoding, checked.findings, checked.lines_left_out)


def read_csv_text(text: str, dialect: Dialect, skip: Collection[str] = ()) -> pd.DataFrame:
    """Decoded CSV text as a DataFrame of strings (nothing typed), headers stripped; raise
    FileRejected with a reason HR can act on when it is empty or not in the profile's dialect.

    Columns whose header is in `skip` (the profile's personal columns: names, identity numbers,
    free text) are never parsed: their values are not kept even for a moment, and a country's
    names and free text are a third of the parsing."""
    if not text.strip():
        raise FileRejected("Filen er tom. Ta ut rapporten på nytt.", rule="file_empty")
    # The first line only: splitting the whole text would build a list of every line. Every
    # line break splitlines knows ends a line no later than the first "\n", so this is the same.
    newline = text.find("\n")
    first_line = (text if newline < 0 else text[: newline + 1]).splitlines()[0]
    if dialect.delimiter not in first_line:
        seen = next((d for d in [",", "\t", "|", ";"] if d in first_line), None)
        hint = f" (den ser ut til å bruke «{seen}»)" if seen else ""
        raise FileRejected(
            f"Overskriftslinjen er ikke skilt med «{dialect.delimiter}»{hint}. Eksporter som "
            "semikolondelt CSV og legg filen inn igjen.",
            rule="wrong_delimiter",
        )
    fields = first_line.split(dialect.delimiter)
    fast = read_plain_csv(text, dialect.delimiter, fields, _clean_header, skip)
    if fast is not None:
        fast.columns = [_clean_header(c) for c in fast.columns]
        fast = drop_blank_rows(fast)
        present = [_clean_header(h) for h in fields]
        fast.attrs["skipped_headers"] = list(dict.fromkeys(h for h in present if h in skip))
        return fast
    skipped: list[str] = []

    def wanted(header) -> bool:
        name = _clean_header(header)
        if name in skip and name not in skipped:  # pandas may ask more than once
            skipped.append(name)
        return name not in skip

    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=dialect.delimiter,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
            on_bad_lines="error",
            index_col=False,  # never take a first column as the index (a stray ";" shifts all)
            skip_blank_lines=False,  # keep rows one-to-one with lines; blanks dropped below
            usecols=wanted if skip else None,
        )
    except pd.errors.ParserError as exc:
        raise FileRejected(
            f"Filen kan ikke tolkes som semikolondelt CSV ({exc}). Sjekk at ingen linje har "
            "flere kolonner enn overskriften, og ta ut rapporten på nytt.",
            rule="csv_malformed",
        ) from None
    frame.columns = [_clean_header(c) for c in frame.columns]
    frame = number_lines(frame)
    frame.attrs["skipped_headers"] = skipped
    return frame


def _clean_header(header) -> str:
    return str(header).strip().lstrip("\ufeff").strip()


def column_warning(source: str, file_name: str, header: str, rule: str, message: str) -> Finding:
    """A warning about a whole column of a file (no line)."""
    return Finding(source, file_name, None, header, WARNING, rule, message)


def unknown_column_findings(headers, source: Source, file_name: str) -> list[Finding]:
    """A column the profile does not describe is reported and never read (one home for the rule,
    for every source)."""
    known = source.header_map()
    return [
        column_warning(
            source.name,
            file_name,
            h,
            "column_unknown",
            f"Kolonnen «{h}» er ikke i kildeprofilen og blir ikke lest inn.",
        )
        for h in headers
        if h not in known
    ]


def number_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """Index the rows by their line in the file (the header is line 1) and drop blank lines, so a
    finding's line number is the one a person sees in the file, blank lines or not."""
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return drop_blank_rows(frame)


def drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the rows whose every field is blank (a line of delimiters only), keeping the index
    (each row's line in the file)."""
    if frame.shape[1] == 0:
        return frame

    def blank(column: pd.Series) -> pd.Series:
        return column.astype(str).str.strip().eq("")

    # Only a line whose first field is blank can be blank: look at the others just there.
    candidates = frame[blank(frame.iloc[:, 0]).to_numpy()]
    if candidates.empty:
        return frame
    return frame.drop(index=candidates.index[candidates.apply(blank).all(axis=1).to_numpy()])


def _read_excel(raw: bytes, dialect: Dialect) -> pd.DataFrame:
    try:
        sheets = pd.read_excel(io.BytesIO(raw), sheet_name=None, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise FileRejected(
            f"Excel-filen kan ikke åpnes ({type(exc).__name__}). Lagre den på nytt som .xlsx.",
            rule="excel_unreadable",
        ) from None
    non_empty = {name: df for name, df in sheets.items() if not df.dropna(how="all").empty}
    if len(non_empty) != 1:
        names = ", ".join(non_empty) or "ingen"
        raise FileRejected(
            f"Excel-filen må ha nøyaktig ett ark med data, men har {len(non_empty)} ({names}). "
            "Legg hvert uttrekk i en egen fil.",
            rule="excel_sheet_count",
        )
    frame = next(iter(non_empty.values()))

    # Excel gives real dates and numbers; write them the way the profile's text dialect does so one
    # typing step serves both formats.
    def to_text(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, pd.Timestamp | dt.date):
            return pd.Timestamp(value).strftime(dialect.date_format)
        if isinstance(value, float):
            # All the digits the value has, so a tiny or over-precise number is seen as such by
            # the number check (never rounded to 0 here).
            return f"{value:.15g}".replace(".", dialect.decimal)
        return str(value).strip()

    return number_lines(frame.apply(lambda col: col.map(to_text)).astype(str))


def read_source_file(path: Path, source: Source, profile: Profile) -> SourceFile:
    """Read one file of a source into canonical typed columns, or raise FileRejected."""
    path = Path(path)
    personal = [c.header for c in source.columns.values() if c.personal]
    findings: list[Finding] = []
    left_out = 0
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raw = read_regular_file(path, profile.limits)
        check_workbook(raw, profile.limits)
        raw_frame, encoding = _read_excel(raw, profile.dialect), "xlsx"
        del raw
    else:
        csv_file = read_csv_file(path, profile.dialect, profile.limits, source.name, skip=personal)
        raw_frame, encoding = csv_file.frame, csv_file.encoding
        findings, left_out = csv_file.findings, csv_file.lines_left_out
    skipped = raw_frame.attrs.get("skipped_headers", [])

    raw_frame.columns = [str(c).strip() for c in raw_frame.columns]
    header_map = source.header_map()
    missing = [h for h in source.required_headers if h not in raw_frame.columns]
    if missing:
        raise FileRejected(
            f"Kolonnen «{missing[0]}» mangler"
            + (f" (og {len(missing) - 1} til)" if len(missing) > 1 else "")
            + f". Filen skal ha kolonnene {', '.join(source.required_headers)}; "
            "ta ut rapporten med disse kolonnene og legg den inn igjen.",
            column=missing[0],
            rule="column_missing",
        )
    if raw_frame.empty and not left_out:
        raise FileRejected(
            "Filen har bare overskriftslinjen og ingen rader. Ta ut rapporten på nytt.",
            rule="header_only",
        )

    for header in identity_number_columns(raw_frame):
        column = next((c for c in source.columns.values() if c.header == header), None)
        if column is not None and column.required and not column.personal:
            raise FileRejected(
                f"Kolonnen «{header}» inneholder fødselsnumre. Fødselsnumre skal ikke inn i "
                "statistikken; ta ut rapporten med ressursnummer i stedet.",
                column=header,
                rule="identity_numbers_in_required_column",
            )
        findings.append(
            column_warning(
                source.name,
                path.name,
                header,
                "identity_numbers_dropped",
                f"Kolonnen «{header}» inneholder fødselsnumre og er fjernet før noe "
                "ble lagret. Ta dem ut av rapporten.",
            )
        )
        raw_frame = raw_frame.drop(columns=[header])
    dropped = skipped + [h for h in raw_frame.columns if h in personal]
    findings += unknown_column_findings(raw_frame.columns, source, path.name)
    keep = [h for h in raw_frame.columns if h in header_map and h not in personal]
    frame = raw_frame[keep].rename(columns=header_map)
    frame.insert(0, "source_line", frame.index)  # the line in the file (see number_lines)
    frame = frame.reset_index(drop=True)
    typed, type_findings, value_codes = type_columns(frame, source, profile.dialect, path.name)
    findings.extend(type_findings)
    return SourceFile(
        source=source.name,
        path=path,
        encoding=encoding,
        rows_read=len(frame) + left_out,
        frame=typed,
        findings=findings,
        dropped_personal_columns=dropped,
        value_codes=value_codes,
    )


def identity_number_columns(frame: pd.DataFrame, sample: int = 2000) -> list[str]:
    """Headers of columns that hold Norwegian national identity numbers (fødselsnummer or
    D-nummer: 11 digits with valid check digits), whatever the header says.

    A column qualifies when most non-empty values are 11 digits and most of a sample of its
    distinct values pass python-stdnum's check-digit validation.
    """
    from stdnum.no import fodselsnummer

    found = []
    for header in frame.columns:
        values = frame[header].astype(str).str.strip()
        # The length first, on the whole column without copying it: most columns are settled
        # without a regular expression.
        lengths = values.str.len()
        filled = lengths.ne(0)
        if not filled.any() or lengths.eq(11).sum() / filled.sum() < 0.5:
            continue
        values = values[filled]
        eleven = values.str.fullmatch(r"\d{11}")
        if eleven.mean() < 0.5:
            continue
        distinct = values[eleven].drop_duplicates().head(sample)
        if distinct.map(fodselsnummer.is_valid).mean() >= 0.8:
            found.append(header)
    return found


def parse_numbers(values: pd.Series, dialect: Dialect, decimals: int | None = None) -> pd.Series:
    """'1 234,5' -> 1234.5, vectorised; unparseable -> NaN (the caller reports it).

    Only plain decimal numbers count: '1e-300' or '5E1' (exponent notation, which would pass a
    range check and be stored as 0 or 50) and, with `decimals`, a value with more decimals than
    that are not numbers here."""
    text = values.str.strip()
    for space in [dialect.thousands, *_NON_BREAKING_SPACES]:
        if space:
            text = text.str.replace(space, "", regex=False)
    if dialect.decimal != ".":
        text = text.str.replace(dialect.decimal, ".", regex=False)
    places = "+" if decimals is None else f"{{1,{decimals}}}"
    plain = text.str.fullmatch(r"[-+]?\d+" + (rf"(?:\.\d{places})?" if decimals != 0 else ""))
    text = text.where(plain.fillna(False).astype(bool) & ~text.isin(MISSING_MARKERS))
    return pd.to_numeric(text, errors="coerce")


def parse_dates(values: pd.Series, dialect: Dialect) -> pd.Series:
    """'03.02.2014' -> 2014-02-03 as datetime64 (midnight), vectorised; unparseable -> NaT.

    Kept as datetime64 all the way to DuckDB's DATE columns: Python date objects cost a
    conversion at every step (validation, duplicate check, staging), seconds at country scale."""
    text = values.str.strip()
    return pd.to_datetime(
        text.where(~text.isin(MISSING_MARKERS)), format=dialect.date_format, errors="coerce"
    )


def _number_wanted(kind: str, decimals: int | None, decimal: str) -> str:
    if kind == "integer" or decimals == 0:
        return "er ikke et heltall"
    example = f"12{decimal}5"
    if decimals is None:
        return f"er ikke et tall på formen {example} (uten eksponent som 1e-3)"
    return f"er ikke et tall på formen {example} med høyst {decimals} desimaler (uten eksponent)"


def distinct_values(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the column's distinct values, and those values (missing as "").

    A column of a million rows holds a few hundred dates or percentages: stripping, parsing and
    judging each distinct value once, then spreading the results back (spread), gives what the
    whole column would give, its dtype included, in a fraction of the time."""
    codes, distinct = pd.factorize(values.fillna(""), use_na_sentinel=False)
    return codes, pd.Series(distinct)


def spread(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Results computed per distinct value (distinct_values) as one per row."""
    return pd.Series(per_distinct.array.take(codes), index=index)


def type_columns(
    frame: pd.DataFrame, source: Source, dialect: Dialect, file_name: str
) -> tuple[pd.DataFrame, list[Finding], dict[str, np.ndarray]]:
    """Type each canonical column by the profile; a value that does not parse becomes missing and
    gets a finding naming file, line and column (the row itself is judged by validation). Also
    gives each typed column's value codes (SourceFile.value_codes)."""
    findings: list[Finding] = []
    value_codes: dict[str, np.ndarray] = {}
    out = frame.copy()
    for column in source.columns.values():
        if column.name not in out.columns:
            continue
        codes, distinct = distinct_values(out[column.name])
        text = distinct.str.strip()
        if column.type == "text":
            text = text.where(~text.isin(MISSING_MARKERS), None)
            out[column.name] = spread(text, codes, out.index)
            value_codes[column.name] = _typed_codes(text, codes)
            continue
        if column.type == "date":
            parsed = parse_dates(text, dialect)
            example = "dd.mm.åååå" if dialect.date_format == "%d.%m.%Y" else dialect.date_format
            what = f"er ikke en gyldig dato på formen {example}"
        else:
            decimals = 0 if column.type == "integer" else column.decimals
            parsed = parse_numbers(text, dialect, decimals)
            what = _number_wanted(column.type, decimals, dialect.decimal)
        bad = (parsed.isna() & ~text.isin(MISSING_MARKERS)).to_numpy()[codes]
        findings += line_findings(
            source.name,
            file_name,
            out["source_line"].to_numpy()[bad],
            column.header,
            ERROR,
            f"{column.type}_unparseable",
            f"Verdien i «{column.header}» {what}. Rett verdien i fagsystemet og eksporter på nytt.",
        )
        out[column.name] = spread(parsed, codes, out.index)
        out[f"_{column.name}_invalid"] = bad
        value_codes[column.name] = _typed_codes(parsed, codes)
    return out, findings, value_codes


def _typed_codes(per_distinct: pd.Series, codes: np.ndarray) -> np.ndarray:
    """Each row's typed value as a number (equal values, missing ones alike, equal numbers)."""
    typed, _ = pd.factorize(per_distinct, use_na_sentinel=False)
    return typed[codes]
