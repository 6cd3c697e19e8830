"""Input files as bytes, checked before anything parses them.

Exports land in folders people and systems write to. Before a parser sees a byte:

- only regular files are read, never through a symbolic link, never a folder, a named pipe or a
  device (a pipe would block the night forever, a link could read a file outside data/raw);
- the size, the header's columns and the number of lines are held against the profile's limits,
  and every line's field count against the header's, on the raw bytes (numpy, no Python loop over
  lines): a line with a million extra «;» is one quarantined line, not minutes of parsing;
- the encoding is decided per line: a Windows-1252 line inside a UTF-8 file (or the reverse) is
  quarantined with its line number instead of turning the whole file into mojibake, and a UTF-8
  byte-order mark in the middle of a file (two exports pasted together) is removed and reported;
- an Excel workbook's zip directory and its sheets' cell references are checked before the Excel
  reader allocates anything (one cell at XFD1048576 would make it allocate 512 GiB).

Line numbers are those of the file as a person sees it (the header is line 1), the same numbers
pandas' rows get in read.number_lines: a line left out here is blanked, not removed, so every
later line keeps its number.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
from dataclasses import dataclass

import numpy as np

from pipeline.errors import FileRejected
from pipeline.findings import ERROR, WARNING, Finding, line_findings, norwegian_count
from pipeline.profile import Dialect, Limits

# Which entries of a folder are files, and reading one: in pipeline.rawfolder (without numpy,
# for a quiet night's retention check); named here too, where the readers have always found them.
from pipeline.rawfolder import (  # noqa: F401
    OddEntry,
    folder_files,
    is_regular_file,
    read_regular_file,
)

BOM = b"\xef\xbb\xbf"


CHUNK = 16 * 1024 * 1024  # bytes scanned at a time: temporary arrays stay small on big files


_NO_LINES = np.zeros(0, dtype=np.int64)


# --- the lines of a CSV file, on the raw bytes --------------------------------------------------


@dataclass(frozen=True)
class Lines:
    """The records of a CSV file: where each ends and how many fields it has (0 = blank line).

    A record is a line, except that a line break inside a quoted field continues the record
    (as pandas reads it). Record i is line i + 1 of the file."""

    ends: np.ndarray  # byte offset of each record's terminating b"\\n" (or the file's length)
    fields: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate(([0], self.ends[:-1] + 1)).astype(np.int64)

    def records_at(self, offsets) -> np.ndarray:
        """The records holding these byte offsets (sorted, each once)."""
        return np.unique(np.searchsorted(self.ends, np.asarray(offsets, dtype=np.int64)))


def _positions(data: np.ndarray, byte: int, at_least: bool = False) -> np.ndarray:
    """Offsets of one byte value (or, with at_least, of every byte from it up), scanned in
    chunks (no file-sized temporary array)."""
    parts = [
        np.flatnonzero(
            data[start : start + CHUNK] >= byte if at_least else data[start : start + CHUNK] == byte
        )
        + start
        for start in range(0, len(data), CHUNK)
    ]
    return np.concatenate(parts) if parts else _NO_LINES


def _line_ends(raw: bytes, data: np.ndarray) -> np.ndarray:
    ends = _positions(data, 10)
    if raw and not raw.endswith(b"\n"):
        ends = np.append(ends, len(raw))
    return ends


def record_structure(raw: bytes, delimiter: str) -> Lines:
    """Each record's end and field count. Without quotes in the file, every «;» separates two
    fields (counted with numpy per chunk); with quotes, Python's csv module (C) counts, since a
    quoted field may hold the delimiter or a line break."""
    data = np.frombuffer(raw, dtype=np.uint8)
    if b'"' in raw:
        return _quoted_structure(raw, data, delimiter)
    ends = _line_ends(raw, data)
    # Delimiters before each line's end, chunk by chunk: the delimiters' offsets and the line
    # ends are both sorted, so one binary search per line counts them.
    before_end = np.empty(len(ends), dtype=np.int64)
    seen, byte = 0, ord(delimiter)
    for start in range(0, len(data), CHUNK):
        offsets = np.flatnonzero(data[start : start + CHUNK] == byte) + start
        first, last = np.searchsorted(ends, [start, start + CHUNK])
        before_end[first:last] = seen + np.searchsorted(offsets, ends[first:last])
        seen += len(offsets)
    if len(ends) and ends[-1] >= len(data):  # the virtual end of a last line without "\n"
        before_end[-1] = seen
    counts = np.diff(before_end, prepend=0)
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    length = ends - starts
    carriage = data[np.minimum(starts, max(len(data) - 1, 0))] == 13 if len(data) else length == 0
    blank = (length == 0) | ((length == 1) & carriage)
    return Lines(ends, np.where(blank, 0, counts + 1))


def _quoted_structure(raw: bytes, data: np.ndarray, delimiter: str) -> Lines:
    # Latin-1 maps each byte to one character, so positions and line breaks stay those of the
    # bytes whatever the file's real encoding.
    reader = csv.reader(io.StringIO(raw.decode("latin-1"), newline=""), delimiter=delimiter)
    fields, last_lines = [], []
    try:
        for row in reader:
            fields.append(len(row))
            last_lines.append(reader.line_num)
    except csv.Error:
        raise FileRejected(
            'Filen har et anførselstegn («"») som aldri avsluttes, så resten av filen kan ikke '
            "deles i felt. Fjern anførselstegnet og eksporter på nytt.",
            rule="csv_malformed",
        ) from None
    line_ends = _line_ends(raw, data)
    # The csv module also breaks lines at a lone "\r"; such a file's line numbers are not the
    # ones pandas gives, but no index may run past the file.
    last = np.minimum(np.asarray(last_lines, dtype=np.int64), len(line_ends)) - 1
    ends = line_ends[last] if last_lines else _NO_LINES
    return Lines(ends, np.asarray(fields, dtype=np.int64))


def blank_records(raw: bytes, lines: Lines, records: np.ndarray) -> bytes:
    """The bytes with these records emptied (their line breaks kept, so later lines keep their
    numbers); a blank line is no row to the reader."""
    if not len(records):
        return raw
    starts, ends = lines.starts, lines.ends
    pieces, previous = [], 0
    for record in records:
        pieces.append(raw[previous : starts[record]])
        previous = int(ends[record])
    pieces.append(raw[previous:])
    return b"".join(pieces)


# --- the encoding, line by line -----------------------------------------------------------------


# A byte sequence that is UTF-8 for a non-ASCII letter. Windows-1252 text practically never has
# one (it would read as «Ã¸»-style mojibake): its presence says the file was meant to be UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _has_utf8_sequence(raw: bytes) -> bool:
    """Whether _UTF8_SEQUENCE occurs in the bytes: a lead byte followed by a continuation byte.
    Looks only at the bytes from 0xC2 up (numpy; a regular expression walks every byte of a
    Windows-1252 file, a quarter of a second on a country's absences)."""
    data = np.frombuffer(raw, dtype=np.uint8)
    leads = _positions(data, 0xC2, at_least=True)
    leads = leads[(data[leads] <= 0xF4) & (leads + 1 < len(data))]
    following = data[leads + 1]
    return bool(((following >= 0x80) & (following <= 0xBF)).any())


_undecodable = threading.local()


def _note_undecodable(error: UnicodeDecodeError) -> tuple[str, int]:
    _undecodable.offsets.append(error.start)
    return "", error.end


codecs.register_error("sickleave-note-undecodable", _note_undecodable)


def _undecodable_offsets(raw: bytes) -> list[int]:
    _undecodable.offsets = []
    raw.decode("utf-8", errors="sickleave-note-undecodable")
    return _undecodable.offsets


def _is_utf8(name: str) -> bool:
    return codecs.lookup(name).name == "utf-8"


def line_encoding(
    raw: bytes, lines: Lines, encodings: tuple[str, ...]
) -> tuple[str, np.ndarray, str, str | None]:
    """The file's encoding, the records written in another one with the finding's message, and
    the decoded text when no record is in another encoding (decoding twice costs seconds).

    UTF-8 is tried first (Windows-1252 accepts almost any byte). A file that is not all UTF-8 but
    has UTF-8 letters is mixed: the encoding most non-ASCII lines are in wins, and the lines in
    the other are quarantined (never decoded wrongly). Without UTF-8 letters it is the fallback
    (Windows-1252) file it looks like."""
    utf8 = next((e for e in encodings if _is_utf8(e)), None)
    fallbacks = [e for e in encodings if e != utf8]
    if utf8 is not None:
        try:
            return "utf-8", _NO_LINES, "", raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if utf8 is None or not fallbacks or not _has_utf8_sequence(raw):
        for encoding in fallbacks:
            try:
                return encoding, _NO_LINES, "", raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise unknown_encoding(encodings)
    not_utf8 = lines.records_at(_undecodable_offsets(raw))
    data = np.frombuffer(raw, dtype=np.uint8)
    non_ascii = lines.records_at(_positions(data, 128, at_least=True))
    fallback = fallbacks[0]
    if 2 * len(not_utf8) <= len(non_ascii):
        return (
            "utf-8",
            not_utf8,
            (
                f"Linjen er ikke UTF-8 som resten av filen (den ser ut til å være lagret som "
                f"{fallback}), så bokstaver som æ, ø og å ville blitt feil. Raden er holdt "
                "utenfor; lagre hele filen i ett tegnsett og legg den inn igjen."
            ),
            None,
        )
    utf8_lines = lines.records_at([m.start() for m in _UTF8_SEQUENCE.finditer(raw)])
    return (
        fallback,
        utf8_lines,
        (
            f"Linjen er lagret som UTF-8, mens resten av filen er {fallback}, så bokstaver som "
            "æ, ø og å ville blitt feil. Raden er holdt utenfor; lagre hele filen i ett tegnsett "
            "og legg den inn igjen."
        ),
        None,
    )


def unknown_encoding(encodings: tuple[str, ...]) -> FileRejected:
    return FileRejected(
        f"Filen kan ikke leses med tegnsettene {', '.join(encodings)}. Lagre den som UTF-8.",
        rule="encoding_unknown",
    )


def refuse_non_text(raw: bytes) -> None:
    """Reject what is not a text file at all, before any decoding is tried."""
    if not raw.strip():
        raise FileRejected("Filen er tom. Ta ut rapporten på nytt.", rule="file_empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            "Filen er lagret som UTF-16 (Unicode). Lagre den på nytt som CSV (semikolondelt) "
            "i UTF-8 eller Windows-1252 og legg den inn igjen.",
            rule="encoding_utf16",
        )
    if b"\x00" in raw[:4096] or raw.startswith(b"%PDF") or raw.startswith(b"PK\x03\x04"):
        raise FileRejected(
            "Filen er ikke en tekstfil (CSV). Eksporter rapporten som semikolondelt CSV og "
            "legg den inn igjen.",
            rule="not_text",
        )


# --- the whole check for one CSV file -----------------------------------------------------------


@dataclass
class CheckedText:
    """A CSV file's text ready for the parser: every line has the header's field count and one
    encoding; what was left out or changed on the way is in the findings."""

    text: str
    encoding: str
    findings: list[Finding]
    lines_left_out: int  # data lines blanked here (each has an ERROR finding)


def checked_text(
    raw: bytes, dialect: Dialect, limits: Limits, source: str, file_name: str
) -> CheckedText:
    """Check a CSV file's bytes against the profile before parsing; FileRejected when the file
    cannot be used as a whole."""
    refuse_non_text(raw)
    leading_bom = raw.startswith(BOM)
    if leading_bom:
        raw = raw[len(BOM) :]
        refuse_non_text(raw)  # nothing but the mark
    lines = record_structure(raw, dialect.delimiter)
    findings: list[Finding] = []
    if BOM in raw:
        offsets = [m.start() for m in re.finditer(re.escape(BOM), raw)]
        findings += line_findings(
            source,
            file_name,
            lines.records_at(offsets) + 1,
            None,
            WARNING,
            "bom_inside_file",
            "Linjen har et usynlig byte-order-merke (BOM) midt i filen, som når to filer er satt "
            "sammen; merket er fjernet og raden lest. Sjekk at filen ikke har to "
            "overskriftslinjer.",
        )
        raw = raw.replace(BOM, b"")
        lines = record_structure(raw, dialect.delimiter)
    wrong_fields = _check_shape(lines, limits)
    findings += line_findings(
        source,
        file_name,
        wrong_fields + 1,
        None,
        ERROR,
        "field_count",
        f"Linjen har et annet antall felt enn overskriftslinjen ({int(lines.fields[0])}), "
        f"vanligvis fordi en fritekst inneholder «{dialect.delimiter}». Raden er holdt utenfor; "
        "rett teksten i fagsystemet og eksporter på nytt.",
    )
    encoding, other_encoding, message, text = line_encoding(raw, lines, dialect.encodings)
    if len(other_encoding) and other_encoding[0] == 0:
        raise FileRejected(
            "Overskriftslinjen er lagret i et annet tegnsett enn resten av filen. Lagre hele "
            "filen i ett tegnsett (UTF-8) og legg den inn igjen.",
            rule="encoding_mixed",
        )
    other_encoding = np.setdiff1d(other_encoding, wrong_fields)
    findings += line_findings(
        source, file_name, other_encoding + 1, None, ERROR, "encoding_mixed", message
    )
    left_out = np.union1d(wrong_fields, other_encoding)
    if text is None or len(left_out):
        try:
            text = blank_records(raw, lines, left_out).decode(encoding)
        except UnicodeDecodeError:
            raise unknown_encoding(dialect.encodings) from None
    if leading_bom and _is_utf8(encoding):
        encoding = "utf-8-sig"
    findings.sort(key=lambda f: (f.line or 0, f.rule))
    return CheckedText(text, encoding, findings, len(left_out))


def _check_shape(lines: Lines, limits: Limits) -> np.ndarray:
    """Hold the header's columns and the line count against the limits; return the data records
    whose field count is not the header's. Most lines off means the file is, not the lines."""
    columns = int(lines.fields[0]) if len(lines.fields) else 0
    if columns == 0:
        raise FileRejected(
            "Første linje er tom; overskriftslinjen skal stå først. Ta ut rapporten på nytt.",
            rule="header_missing",
        )
    if columns > limits.max_columns:
        raise FileRejected(
            f"Overskriftslinjen har {norwegian_count(columns)} kolonner, mer enn grensen på "
            f"{limits.max_columns} i kildeprofilen (limits.max_columns). Ta ut rapporten med "
            "bare kolonnene som trengs.",
            rule="too_many_columns",
        )
    data_lines = int(np.count_nonzero(lines.fields[1:]))
    if data_lines > limits.max_rows:
        raise FileRejected(
            f"Filen har {norwegian_count(data_lines)} linjer, mer enn grensen på "
            f"{norwegian_count(limits.max_rows)} i kildeprofilen (limits.max_rows). Del "
            "uttrekket i flere filer, eller øk grensen hvis filen er riktig.",
            rule="too_many_rows",
        )
    wrong = np.flatnonzero((lines.fields != columns) & (lines.fields != 0))
    if 2 * len(wrong) > data_lines:
        raise FileRejected(
            f"De fleste linjene har et annet antall felt enn overskriftslinjen ({columns}). "
            "Sjekk at overskriften hører til dataene og at filen er semikolondelt, og ta ut "
            "rapporten på nytt.",
            rule="field_count",
        )
    return wrong.astype(np.int64)
