"""The archive's own record of when each export's content was first seen.

`data/raw` is the archive every night is rebuilt from, and a newer export replaces what older ones
said for the period it covers. "Newer" must survive deleting the databases (`sickleave rebuild`)
and must not depend on file names, so the archive keeps its own record beside the exports:
`data/raw/.arkiv.json`, one entry per content digest (SHA-256) with the time a run first saw it.
A renamed or copied file keeps its time (same content); a corrected export gets the night it
arrived. The record is hidden (a dot file): no source reads it, and it is not an input file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pipeline import filemodes
from pipeline.errors import UserError

RECORD_FILE = ".arkiv.json"
RECORD_VERSION = 1


def as_utc(when: dt.datetime) -> dt.datetime:
    """A time zone-aware UTC time. Times without a zone (the load log keeps UTC without one) are
    UTC: comparing a naive time with an aware one is a TypeError, so every time passes here."""
    if when.tzinfo is None:
        return when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _entries(raw_dir: Path) -> dict[str, dict]:
    """The record's entries as written; empty when there is none yet. An unreadable record is
    treated as absent (the next write replaces it)."""
    try:
        data = json.loads((Path(raw_dir) / RECORD_FILE).read_text(encoding="utf-8"))
        entries = data["files"]
        for entry in entries.values():
            dt.datetime.fromisoformat(entry["first_seen_at"])
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def read_record(raw_dir: Path) -> dict[str, dt.datetime]:
    """Content digest -> first seen (UTC), from the archive's record."""
    return {
        digest: as_utc(dt.datetime.fromisoformat(entry["first_seen_at"]))
        for digest, entry in _entries(raw_dir).items()
    }


def write_record(
    raw_dir: Path,
    record: Mapping[str, dt.datetime],
    names: Mapping[str, str],
    extra: Mapping[str, dict] | None = None,
):
    """Write the record atomically (new file, then rename, owner-only): a crash never leaves half
    of it. What else an entry says (extra, e.g. that it is a minimised export) is kept."""
    path = Path(raw_dir) / RECORD_FILE
    extra = _entries(raw_dir) if extra is None else extra
    files = {
        digest: {
            **extra.get(digest, {}),
            "first_seen_at": as_utc(when).isoformat(),
            "file": names.get(digest),
        }
        for digest, when in sorted(record.items(), key=lambda item: (item[1], item[0]))
    }
    text = json.dumps({"version": RECORD_VERSION, "files": files}, indent=1, ensure_ascii=False)
    try:
        filemodes.write_text(path, text + "\n")  # owner-only, like everything person-level
    except OSError as exc:
        raise UserError(
            f"Kan ikke skrive arkivets logg over mottatte filer, {path} ({exc.strerror}). "
            f"Nattjobben må kunne skrive i {raw_dir}."
        ) from None
    return path


def record_arrivals(
    raw_dir: Path,
    files: Iterable[tuple[str, str]],
    now: dt.datetime,
    earlier: Callable[[], Mapping[str, dt.datetime]] | None = None,
) -> dict[str, dt.datetime]:
    """Add every content not yet in the record, first seen `now`, and return the whole record.

    files: (relative path, content digest) of the archive's files. earlier: first-seen times
    known from elsewhere (the load log of an archive from before the record existed), asked
    only when a content is missing from the record. Nothing is written when nothing is new.
    """
    record = read_record(raw_dir)
    new = {digest: name for name, digest in files if digest not in record}
    if not new:
        return record
    known = dict(earlier()) if earlier else {}
    for digest in new:
        record[digest] = as_utc(known.get(digest, now))
    names = {digest: entry.get("file") for digest, entry in _entries(raw_dir).items()}
    write_record(raw_dir, record, {**names, **new})
    return record


def minimised_digests(raw_dir: Path) -> set[str]:
    """Contents the record knows as minimised exports (nothing personal left to remove)."""
    return {d for d, entry in _entries(raw_dir).items() if entry.get("minimised_from")}


def record_minimised(raw_dir: Path, original: str, minimised: str, name: str) -> None:
    """Enter a minimised export under its new content with its original's first-seen time, so the
    replacement rule still finds the export as old as it was; written before the original is
    replaced (a crash in between leaves one entry too many, never an export without its time)."""
    record = read_record(raw_dir)
    record[minimised] = record[original]
    entries = _entries(raw_dir)
    names = {digest: entry.get("file") for digest, entry in entries.items()}
    entries[minimised] = {"minimised_from": original}
    write_record(raw_dir, record, {**names, minimised: name}, entries)
