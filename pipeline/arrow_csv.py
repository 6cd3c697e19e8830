"""The fast way to parse a checked CSV export: pyarrow's CSV reader (C++, several threads) on the
text as UTF-8, for the plain files an HR system writes (no quotes, one line per row).

It gives exactly what read.read_csv_text gives through pandas, or nothing (None), and then the
caller parses with pandas as before:

- every value as text ("" for an empty field), headers as they are (read cleans them);
- the personal columns (`skip`) are never converted, as pandas' usecols leaves them;
- each row indexed by its line in the file, blank lines left out but counted, so a finding names
  the line a person sees.

Anything outside the plain case goes to pandas: quotes (a quoted field may hold the delimiter or
a line break), a lone carriage return (a line break to the parsers, not to the line checks of
pipeline/rawfile.py), an empty or repeated header, or rows the line count does not expect.
"""

from __future__ import annotations

import io
from collections.abc import Collection

import numpy as np
import pandas as pd


def data_line_numbers(data: bytes) -> np.ndarray:
    """The line number (the header is line 1) of every non-blank line after the header, in a
    text with "\\n" or "\\r\\n" line ends: the rows a CSV reader that skips blank lines gives."""
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(data) and not data.endswith(b"\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    carriage = np.zeros(len(ends), dtype=bool)
    single = length == 1
    carriage[single] = raw[starts[single]] == 13
    blank = (length == 0) | carriage
    numbers = np.arange(1, len(ends) + 1, dtype=np.int64)
    return numbers[~blank][1:]  # the header is the first non-blank line (rawfile checks it)


def read_plain_csv(
    text: str, delimiter: str, header: list[str], clean, skip: Collection[str]
) -> pd.DataFrame | None:
    """The rows of a plain CSV text as text columns indexed by line, or None when pandas must
    parse it. `header` is the first line's fields as written, `clean` the header cleaning."""
    if '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    names = [clean(h) for h in header]
    if "" in names or len(set(header)) != len(header) or len(set(names)) != len(names):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = text.encode("utf-8")
    lines = data_line_numbers(data)
    wanted = [raw for raw, name in zip(header, names, strict=True) if name not in skip]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                include_columns=wanted,
                strings_can_be_null=False,
                null_values=[],
            ),
        )
    except pa.ArrowInvalid:
        return None  # pandas says what is wrong, in the reader's words
    del data
    if table.num_rows != len(lines):
        return None
    frame = table.to_pandas()
    frame.index = pd.Index(lines)
    return frame
