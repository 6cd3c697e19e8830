"""Storage limitation: original exports and rejected files are kept for a retention period
(SICKLEAVE_RAW_RETENTION_DAYS after the archive first saw them), then

- an export of a source with personal columns (names, identity numbers, free text) is minimised
  in place: the same file name, header and encoding, every line where it was, but the values of
  every column the pipeline does not read (the personal ones and any the profile does not know)
  emptied. A line the reader quarantines (wrong field count, other encoding) becomes a line of
  empty fields with one field too many, so it is still held out with its line number. The record
  (data/raw/.arkiv.json) gives the minimised content its original's first-seen time, so the
  replacement rule and `sickleave rebuild` work from the minimised archive alone;
- a rejected file (data/rejected, whole exports with everything in them) is deleted with its
  reason file.

Ressursnr stays as in the export: it is the employer's own employee number (not an identity
number), the night pseudonymises it with the key like any other night, and an archive holding
keyed hashes would be lost with the key.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import hashlib
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import archive, filemodes
from pipeline.errors import FileRejected
from pipeline.profile import Profile, Source
from pipeline.rawfolder import folder_files, read_regular_file

log = logging.getLogger("sickleave")


@dataclass
class Outcome:
    minimised: list[Path] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # past retention but not minimised (Excel)


def apply_retention(
    raw_dir: Path, rejected_dir: Path, profile: Profile, days: int, now: dt.datetime
) -> Outcome:
    """Minimise the exports and delete the rejected files that are past the retention period."""
    cutoff = archive.as_utc(now) - dt.timedelta(days=days)
    outcome = Outcome()
    record = archive.read_record(raw_dir)
    done = archive.minimised_digests(raw_dir)
    for source in profile.sources.values():
        if not _has_personal_columns(source):
            continue
        for path in _source_files(raw_dir / source.folder, source):
            try:
                raw = read_regular_file(path, profile.limits)
            except FileRejected:
                continue  # the night rejects it (and moves it to data/rejected)
            digest = hashlib.sha256(raw).hexdigest()
            if digest in done or digest not in record or record[digest] > cutoff:
                continue
            if path.suffix.lower() != ".csv":
                outcome.kept.append(path)
                continue
            if minimise_export(raw_dir, path, raw, digest, source, profile):
                outcome.minimised.append(path)
    outcome.deleted = delete_rejected(rejected_dir, cutoff)
    _log(outcome, days)
    return outcome


def _has_personal_columns(source: Source) -> bool:
    return any(column.personal for column in source.columns.values())


def _source_files(folder: Path, source: Source) -> list[Path]:
    files, _ = folder_files(folder)
    return [
        p for p in files if any(fnmatch.fnmatch(p.name.lower(), x.lower()) for x in source.patterns)
    ]


def kept_headers(source: Source) -> set[str]:
    """The headers whose values the pipeline reads: every profile column that is not personal."""
    return {c.header for c in source.columns.values() if not c.personal}


def minimise_export(
    raw_dir: Path, path: Path, raw: bytes, digest: str, source: Source, profile: Profile
) -> bool:
    """Rewrite one CSV export with only the values the pipeline reads (see the module). A file
    the reader rejects as a whole is left alone (the night moves it to data/rejected)."""
    # numpy and pandas: only when an export is minimised, not on every night's check
    from pipeline.rawfile import checked_text
    from pipeline.read import read_csv_text

    dialect = profile.dialect
    try:
        checked = checked_text(raw, dialect, profile.limits, source.name, path.name)

        frame = read_csv_text(checked.text, dialect)
    except FileRejected:
        return False
    keep = kept_headers(source)
    for column in frame.columns:
        if column not in keep:
            frame[column] = ""
    text = _csv_text(frame, dialect.delimiter, _quarantined_lines(checked))
    encoding = checked.encoding
    data = text.encode(encoding)
    new_digest = hashlib.sha256(data).hexdigest()
    archive.record_minimised(raw_dir, digest, new_digest, path.relative_to(raw_dir).as_posix())
    filemodes.write_bytes(path, data)
    return True


def _quarantined_lines(checked) -> set[int]:
    return {f.line for f in checked.findings if f.line and f.rule in QUARANTINE_RULES}


QUARANTINE_RULES = {"field_count", "encoding_mixed"}


def _csv_text(frame, delimiter: str, quarantined: set[int]) -> str:
    """The frame's rows at their line numbers (header line 1); lines it does not hold are blank,
    and quarantined lines get one field too many (empty), so the reader holds them out again."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(frame.columns)
    last = max([*frame.index, *quarantined], default=1)
    rows = frame.reindex(range(2, last + 1), fill_value="")
    too_many = [""] * (len(frame.columns) + 1)
    for line, values in zip(rows.index, rows.itertuples(index=False), strict=True):
        writer.writerow(too_many if line in quarantined else values)
    return out.getvalue()


def delete_rejected(rejected_dir: Path, cutoff: dt.datetime) -> list[Path]:
    """Delete every file in data/rejected moved there before the cutoff (its inode change time:
    the move), reason files included."""
    if not rejected_dir.is_dir():
        return []
    deleted = []
    for path in sorted(rejected_dir.rglob("*")):
        if path.is_file() and not path.is_symlink():
            changed = dt.datetime.fromtimestamp(path.stat().st_ctime, dt.UTC)
            if changed <= cutoff:
                path.unlink()
                deleted.append(path)
    return deleted


def _log(outcome: Outcome, days: int) -> None:
    for path in outcome.minimised:
        log.info("%s er eldre enn %d dager: personopplysningene er fjernet", path.name, days)
    for path in outcome.deleted:
        log.info("avvist fil %s er eldre enn %d dager og er slettet", path.name, days)
    for path in outcome.kept:
        log.warning(
            "%s er eldre enn %d dager, men Excel-filer minimeres ikke: lagre den som CSV eller "
            "slett den når figurene ikke lenger trenger den.",
            path.name,
            days,
        )
