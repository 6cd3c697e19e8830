"""Finding the night's input files: which files each source reads, what lies in an input folder
that no reader expects, and each content read once (by its digest).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable
from pathlib import Path

from pipeline.findings import ERROR, WARNING, Finding
from pipeline.profile import Profile
from pipeline.rawfile import folder_files
from pipeline.run_context import LoadedFile

# Order matters: the organisation file says which units exist before the others are checked.
AGRESSO_SOURCES = ["organisation", "employments", "absences"]


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
REFERENCE_FOLDER = "ssb"
MANUAL_FOLDER = "manual"
OTHER_INPUT_FOLDERS = (REFERENCE_FOLDER, MANUAL_FOLDER)


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
