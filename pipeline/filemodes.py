"""Who may read what the pipeline writes, whatever the umask of the account that runs it.

Two kinds of files:

- person-level (the internal warehouse and its temporaries, rejected exports, the key, anything
  that names or pseudonymises a person): owner only, files 0600 in folders 0700;
- published (analytics.duckdb, the validation report, HR's reports): readable by the group named
  in SICKLEAVE_SHARE_GROUP (files 0640, folders 0750); without that setting, owner only as well.

A night makes its process's umask 0077 first (restrict_umask), so whatever DuckDB or a library
creates on the way (write-ahead logs, half-built files) is owner-only from the start; published
files get their mode and group on the temporary file, before the rename that makes them visible
(replace), so no reader ever sees them with another mode.
"""

from __future__ import annotations

import fcntl
import grp
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import UserError
from pipeline.settings import Settings

SHARE_GROUP_ENV = "SICKLEAVE_SHARE_GROUP"
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
SHARED_FILE, SHARED_DIR = 0o640, 0o750


def restrict_umask() -> None:
    """Owner-only for everything this process creates from now on (person-level by default)."""
    os.umask(0o077)


def share_group() -> int | None:
    """The group id of SICKLEAVE_SHARE_GROUP (a name or a number), None when it is not set."""
    name = Settings().share_group.strip()
    if not name:
        return None
    if name.isdigit():
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise UserError(
            f"Gruppen «{name}» i {SHARE_GROUP_ENV} finnes ikke på maskinen; opprett den eller "
            "rett innstillingen."
        ) from None


def set_mode(path: Path, shared: bool = False) -> None:
    """Give one file or folder its mode (and, when published and a group is set, its group)."""
    path = Path(path)
    folder = path.is_dir()
    group = share_group() if shared else None
    if group is None:
        os.chmod(path, PRIVATE_DIR if folder else PRIVATE_FILE)
        return
    try:
        os.chown(path, -1, group)
    except PermissionError:
        raise UserError(
            f"Kan ikke gi {path} gruppen i {SHARE_GROUP_ENV}: kontoen som kjører nattjobben må "
            "være medlem av gruppen."
        ) from None
    os.chmod(path, SHARED_DIR if folder else SHARED_FILE)


def set_tree_mode(root: Path, shared: bool = False) -> None:
    """set_mode on a folder and everything in it (a report folder built before it is swapped in)."""
    root = Path(root)
    set_mode(root, shared)
    for path in root.rglob("*"):
        if not path.is_symlink():
            set_mode(path, shared)


def make_dir(path: Path, shared: bool = False) -> Path:
    """Create a folder (and its missing parents) and give the folder itself its mode."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    set_mode(path, shared)
    return path


def replace(tmp: Path, target: Path, shared: bool = False) -> Path:
    """Move a finished temporary file over its target, with its mode set before it is visible."""
    set_mode(tmp, shared)
    os.replace(tmp, target)
    return Path(target)


def temporary_path(path: Path) -> Path:
    """The name a file is written under before the rename that makes it visible: hidden, in the
    same folder (so the rename is atomic), with the process id so two writers never share one."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.new")


def write_bytes(path: Path, data: bytes, shared: bool = False) -> Path:
    """Write a file atomically (temporary file, mode, rename): readers never see half of it, and
    a write that fails (a full disk, a folder without write access) leaves no temporary file."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return replace(tmp, path, shared)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, shared: bool = False) -> Path:
    """write_bytes for a text, in UTF-8 (encoded before anything is written)."""
    return write_bytes(path, text.encode("utf-8"), shared)


@contextmanager
def exclusive_lock(lock_path: Path, busy_message: str) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` for the block; while another process holds it, stop at
    once with `busy_message` (one sentence for the user). The operating system releases the lock
    when the process ends, however it ends, so a killed run never leaves it taken."""
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(busy_message) from None
        yield
