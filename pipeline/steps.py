"""The nightly job's steps as plain functions: each can be called and tested without Prefect.

discover -> read_and_validate (per file, with protect) -> build_internal (stage + transform)
-> publish_analytics. flows/nightly.py wires them as Prefect tasks.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import os
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import filemodes
from pipeline.archive import as_utc
from pipeline.diagnosis_marts import build_diagnosis_marts, load_nav_staging
from pipeline.errors import FileRejected, UserError
from pipeline.expectations import COLLAPSE_SHARE
from pipeline.failpoints import crash_point
from pipeline.findings import ERROR, FINDING_COLUMNS, WARNING, Finding, findings_frame
from pipeline.generate import is_sample_data
from pipeline.indicators import (
    MANUAL_MEASUREMENTS_COLUMNS,
    evaluate_indicators,
    load_manual_measurements,
)
from pipeline.nav import drop_unknown_scopes, empty_staging_frame
from pipeline.plan import Plan
from pipeline.preflight import check_directories, no_agresso_files  # noqa: F401
from pipeline.privacy import pseudonymise
from pipeline.profile import Profile
from pipeline.rawfile import folder_files, is_regular_file
from pipeline.read import read_source_file
from pipeline.reference import (
    ReferenceFormatError,
    empty_reference_frame,
    read_nav_long_csv,
    read_nav_wide_tables,
    read_ssb_table,
)
from pipeline.validate import validate_file
from pipeline.validation_report import write_validation_report
from pipeline.warehouse import (
    ANALYTICS_DB,
    INTERNAL_DB,
    connect,
    create_parameters,
    create_staging,
    publish,
    transform,
)

# Order matters: the organisation file says which units exist before the others are checked.
AGRESSO_SOURCES = ["organisation", "employments", "absences"]

# A measure hook: called with a stage name ("read", "validate", "protect", "load", "transform"), it
# returns a context manager wrapped around that part of a step. The flow passes none; the
# benchmark (benchmarks/run.py) passes one that times each stage and records its peak memory.
Measure = Callable[[str], AbstractContextManager]


def unmeasured(stage: str) -> AbstractContextManager:
    """The default measure hook: does nothing."""
    return nullcontext()


@dataclass
class LoadedFile:
    """What one input file contributed: good rows (pseudonymised), findings, its log line."""

    source: str
    path: Path
    content_sha256: str
    encoding: str | None
    rows_read: int
    frame: pd.DataFrame | None
    findings: list[Finding] = field(default_factory=list)
    rejected_reason: str | None = None
    duplicate_of: str | None = None  # name of an earlier file with the same content
    first_seen_at: dt.datetime | None = None  # when a run first saw this content
    rows_superseded: int = 0  # rows replaced by a newer export of the same source

    @property
    def rows_loaded(self) -> int:
        if self.frame is None or self.duplicate_of:
            return 0
        return len(self.frame) - self.rows_superseded

    @property
    def outcome(self) -> str:
        if self.rejected_reason:
            return "rejected"
        return "duplicate" if self.duplicate_of else "loaded"


@dataclass
class RunContext:
    raw_dir: Path
    warehouse_dir: Path
    as_of: dt.date
    mask_threshold: int = 5
    municipality_name: str = "Hele kommunen"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def internal_path(self) -> Path:
        return self.warehouse_dir / INTERNAL_DB

    @property
    def analytics_path(self) -> Path:
        return self.warehouse_dir / ANALYTICS_DB

    @property
    def validation_report_path(self) -> Path:
        return self.warehouse_dir / "validering.html"

    @property
    def rejected_dir(self) -> Path:
        """Rejected files are moved here (beside data/raw), each with a .grunn.txt reason."""
        return self.raw_dir.parent / "rejected"


def remove_leftovers(ctx: RunContext) -> list[Path]:
    """Remove what a killed run left behind (a half-built internal database, an unpublished
    analytics file): never published, so safe to delete; done first in every run, so a night
    that then finds nothing new to do still cleans up."""
    patterns = [f".{INTERNAL_DB}.building*", f".{ANALYTICS_DB}.*.new*", ".*.html.*.new"]
    removed = [p for pattern in patterns for p in ctx.warehouse_dir.glob(pattern)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# Folders read besides the profile's sources: national reference series and manual measurements.
OTHER_INPUT_FOLDERS = ("ssb", "manual")


def files_read(raw_files: list[dict], profile: Profile) -> int:
    """How many input files the night read: the archive's files (the fingerprint's list, taken
    before rejected files are moved out; hidden files such as .gitkeep are not in it) under a
    folder a reader looks in (the profile's sources, ssb/, manual/)."""
    folders = {s.folder for s in profile.sources.values()} | set(OTHER_INPUT_FOLDERS)
    return sum(1 for f in raw_files if any(f["path"].startswith(d + "/") for d in folders))


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(path.name.lower(), p.lower()) for p in patterns)


# Folders of data/raw read by readers outside the profile: SSB's and NAV's national reference
# tables, and the manual measurements.
OTHER_INPUT_FOLDERS = ("ssb", "manual")


def discover(raw_dir: Path, profile: Profile, sources: list[str]) -> dict[str, list[Path]]:
    """Regular files per source, by the profile's folder and patterns, in name order. Folders,
    links, pipes and the like are never listed (unexpected_files reports them)."""
    found: dict[str, list[Path]] = {}
    for name in sources:
        source = profile.source(name)
        files, _ = folder_files(raw_dir / source.folder)
        found[name] = [p for p in files if _matches(p, source.patterns)]
    return found


def unexpected_files(raw_dir: Path, profile: Profile) -> list[LoadedFile]:
    """Entries of the input folders that are not read, each rejected with a reason:

    - a file in a source folder that no source of that folder expects (a file in the wrong
      folder, a report saved under another name), with the names that were expected;
    - in every input folder (the profile's, ssb/, manual/), anything that is not a regular file:
      a sub-folder, a symbolic link (it could lead anywhere), a named pipe (reading one waits
      forever). These are never opened and are left where they are."""
    by_folder: dict[str, list[tuple[str, ...]]] = {f: [] for f in OTHER_INPUT_FOLDERS}
    for source in profile.sources.values():
        by_folder.setdefault(source.folder, []).append(source.patterns)
    rejected = []
    for folder, pattern_sets in sorted(by_folder.items()):
        files, odd = folder_files(raw_dir / folder)
        for entry in odd:
            finding = Finding(
                "unknown", entry.path.name, None, None, ERROR, "not_regular_file", entry.reason
            )
            rejected.append(
                LoadedFile("unknown", entry.path, "", None, 0, None, [finding], entry.reason)
            )
        if not pattern_sets:
            continue
        expected = ", ".join(p for ps in pattern_sets for p in ps)
        for path in files:
            if any(_matches(path, patterns) for patterns in pattern_sets):
                continue
            reason = (
                f"Filen hører ikke hjemme i mappen {folder}/: filnavnet passer ikke med "
                f"{expected}. Gi filen riktig navn eller legg den i riktig mappe."
            )
            finding = Finding("unknown", path.name, None, None, ERROR, "file_unexpected", reason)
            digest = file_digest(path)
            rejected.append(LoadedFile("unknown", path, digest, None, 0, None, [finding], reason))
    return rejected


def read_and_validate(
    path: Path,
    source_name: str,
    profile: Profile,
    key: bytes,
    known_units: set[str] | None = None,
    digest: str | None = None,
    measure: Measure = unmeasured,
) -> LoadedFile:
    """Read one file, run its expectation suite, quarantine bad rows, pseudonymise.

    A file that cannot be used as a whole becomes a rejected LoadedFile with one finding, never
    an exception. digest: the content's SHA-256 when the night has it already (the fingerprint
    hashed every file); otherwise it is computed here. measure wraps the read, validate and
    protect parts.
    """
    source = profile.source(source_name)
    try:
        with measure("read"):
            digest = digest or file_digest(path)
            sf = read_source_file(path, source, profile)
        with measure("validate"):
            good, row_findings = validate_file(sf, profile, known_units)
    except FileRejected as exc:
        finding = Finding(source_name, path.name, None, exc.column, ERROR, exc.rule, exc.reason)
        return LoadedFile(source_name, path, digest, None, 0, None, [finding], exc.reason)
    with measure("protect"):
        good = protect(good, source, key)
        good.insert(0, "source_file", path.name)
    return LoadedFile(
        source_name, path, digest, sf.encoding, sf.rows_read, good, sf.findings + row_findings
    )


REASON_SUFFIX = ".grunn.txt"
TEMPORARY_NAME_ROOM = 24


def move_rejected(lf: LoadedFile, rejected_dir: Path, run_id: str) -> Path | None:
    """Move a rejected file out of the landing zone, with its reason beside it, so HR can see
    what was wrong, fix the export and put a corrected file back in data/raw.

    Only a regular file is moved: a folder, link or pipe is left where it is (its finding asks a
    person to remove it) and None is returned. A name too long for `<run>_<name>` plus the reason
    suffix is shortened; the reason file keeps the original name."""
    if not is_regular_file(lf.path):
        return None
    # A rejected export holds names and identity numbers: owner-only, like the warehouse.
    filemodes.make_dir(rejected_dir)
    target_dir = filemodes.make_dir(rejected_dir / lf.path.parent.name)
    # The reason file is written through a temporary name (a dot, the pid, ".new"): leave room.
    name_max = _name_max(target_dir) - TEMPORARY_NAME_ROOM
    target = filemodes.replace(lf.path, target_dir / rejected_name(lf.path.name, run_id, name_max))
    filemodes.write_text(
        target.with_name(target.name + REASON_SUFFIX),
        f"Fil: {lf.path.name}\nAvvist i kjøring {run_id}.\nÅrsak: {lf.rejected_reason}\n",
    )
    return target


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def rejected_name(name: str, run_id: str, name_max: int = 255) -> str:
    """`<run>_<name>`, shortened when it and its reason file's name would not fit the file
    system's limit on a name (in bytes): the start of the name, a short digest of the whole name
    (two long names stay apart) and its extension."""
    full = f"{run_id}_{name}"
    room = name_max - len(REASON_SUFFIX.encode())
    if len(full.encode()) <= room:
        return full
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    tail = f"~{digest}{suffix}"
    budget = room - len(f"{run_id}_".encode()) - len(tail.encode())
    start = name.encode()[:budget].decode("utf-8", errors="ignore")  # never half a letter
    return f"{run_id}_{start}{tail}"


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


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_each_content_once(
    paths: list[Path],
    source: str,
    digests: dict[Path, str],
    read: Callable[[Path, str], LoadedFile],
) -> list[LoadedFile]:
    """Read a source's files, each content once: a file whose content (digest) an earlier file of
    the night already had is recognised before it is parsed (a thousand copies of one export
    cost one read), and becomes a duplicate that loads nothing. read(path, digest) reads one
    file; digests are the night's (fingerprint), a file that appeared since is hashed here."""
    first: dict[str, str] = {}
    out = []
    for path in paths:
        digest = digests.get(path) or file_digest(path)
        if digest in first:
            out.append(duplicate_file(source, path, digest, first[digest]))
            continue
        first[digest] = path.name
        out.append(read(path, digest))
    return out


def duplicate_file(source: str, path: Path, digest: str, original: str) -> LoadedFile:
    message = f"Filen har samme innhold som {original} og er ikke lest inn på nytt."
    finding = Finding(source, path.name, None, None, WARNING, "file_duplicate", message)
    return LoadedFile(source, path, digest, None, 0, None, [finding], duplicate_of=original)


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


def protect(frame: pd.DataFrame, source, key: bytes) -> pd.DataFrame:
    """Replace every column that identifies a person by its keyed hash (person_key)."""
    out = frame.copy()
    for column in source.columns.values():
        if column.identifies_person and column.name in out.columns:
            out["person_key"] = pseudonymise(out[column.name], key)
            out = out.drop(columns=[column.name])
    return out


def known_units_from(loaded: list[LoadedFile]) -> set[str]:
    units: set[str] = set()
    for lf in loaded:
        if lf.frame is not None:
            units.update(lf.frame["unit_code"].dropna().astype(str))
    return units


# Each Agresso source's staging table, its row id, and the date that places a row in an
# export's period (None: the source is replaced as a whole snapshot).
STAGING = {
    "employments": ("stg_employments", "employment_id", "from_date"),
    "absences": ("stg_absences", "absence_id", "from_date"),
    "organisation": ("stg_organisation", None, None),
}


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


def staging_frames(
    loaded: dict[str, list[LoadedFile]], profile: Profile
) -> dict[str, pd.DataFrame]:
    """Each source's good rows as one staging frame with stable row ids, after the replacement
    rule (see replacement). Superseded rows are counted on the file they came from."""
    frames: dict[str, pd.DataFrame] = {}
    for source, (table, id_column, date_column) in STAGING.items():
        files = [lf for lf in loaded.get(source, []) if lf.outcome == "loaded" and len(lf.frame)]
        files, masks, _ = replacement(files, profile.source(source).replaces, date_column)
        if not files:
            continue
        parts = []
        for lf, mask in zip(files, masks, strict=True):
            lf.rows_superseded = int((~mask).sum())
            parts.append(lf.frame[mask])
        frame = pd.concat(parts, ignore_index=True)
        if id_column:
            frame.insert(0, id_column, range(1, len(frame) + 1))
        frames[table] = frame
    return frames


def build_internal(
    ctx: RunContext,
    profile: Profile,
    frames: dict[str, pd.DataFrame],
    plan: Plan | None = None,
    measure: Measure = unmeasured,
) -> Path:
    """Build the person-level warehouse in a private file, then move it into place.

    frames holds the Agresso staging frames and, when there are such inputs, the NAV diagnosis
    staging frame ('stg_nav_diagnosis'), the reference series ('reference_series') and the manual
    measurements ('manual_measurements'). With a plan, indicator_status and plan_report are built.
    measure wraps the load part (parameters and staging tables) and the transform part (SQL).
    """
    if "stg_absences" not in frames or "stg_employments" not in frames:
        raise no_agresso_files(ctx.raw_dir)
    first_year = min(frames["stg_absences"]["from_date"].min().year, ctx.as_of.year)
    check_report_window(frames["stg_absences"]["from_date"], ctx.as_of)
    tmp = ctx.internal_path.with_name(f".{INTERNAL_DB}.building")
    tmp.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        with measure("load"):
            create_parameters(
                con, profile, ctx.as_of, ctx.mask_threshold, ctx.municipality_name, first_year
            )
            create_staging(con, frames)
            crash_point("loading")
            # NAV's scopes are checked against the organisation as staged (the newest snapshot).
            nav, scope_findings = drop_unknown_scopes(
                frames.get("stg_nav_diagnosis", empty_staging_frame()),
                frames.get("stg_organisation"),
                profile,
            )
            load_nav_staging(con, nav)
        with measure("transform"):
            transform(con)
            add_quality_findings(con, scope_findings)
            build_diagnosis_marts(con)
            references = frames.get("reference_series", empty_reference_frame())
            con.register("reference_frame", references)
            con.execute("CREATE OR REPLACE TABLE reference_series AS SELECT * FROM reference_frame")
            con.unregister("reference_frame")
            if plan is not None:
                load_manual_measurements(
                    con, frames.get("manual_measurements", empty_manual_frame())
                )
                as_of_quarter = f"{ctx.as_of.year}K{(ctx.as_of.month - 1) // 3 + 1}"
                evaluate_indicators(con, plan, as_of_quarter, ctx.mask_threshold)
            con.execute("CHECKPOINT")
    finally:
        con.close()
    filemodes.replace(tmp, ctx.internal_path)
    return ctx.internal_path


def add_quality_findings(con: duckdb.DuckDBPyConnection, findings: list[Finding]) -> None:
    """Findings made in Python while building the warehouse go beside those the SQL found, so
    quality_findings returns them all."""
    if not findings:
        return
    con.register("extra_findings", findings_frame(findings))
    con.execute(
        "INSERT INTO core_quality_findings SELECT source, file, CAST(line AS INTEGER), "
        '"column", severity, rule, message FROM extra_findings'
    )
    con.unregister("extra_findings")


# The period marts keep each person's quarters of presence as one 128-bit pattern
# (pipeline/sql/marts/sick_leave/mart_seqs.sql): 32 years of quarters.
MAX_REPORT_QUARTERS = 128


def _quarter_number(day: dt.date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def check_report_window(absence_starts: pd.Series, as_of: dt.date) -> None:
    """The report runs from the quarter of the first absence up to the as-of date; refuse one
    longer than MAX_REPORT_QUARTERS with a sentence that says what to do."""
    starts = pd.to_datetime(absence_starts.dropna())
    starts = starts[starts <= pd.Timestamp(as_of)]
    if starts.empty:
        return
    first = starts.min().date()
    quarters = _quarter_number(as_of) - _quarter_number(first) + 1
    if quarters > MAX_REPORT_QUARTERS:
        raise UserError(
            f"Fraværsuttrekket går tilbake til {first:%d.%m.%Y}: {quarters} kvartaler fram til "
            f"{as_of:%d.%m.%Y}, men rapportene dekker høyst {MAX_REPORT_QUARTERS} kvartaler "
            f"({MAX_REPORT_QUARTERS // 4} år). Ta ut fravær fra de siste "
            f"{MAX_REPORT_QUARTERS // 4} årene."
        )


def empty_manual_frame() -> pd.DataFrame:
    return pd.DataFrame(columns=list(MANUAL_MEASUREMENTS_COLUMNS))


def read_reference_folder(folder: Path) -> tuple[pd.DataFrame, list[Finding]]:
    """National reference series from SSB's and NAV's published formats, recognised by content:
    NAV's table text starts with '@@', NAV's long form has a kilde_url column, anything else is
    read as SSB's CSV download. A file in none of these formats is a finding, not a crash.
    Regular files only, never through a link (unexpected_files reports the other entries)."""
    frames, findings = [], []
    paths, _ = folder_files(folder)
    for path in paths:
        head = path.read_bytes()[:200].decode("utf-8", errors="replace").lstrip("\ufeff")
        try:
            if head.startswith("@@"):
                frames.append(read_nav_wide_tables(path))
            elif head.startswith("kilde_url"):
                frames.append(read_nav_long_csv(path))
            else:
                frames.append(read_ssb_table(path))
        except (ReferenceFormatError, UnicodeDecodeError, ValueError) as exc:
            findings.append(
                Finding(
                    "reference",
                    path.name,
                    None,
                    None,
                    ERROR,
                    "reference_format",
                    str(exc).splitlines()[0],
                )
            )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_reference_frame(), findings
    return pd.concat(frames, ignore_index=True), findings


def quality_findings(ctx: RunContext) -> list[Finding]:
    con = connect(ctx.internal_path, read_only=True)
    try:
        rows = con.execute(
            f"SELECT {', '.join(chr(34) + c + chr(34) for c in FINDING_COLUMNS)} "
            "FROM core_quality_findings ORDER BY file, line, rule"
        ).fetchall()
    finally:
        con.close()
    return [Finding(*row) for row in rows]


def load_log_frame(ctx: RunContext, loaded: list[LoadedFile]) -> pd.DataFrame:
    rows = []
    for lf in loaded:
        # Every row read and not loaded has an ERROR finding (one finding may stand for many).
        quarantined = lf.rows_read - len(lf.frame) if lf.frame is not None else 0
        rows.append(
            {
                "run_id": ctx.run_id,
                "run_started_at": ctx.started_at.replace(tzinfo=None),
                "as_of": ctx.as_of,
                "source": lf.source,
                "file": lf.path.name,
                "content_sha256": lf.content_sha256,
                "first_seen_at": (lf.first_seen_at or ctx.started_at).replace(tzinfo=None),
                "encoding": lf.encoding,
                "rows_read": lf.rows_read,
                "rows_loaded": lf.rows_loaded,
                "rows_quarantined": quarantined,
                "rows_superseded": lf.rows_superseded,
                "outcome": lf.outcome,
                "reason": lf.rejected_reason,
            }
        )
    return pd.DataFrame(rows)


def findings_table(ctx: RunContext, findings: list[Finding]) -> pd.DataFrame:
    frame = findings_frame(findings)
    frame.insert(0, "run_id", ctx.run_id)
    return frame.astype({"line": "Int64"})


def run_info_frame(ctx: RunContext) -> pd.DataFrame:
    """The published run_info row: what the run was told (as-of, masking threshold, the
    municipality's name) and whether its input is the generator's sample (its marker file in
    the raw folder), so every report made from the database can say so."""
    return pd.DataFrame(
        {
            "run_id": [ctx.run_id],
            "run_started_at": [ctx.started_at.replace(tzinfo=None)],
            "as_of": [ctx.as_of],
            "mask_threshold": [ctx.mask_threshold],
            "municipality_name": [ctx.municipality_name],
            "is_sample_data": [is_sample_data(ctx.raw_dir)],
        }
    )


def publish_analytics(ctx: RunContext, findings: list[Finding], loaded: list[LoadedFile]) -> Path:
    """Publish analytics.duckdb, then the validation report beside it (validering.html)."""
    log = load_log_frame(ctx, loaded)
    table = findings_table(ctx, findings)
    path = publish(
        ctx.internal_path,
        ctx.analytics_path,
        extra_tables={
            "validation_findings": table,
            "load_log": log,
            "run_info": run_info_frame(ctx),
        },
    )
    write_validation_report(ctx.validation_report_path, ctx.run_id, ctx.as_of, log, table)
    return path
