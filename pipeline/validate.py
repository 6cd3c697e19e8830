"""Validation of one typed file: file-level expectations reject it whole, row-level ones
quarantine rows with file, line, column and a reason; the rest loads.

The rules live in schemas/expectations/<source>.yaml (Great Expectations). Two checks stay here
because GX cannot express them: a value that did not parse as its type (the reader flags it), and
an exact repeat of an earlier row (GX's uniqueness flags every copy; we keep the first).
"""

from __future__ import annotations

import pandas as pd

from pipeline.expectations import EARLIEST_PLAUSIBLE_DATE, check_file, check_rows
from pipeline.findings import ERROR, Finding
from pipeline.profile import Profile
from pipeline.read import SourceFile


def suite_parameters(profile: Profile, known_units: set[str] | None) -> dict:
    """The run-time values the suites refer to as $name. (An export that collapsed against the
    older exports of its period is judged across files: pipeline.steps.replacement.)"""
    return {
        "known_units": sorted(known_units) if known_units is not None else None,
        "absence_codes": sorted(profile.absence_codes),
        "earliest_date": pd.Timestamp(EARLIEST_PLAUSIBLE_DATE),
    }


def validate_file(
    sf: SourceFile,
    profile: Profile,
    known_units: set[str] | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Split a file's rows into those that load and findings for those that do not.

    Raises FileRejected when a file-level expectation fails. Every quarantined row has at least
    one ERROR finding, so no row disappears without a trace.
    """
    source = profile.source(sf.source)
    df = sf.frame
    params = suite_parameters(profile, known_units)
    check_file(df, source, params)

    findings: list[Finding] = []
    bad = pd.Series(False, index=df.index)
    line_index = pd.Index(df["source_line"])

    def quarantine(lines: list[int], header: str | None, rule: str, message: str) -> None:
        nonlocal bad
        mask = pd.Series(line_index.isin(lines), index=df.index) & ~bad
        for line in df.loc[mask, "source_line"]:
            findings.append(
                Finding(sf.source, sf.path.name, int(line), header, ERROR, rule, message)
            )
        bad = bad | mask

    # Values the reader could not type already have their finding; their rows do not load.
    for column in source.columns.values():
        flag = f"_{column.name}_invalid"
        if flag in df.columns:
            bad = bad | df[flag]
    for column in source.columns.values():
        if column.required and not column.allow_empty and column.name in df.columns:
            missing = df.loc[df[column.name].isna() & ~bad, "source_line"].tolist()
            quarantine(
                missing,
                column.header,
                "value_missing",
                f"«{column.header}» mangler. Fyll inn verdien i fagsystemet og eksporter på nytt.",
            )

    for failure in check_rows(df[~bad], source, params):
        header = source.columns[failure.column].header
        quarantine(failure.lines, header, failure.rule, failure.message)

    value_columns = [c for c in df.columns if c != "source_line" and not c.startswith("_")]
    repeats = df.loc[df.duplicated(subset=value_columns, keep="first") & ~bad, "source_line"]
    quarantine(
        repeats.tolist(),
        None,
        "duplicate_row",
        "Raden er en nøyaktig kopi av en tidligere rad i samme fil og er lest inn bare én gang.",
    )

    good = df.loc[~bad, [c for c in df.columns if not c.startswith("_")]].reset_index(drop=True)
    return good, findings
