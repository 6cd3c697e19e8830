"""The files' history across nights: when each content was first seen, duplicates of earlier
contents, and period exports that collapsed (see pipeline.replacement).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipeline.archive import as_utc
from pipeline.discovery import duplicate_file
from pipeline.profile import Profile
from pipeline.replacement import reject_collapsed, replacement
from pipeline.run_context import LoadedFile
from pipeline.staging import STAGING
from pipeline.warehouse import connect


def first_seen_in_load_log(analytics_path: Path) -> dict[str, dt.datetime]:
    """Content digest -> first seen, as the last publish's load log has it: where an archive
    from before its own record (pipeline/archive.py) kept these times. Empty before any run."""
    if not analytics_path.exists():
        return {}
    con = connect(analytics_path, read_only=True)
    try:
        rows = con.execute(
            "SELECT content_sha256, min(first_seen_at) FROM load_log "
            "WHERE first_seen_at IS NOT NULL GROUP BY ALL"
        ).fetchall()
    except duckdb.Error:
        return {}  # a database from before the log had these columns
    finally:
        con.close()
    return {digest: as_utc(when) for digest, when in rows}


def settle_history(
    loaded: list[LoadedFile],
    first_seen: dict[str, dt.datetime],
    now: dt.datetime,
    profile: Profile,
) -> None:
    """Give every file its first-seen time (from the archive's record; contents it does not
    know are seen now), mark files whose content an earlier file already had (loading the same
    content twice is a no-op), and reject a period export that collapsed (see replacement)."""
    first_file: dict[tuple[str, str], str] = {}
    for lf in loaded:
        lf.first_seen_at = as_utc(first_seen.get(lf.content_sha256, now))
        if lf.rejected_reason or lf.duplicate_of:
            continue
        key = (lf.source, lf.content_sha256)
        if key in first_file:
            lf.duplicate_of = first_file[key]
            lf.frame = None
            lf.findings = duplicate_file(lf.source, lf.path, key[1], first_file[key]).findings
        else:
            first_file[key] = lf.path.name
    for source, (_, _, date_column) in STAGING.items():
        files = [lf for lf in loaded if lf.source == source and lf.outcome == "loaded"]
        for lf, older_rows, period in replacement(
            files, profile.source(source).replaces, date_column
        )[2]:
            reject_collapsed(lf, older_rows, period)
