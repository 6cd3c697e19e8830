"""The nightly job's steps as plain functions: each can be called and tested without Prefect.

discover -> read_and_validate (per file, with protect) -> build_internal (stage + transform)
-> publish_analytics. flows/nightly.py wires them as Prefect tasks.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import FileRejected, UserError
from pipeline.findings import ERROR, FINDING_COLUMNS, Finding, findings_frame
from pipeline.privacy import pseudonymise
from pipeline.profile import Profile
from pipeline.read import read_source_file
from pipeline.validate import validate_rows, warn_unknown_units_in_org
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

    @property
    def rows_loaded(self) -> int:
        return 0 if self.frame is None else len(self.frame)


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


def check_directories(raw_dir: Path, warehouse_dir: Path) -> None:
    if not raw_dir.is_dir():
        raise UserError(
            f"Fant ikke mappen for inndata {raw_dir}. Oppgi riktig mappe med --raw-dir."
        )
    try:
        warehouse_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"Kan ikke lage databasemappen {warehouse_dir} ({exc.strerror}). "
            "Oppgi en mappe du kan skrive i med --warehouse-dir."
        ) from None


def discover(raw_dir: Path, profile: Profile, sources: list[str]) -> dict[str, list[Path]]:
    """Files per source, by the profile's folder and patterns, in name order."""
    found: dict[str, list[Path]] = {}
    for name in sources:
        source = profile.source(name)
        folder = raw_dir / source.folder
        files = []
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and any(
                    fnmatch.fnmatch(path.name.lower(), p.lower()) for p in source.patterns
                ):
                    files.append(path)
        found[name] = files
    return found


def read_and_validate(
    path: Path,
    source_name: str,
    profile: Profile,
    key: bytes,
    known_units: set[str] | None = None,
) -> LoadedFile:
    """Read one file, quarantine bad rows, pseudonymise; a file that cannot be read as a whole
    becomes a rejected LoadedFile with one finding, never an exception."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    source = profile.source(source_name)
    try:
        sf = read_source_file(path, source, profile)
    except FileRejected as exc:
        finding = Finding(source_name, path.name, None, exc.column, ERROR, exc.rule, exc.reason)
        return LoadedFile(source_name, path, digest, None, 0, None, [finding], exc.reason)
    good, row_findings = validate_rows(sf, profile, known_units)
    findings = sf.findings + row_findings
    if source_name == "organisation":
        findings += warn_unknown_units_in_org(sf)
    good = protect(good, source, key)
    good.insert(0, "source_file", path.name)
    return LoadedFile(source_name, path, digest, sf.encoding, sf.rows_read, good, findings)


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


def staging_frames(loaded: dict[str, list[LoadedFile]]) -> dict[str, pd.DataFrame]:
    """Concatenate each source's good rows into one staging frame with stable row ids."""
    tables = {
        "employments": ("stg_employments", "employment_id"),
        "absences": ("stg_absences", "absence_id"),
        "organisation": ("stg_organisation", None),
    }
    frames: dict[str, pd.DataFrame] = {}
    for source, (table, id_column) in tables.items():
        parts = [lf.frame for lf in loaded.get(source, []) if lf.frame is not None]
        parts = [part for part in parts if not part.empty]
        if not parts:
            continue
        frame = pd.concat(parts, ignore_index=True)
        if "unit_code" in frame.columns:
            frame["unit_code"] = frame["unit_code"].replace("", None)
        if id_column:
            frame.insert(0, id_column, range(1, len(frame) + 1))
        frames[table] = frame
    return frames


def build_internal(ctx: RunContext, profile: Profile, frames: dict[str, pd.DataFrame]) -> Path:
    """Build the person-level warehouse in a private file, then move it into place."""
    if "stg_absences" not in frames or "stg_employments" not in frames:
        raise UserError(
            f"Det finnes ingen gyldige ansettelses- og fraværsfiler under {ctx.raw_dir}. "
            "Legg Agresso-uttrekkene i data/raw/agresso (eller kjør 'sickleave generate')."
        )
    first_year = min(frames["stg_absences"]["from_date"].min().year, ctx.as_of.year)
    tmp = ctx.internal_path.with_name(f".{INTERNAL_DB}.building")
    tmp.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        create_parameters(
            con, profile, ctx.as_of, ctx.mask_threshold, ctx.municipality_name, first_year
        )
        create_staging(con, frames)
        transform(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(ctx.internal_path)
    return ctx.internal_path


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
        quarantined_lines = {f.line for f in lf.findings if f.severity == ERROR and f.line}
        rows.append(
            {
                "run_id": ctx.run_id,
                "run_started_at": ctx.started_at.replace(tzinfo=None),
                "as_of": ctx.as_of,
                "source": lf.source,
                "file": lf.path.name,
                "content_sha256": lf.content_sha256,
                "encoding": lf.encoding,
                "rows_read": lf.rows_read,
                "rows_loaded": lf.rows_loaded,
                "rows_quarantined": len(quarantined_lines),
                "outcome": "rejected" if lf.rejected_reason else "loaded",
                "reason": lf.rejected_reason,
            }
        )
    return pd.DataFrame(rows)


def findings_table(ctx: RunContext, findings: list[Finding]) -> pd.DataFrame:
    frame = findings_frame(findings)
    frame.insert(0, "run_id", ctx.run_id)
    return frame.astype({"line": "Int64"})


def publish_analytics(ctx: RunContext, findings: list[Finding], loaded: list[LoadedFile]) -> Path:
    return publish(
        ctx.internal_path,
        ctx.analytics_path,
        extra_tables={
            "validation_findings": findings_table(ctx, findings),
            "load_log": load_log_frame(ctx, loaded),
        },
    )
