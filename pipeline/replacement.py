"""The replacement rule: which rows of older exports a newer export of the same source replaces."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.archive import as_utc
from pipeline.expectations import COLLAPSE_SHARE
from pipeline.findings import ERROR, Finding
from pipeline.run_context import LoadedFile


def export_period(lf: LoadedFile, date_column: str | None) -> tuple | None:
    """The period an export covers: the range of its rows' dates (first, last), or None."""
    if date_column is None or lf.frame is None:
        return None
    dates = lf.frame[date_column].dropna()
    return (dates.min(), dates.max()) if len(dates) else None


def newest_last(files: list[LoadedFile], date_column: str | None) -> list[LoadedFile]:
    """Files of one source from oldest to newest: by when the archive first saw their content
    (its record), then by the period they cover (the one reaching later is newer), and only
    for files equal in both by name, so a name alone never decides which export is newer."""

    def newness(lf: LoadedFile):
        period = export_period(lf, date_column) or (pd.Timestamp.min, pd.Timestamp.min)
        return (as_utc(lf.first_seen_at or EPOCH), period[1], period[0], lf.path.name)

    return sorted(files, key=newness)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def replacement(
    files: list[LoadedFile], mode: str, date_column: str | None
) -> tuple[list[LoadedFile], list[pd.Series], list[tuple[LoadedFile, int, tuple]]]:
    """The replacement rule over one source's loaded files, oldest to newest: a snapshot
    replaces every older file; a period export replaces the older rows whose date lies in its
    period, and nothing else. A period export with under half the rows the older exports still
    hold for its period collapsed (a truncated export) and replaces nothing: it is returned
    with those rows and its period. Rows are compared with rows of the same period only, so a
    month after a year is judged against that month, not the year.

    Returns the files that stand, their keep-masks (True: the row is not superseded), and the
    collapsed files."""
    kept: list[LoadedFile] = []
    masks: list[pd.Series] = []
    collapsed = []
    for newer in newest_last([lf for lf in files if lf.frame is not None], date_column):
        if mode == "snapshot":
            masks = [pd.Series(False, index=m.index) for m in masks]
        else:
            period = export_period(newer, date_column)
            if period is not None:
                covered = [
                    older.frame[date_column].between(*period).fillna(False) & mask
                    for older, mask in zip(kept, masks, strict=True)
                ]
                older_rows = int(sum(c.sum() for c in covered))
                if newer.rows_read < older_rows * COLLAPSE_SHARE:
                    collapsed.append((newer, older_rows, period))
                    continue
                masks = [mask & ~c for mask, c in zip(masks, covered, strict=True)]
        kept.append(newer)
        masks.append(pd.Series(True, index=newer.frame.index))
    return kept, masks, collapsed


def reject_collapsed(lf: LoadedFile, older_rows: int, period: tuple) -> None:
    """Reject a period export that collapsed, whole, with the numbers HR needs to check it."""
    first, last = (pd.Timestamp(day) for day in period)
    reason = (
        f"Filen har {lf.rows_read} rader med «Fra dato» fra {first:%d.%m.%Y} til {last:%d.%m.%Y}, "
        f"men eldre uttrekk av samme kilde har {older_rows} rader i den samme perioden: under "
        "halvparten. Sjekk at uttrekket er komplett før det legges inn igjen."
    )
    lf.rejected_reason = reason
    lf.frame = None
    lf.findings = [
        Finding(lf.source, lf.path.name, None, None, ERROR, "row_count_collapsed", reason)
    ]
