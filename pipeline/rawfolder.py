"""Which entries of an input folder are regular files, and reading one without following a
symbolic link or waiting on a pipe (the first checks of pipeline.rawfile, before a parser sees a
byte). Apart from pipeline.rawfile, which needs numpy, so that a quiet night can look at its
folders without it."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import FileRejected
from pipeline.profile import Limits
from pipeline.vocabulary import norwegian_count

# --- which entries of a folder are files ---------------------------------------------------------


@dataclass(frozen=True)
class OddEntry:
    """An entry of a source folder that is not a regular file: never opened, reported."""

    path: Path
    what: str  # Norwegian, e.g. "en mappe"

    @property
    def reason(self) -> str:
        return (
            f"«{self.path.name}» er {self.what}, ikke en vanlig fil, og blir ikke lest. Fjern den "
            "fra mappen og legg selve uttrekksfilen der."
        )


def folder_files(folder: Path) -> tuple[list[Path], list[OddEntry]]:
    """The regular files of a source folder (name order, hidden files skipped) and every other
    entry: sub-folders, symbolic links (even to a regular file: a link can point anywhere),
    named pipes, sockets, devices. Nothing is followed or opened; a missing folder has neither.
    A folder that is itself a symbolic link is one odd entry and is not listed."""
    folder = Path(folder)
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return [], []
    if stat.S_ISLNK(info.st_mode):
        return [], [OddEntry(folder, "en snarvei (symbolsk lenke) til en annen mappe")]
    if not stat.S_ISDIR(info.st_mode):
        return [], []
    files, odd = [], []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                odd.append(OddEntry(Path(entry.path), "en snarvei (symbolsk lenke)"))
            elif entry.is_file(follow_symlinks=False):
                files.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                odd.append(OddEntry(Path(entry.path), "en mappe"))
            else:
                odd.append(OddEntry(Path(entry.path), "en spesialfil (for eksempel en pipe)"))
    return files, odd


def is_regular_file(path: Path) -> bool:
    """True for a regular file reached without a symbolic link (lstat, nothing opened)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_regular_file(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file, opened without following a symbolic link and without waiting
    on a pipe; FileRejected when it is anything else or larger than the profile allows."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRejected(
            f"Filen kan ikke åpnes som en vanlig fil ({exc.strerror}). Legg selve uttrekksfilen "
            "i mappen, ikke en snarvei.",
            rule="not_regular_file",
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise FileRejected(
                "Dette er ikke en vanlig fil (en mappe, pipe eller enhet) og blir ikke lest. "
                "Fjern den fra mappen.",
                rule="not_regular_file",
            )
        _check_file_size(info.st_size, limits)
        data = handle.read(limits.max_file_bytes + 1)
    _check_file_size(len(data), limits)  # it may have grown since fstat
    return data


def _check_file_size(size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise FileRejected(
            f"Filen er {norwegian_count(size // 2**20)} MB, mer enn grensen på "
            f"{norwegian_count(int(limits.max_file_mb))} MB i kildeprofilen (limits.max_file_mb). "
            "Del uttrekket i flere filer, eller øk grensen hvis filen er riktig.",
            rule="file_too_large",
        )
