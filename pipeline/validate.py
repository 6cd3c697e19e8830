"""Validation of one typed file: file-level expectations reject it whole, row-level ones
quarantine rows with file, line, column and a reason; the rest loads.

The rules live in schemas/expectations/<source>.yaml (Great Expectations). Two checks stay here
because GX cannot express them: a value that did not parse as its type (the reader flags it), and
an exact repeat of an earlier row (GX's uniqueness flags every copy; we keep the first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.expectations import EARLIEST_PLAUSIBLE_DATE, check_file, check_rows
from pipeline.findings import ERROR, Finding, line_findings
from pipeline.follow_up import activity_codes
from pipeline.profile import Profile
from pipeline.read import SourceFile


def suite_parameters(profile: Profile, known_units: set[str] | None) -> dict:
    """The run-time values the suites refer to as $name. (An export that collapsed against the
    older exports of its period is judged across files: pipeline.replacement.replacement.)"""
    return {
        "known_units": sorted(known_units) if known_units is not None else None,
        "absence_codes": sorted(profile.absence_codes),
        "follow_up_activities": activity_codes(profile),
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

    def quarantine(lines, header: str | None, rule: str, message: str) -> None:
        nonlocal bad
        mask = pd.Series(line_index.isin(lines), index=df.index) & ~bad
        lines_hit = df.loc[mask, "source_line"].to_numpy()
        findings.extend(
            line_findings(sf.source, sf.path.name, lines_hit, header, ERROR, rule, message)
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

    # Repeats first: a million copies of one row are one finding and never reach the suite.
    value_columns = [c for c in df.columns if c != "source_line" and not c.startswith("_")]
    repeated = repeated_rows(df, value_columns, sf.value_codes)
    repeats = df.loc[repeated & ~bad.to_numpy(), "source_line"]
    quarantine(
        repeats.to_numpy(),
        None,
        "duplicate_row",
        "Raden er en nøyaktig kopi av en tidligere rad i samme fil og er lest inn bare én gang.",
    )

    for column, rule, message, outside in date_window_failures(df[~bad], source, profile):
        quarantine(outside, column, rule, message)

    for failure in check_rows(df[~bad], source, params):
        header = source.columns[failure.column].header
        quarantine(failure.lines, header, failure.rule, failure.message)

    good = df.loc[~bad, [c for c in df.columns if not c.startswith("_")]].reset_index(drop=True)
    return good, findings


def repeated_rows(
    df: pd.DataFrame, columns: list[str], value_codes: dict[str, np.ndarray] | None
) -> np.ndarray:
    """Rows whose values in these columns repeat an earlier row's (DataFrame.duplicated with
    keep="first"), from the reader's value codes when it has them for every column: one number
    per row instead of hashing every column's values again."""
    if not columns or not value_codes or any(c not in value_codes for c in columns) or df.empty:
        return df.duplicated(subset=columns, keep="first").to_numpy()
    key, size = np.zeros(len(df), dtype=np.int64), 1
    for column in columns:
        codes = value_codes[column]
        count = int(codes.max()) + 1
        if size * count >= 2**62:  # renumber the combinations seen so far before they overflow
            key = pd.factorize(key)[0].astype(np.int64)
            size = int(key.max()) + 1
        key, size = key * count + codes, size * count
    return pd.Series(key).duplicated(keep="first").to_numpy()


def date_window_failures(df: pd.DataFrame, source, profile: Profile) -> list[tuple]:
    """Rows with a date outside the source's plausible window (schemas/profiles: sources.<name>.
    dates), or a from-to period longer than it allows: (header, rule, message, lines) per
    column. A year typed as 1900 or 2109 is a typo that would stretch every report over a
    century; the row is quarantined and the rest of the file loads."""
    window = source.dates
    failures = []
    earliest, latest = pd.Timestamp(window.earliest), pd.Timestamp(window.latest)
    dates = [c for c in source.columns.values() if c.type == "date" and c.name in df.columns]
    for column in dates:
        values = df[column.name]
        outside = values.notna() & ((values < earliest) | (values > latest))
        if outside.any():
            failures.append(
                (
                    column.header,
                    "date_outside_window",
                    f"«{column.header}» ligger utenfor perioden kildeprofilen godtar "
                    f"({window.earliest:%d.%m.%Y}–{window.latest:%d.%m.%Y}); det er trolig en "
                    "skrivefeil i året. Rett datoen i fagsystemet og eksporter på nytt.",
                    df.loc[outside, "source_line"].to_numpy(),
                )
            )
    if window.longest_days and {"from_date", "to_date"} <= set(df.columns):
        span = (df["to_date"] - df["from_date"]).dt.days
        too_long = span > window.longest_days
        if too_long.any():
            header = source.columns["to_date"].header
            failures.append(
                (
                    header,
                    "period_too_long",
                    f"Perioden fra «{source.columns['from_date'].header}» til «{header}» er over "
                    f"{window.longest_days} dager, lenger enn kildeprofilen godtar; det er trolig "
                    "en skrivefeil i året. Rett datoen i fagsystemet og eksporter på nytt.",
                    df.loc[too_long, "source_line"].to_numpy(),
                )
            )
    return failures
