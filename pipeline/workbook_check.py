"""An Excel export checked before the reader opens it: the zip's unpacked size and each sheet's
extent (columns and rows), so a zip bomb or a sheet of a million rows is refused with a sentence.
"""

from __future__ import annotations

import io
import re
import zipfile

from pipeline.errors import FileRejected
from pipeline.findings import norwegian_count
from pipeline.profile import Limits

_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})([0-9]{1,8})"')


_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="[A-Z]*[0-9]*:?([A-Z]{1,4})([0-9]{1,8})"')


_OVERLAP = 256  # bytes carried between chunks so a cell reference cut in two is still seen


def column_number(letters: bytes | str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    number = 0
    for letter in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_workbook(raw: bytes, limits: Limits) -> None:
    """Reject a workbook the Excel reader must not be given: not a zip, parts that unpack beyond
    the limit (a zip bomb), or a sheet reaching beyond the profile's rows, columns or cells (the
    reader allocates the whole rectangle up to the farthest cell). Reads each part through
    zipfile, which stops at the size the directory declares and checks it (CRC)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        with archive:
            parts = archive.infolist()
            unpacked = sum(p.file_size for p in parts)
            if unpacked > limits.max_excel_uncompressed_bytes:
                raise _workbook_too_large(unpacked, limits)
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    _check_sheet_extent(archive, part, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise FileRejected(
            f"Excel-filen er skadet og kan ikke åpnes ({exc}). Lagre den på nytt som .xlsx.",
            rule="excel_unreadable",
        ) from None


def _workbook_too_large(unpacked: int, limits: Limits) -> FileRejected:
    return FileRejected(
        f"Excel-filen pakkes ut til {norwegian_count(unpacked // 2**20)} MB, mer enn grensen på "
        f"{norwegian_count(int(limits.max_excel_uncompressed_mb))} MB i kildeprofilen "
        "(limits.max_excel_uncompressed_mb). Lagre uttrekket som semikolondelt CSV i stedet.",
        rule="excel_too_large",
    )


def _check_sheet_extent(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: Limits) -> None:
    rows = columns = 0
    carry = b""
    with archive.open(part) as sheet:
        first = True
        while chunk := sheet.read(1024 * 1024):
            text = carry + chunk
            if first and (dimension := _DIMENSION.search(text)):
                _check_extent(column_number(dimension[1]), int(dimension[2]), limits)
            first = False
            letters, numbers = set(), set()
            for column, row in _CELL_REF.findall(text):
                letters.add(column)
                numbers.add(row)
            if letters:
                columns = max(columns, max(column_number(c) for c in letters))
                rows = max(rows, max(int(r) for r in numbers))
                _check_extent(columns, rows, limits)
            carry = text[-_OVERLAP:]


def _check_extent(columns: int, rows: int, limits: Limits) -> None:
    if (
        columns > limits.max_columns
        or rows > limits.max_rows + 1
        or (columns * rows > limits.max_excel_cells)
    ):
        raise FileRejected(
            f"Arket i Excel-filen strekker seg til rad {norwegian_count(rows)} og kolonne "
            f"{norwegian_count(columns)}, mer enn grensene i kildeprofilen ({limits.max_columns} "
            f"kolonner, {norwegian_count(limits.max_excel_cells)} celler). Slett innhold langt "
            "utenfor tabellen (for eksempel en celle nederst til høyre) og lagre på nytt.",
            rule="excel_too_large",
        )
