"""Rejected files out of the landing zone, each with its reason beside it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline import filemodes
from pipeline.rawfile import is_regular_file
from pipeline.run_context import LoadedFile

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
