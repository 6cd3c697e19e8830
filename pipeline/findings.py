"""Validation findings: one record per problem found in an input, with where and why.

A finding never carries personal data: it names the file, the line and the column, and says what
was wrong in words an HR officer can act on, but it does not repeat the offending value when that
value could identify a person (an identity number, a name, a resource number).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from pipeline.vocabulary import norwegian_count

if TYPE_CHECKING:  # imported where used: a quiet night needs Finding, not pandas
    import pandas as pd

ERROR = "error"  # the row or file was not loaded
WARNING = "warning"  # loaded, but a person should look at it

FINDING_COLUMNS = ["source", "file", "line", "column", "severity", "rule", "message"]


@dataclass(frozen=True)
class Finding:
    source: str  # e.g. "employments", "absences", "organisation", "nav_diagnosis"
    file: str  # file name as it landed in data/raw
    line: int | None  # 1-based line in the file (header is line 1); None for file-level findings
    column: str | None  # header text as it appears in the file
    severity: str  # ERROR or WARNING
    rule: str  # stable machine-readable id, e.g. "date_unparseable"
    message: str  # one sentence in Norwegian saying what is wrong and what to do
    extra: dict = field(default_factory=dict, compare=False)

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("extra")
        return row


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """The findings as a DataFrame with the stable column order (empty frame when none)."""
    import pandas as pd

    return pd.DataFrame([f.as_row() for f in findings], columns=FINDING_COLUMNS)


# A rule broken by more lines than this in one file is one finding with the count and the first
# lines: a million copies of one row must cost one finding, not a million (the report, the log
# and validation_findings stay readable, and building them stays cheap).
LINES_PER_RULE = 20
LINES_SHOWN = 10


def line_findings(
    source: str,
    file: str,
    lines,
    column: str | None,
    severity: str,
    rule: str,
    message: str,
) -> list[Finding]:
    """Findings for the lines (in file order; a list, array or Series) that broke one rule: one
    per line, or, beyond LINES_PER_RULE lines, one finding at the first line that says how many
    lines and which come first (extra: count, lines)."""
    import numpy as np

    count = len(lines)
    first = [int(line) for line in np.asarray(lines)[: LINES_PER_RULE + 1]]
    if count <= LINES_PER_RULE:
        return [Finding(source, file, line, column, severity, rule, message) for line in first]
    shown = ", ".join(str(line) for line in first[:LINES_SHOWN])
    summary = f" Gjelder {norwegian_count(count)} linjer (linje {shown} …)."
    extra = {"count": count, "lines": first[:LINES_SHOWN]}
    return [Finding(source, file, first[0], column, severity, rule, message + summary, extra)]
