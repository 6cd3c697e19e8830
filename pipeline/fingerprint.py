"""A fingerprint of everything a night's results depend on, and the record of the last publish.

A night whose inputs are byte for byte those of the last successful publish would compute the same
tables again; the flow compares fingerprints first and skips the work. The fingerprint covers:

- every input file under the raw folder (relative path, size, SHA-256 of the content, and when the
  archive first saw that content, which decides which export is newer): a file that is added,
  removed, renamed or changed by one byte changes it, even at the same size and mtime. Hidden
  files (`.gitkeep`, the archive's own record `.arkiv.json`) are no input and are left out;
- the as-of date (it moves the end of open employments and of the current quarter);
- the source profile and the plan file the night actually uses (SICKLEAVE_PLAN_PATH);
- the package's SQL and Python files and everything under schemas/ (expectation suites,
  diagnosis groups, data dictionary, labels of the deliverables): an upgrade recomputes;
- the run settings that change published figures (masking threshold, municipality name).

Modification times are deliberately not part of it: copying the same export again is not a change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline import filemodes
from pipeline.profile import SCHEMAS_DIR

LAST_RUN_FILE = "last_run.json"
FINGERPRINT_VERSION = 2
PACKAGE_DIR = Path(__file__).resolve().parent


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's content, read in blocks (an export may be large)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def is_hidden(path: Path, root: Path) -> bool:
    """A dot file or a file in a dot folder under root: never an input (.gitkeep, the record)."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def raw_manifest(raw_dir: Path) -> list[dict[str, Any]]:
    """Every input file under raw_dir as {path, size, sha256}, ordered by relative path."""
    raw_dir = Path(raw_dir)
    files = sorted(
        (p for p in raw_dir.rglob("*") if p.is_file() and not is_hidden(p, raw_dir)),
        key=lambda p: p.relative_to(raw_dir),
    )
    return [
        {
            "path": p.relative_to(raw_dir).as_posix(),
            "size": p.stat().st_size,
            "sha256": file_sha256(p),
        }
        for p in files
    ]


CODE_SUFFIXES = {".sql", ".py", ".yaml", ".yml", ".json", ".j2", ".css"}


def code_sha256(package_dir: Path = PACKAGE_DIR, schemas_dir: Path = SCHEMAS_DIR) -> str:
    """One hash over the package's SQL and Python files and the contracts under schemas/
    (profiles, expectation suites, diagnosis groups, data dictionary, deliverables), each by
    folder, relative path and content."""
    digest = hashlib.sha256()
    for label, folder in (("pipeline", Path(package_dir)), ("schemas", Path(schemas_dir))):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES)
        for path in files:
            name = f"{label}/{path.relative_to(folder).as_posix()}"
            digest.update(name.encode("utf-8") + b"\0")
            digest.update(file_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def digests(fingerprint: dict[str, Any], raw_dir: Path) -> dict[Path, str]:
    """Each input file's content digest as the fingerprint computed it, so a night hashes each
    file once (the readers and the archive's record use these)."""
    return {Path(raw_dir) / f["path"]: f["sha256"] for f in fingerprint["raw_files"]}


def input_fingerprint(
    raw_dir: Path,
    as_of: dt.date,
    profile_path: Path,
    plan_path: Path | None,
    settings: dict[str, Any] | None = None,
    package_dir: Path = PACKAGE_DIR,
    manifest: list[dict[str, Any]] | None = None,
    first_seen: dict[str, dt.datetime] | None = None,
) -> dict[str, Any]:
    """The fingerprint of one night's inputs as plain JSON-ready data, with an overall `digest`.

    Two nights with equal digests read the same bytes with the same code and settings, so they
    publish the same tables. plan_path is the plan the night uses; None or a missing file is
    recorded as null (adding one later is a change). manifest: raw_manifest(raw_dir) when the
    caller has it already; first_seen: the archive's record (content digest -> first seen).
    """
    plan = Path(plan_path) if plan_path else None
    raw_files = [dict(f) for f in (manifest if manifest is not None else raw_manifest(raw_dir))]
    for entry in raw_files:
        when = (first_seen or {}).get(entry["sha256"])
        entry["first_seen_at"] = when.isoformat() if when else None
    parts: dict[str, Any] = {
        "version": FINGERPRINT_VERSION,
        "as_of": as_of.isoformat(),
        "raw_files": raw_files,
        "profile_sha256": file_sha256(Path(profile_path)),
        "plan_sha256": file_sha256(plan) if plan and plan.is_file() else None,
        "code_sha256": code_sha256(package_dir),
        "settings": dict(sorted((settings or {}).items())),
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    parts["digest"] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return parts


def read_last_run(warehouse_dir: Path) -> dict[str, Any] | None:
    """The record the last successful publish left, or None (first night, or an unreadable file:
    then the night simply runs in full)."""
    path = Path(warehouse_dir) / LAST_RUN_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def write_last_run(warehouse_dir: Path, record: dict[str, Any]) -> Path:
    """Write last_run.json atomically (new file, then rename), so a crash never leaves half a
    record that could make a changed night look unchanged."""
    path = Path(warehouse_dir) / LAST_RUN_FILE
    text = json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n"
    return filemodes.write_text(path, text)


def is_unchanged(
    fingerprint: dict[str, Any], last_run: dict[str, Any] | None, analytics_path: Path
) -> bool:
    """True when the last publish saw exactly these inputs and its database is still there."""
    if not last_run or not Path(analytics_path).is_file():
        return False
    previous = last_run.get("fingerprint") or {}
    return previous.get("digest") == fingerprint["digest"]


def changed_parts(fingerprint: dict[str, Any], last_run: dict[str, Any] | None) -> list[str]:
    """What differs from the last publish, in words for the log (files by relative path)."""
    if not last_run or "fingerprint" not in last_run:
        return ["ingen tidligere kjøring"]
    previous = last_run["fingerprint"]
    changes = []
    old_files = {f["path"]: f["sha256"] for f in previous.get("raw_files", [])}
    new_files = {f["path"]: f["sha256"] for f in fingerprint["raw_files"]}
    changes += [f"ny fil {p}" for p in sorted(new_files.keys() - old_files.keys())]
    changes += [f"fjernet fil {p}" for p in sorted(old_files.keys() - new_files.keys())]
    changes += [
        f"endret fil {p}"
        for p in sorted(new_files.keys() & old_files.keys())
        if new_files[p] != old_files[p]
    ]
    labels = {
        "as_of": "beregningsdato",
        "profile_sha256": "kildeprofil",
        "plan_sha256": "plan.yaml",
        "code_sha256": "programkode eller skjemaer",
        "settings": "innstillinger",
        "version": "fingeravtrykkets format",
    }
    changes += [label for key, label in labels.items() if previous.get(key) != fingerprint[key]]
    return changes
