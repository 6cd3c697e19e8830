"""One Agresso file in: read, validate (bad rows quarantined) and protect (pseudonymised)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.action_lists import KEEPS_RESOURCE_NUMBERS
from pipeline.discovery import file_digest
from pipeline.errors import FileRejected
from pipeline.findings import ERROR, Finding
from pipeline.privacy import pseudonymise_persons
from pipeline.profile import Profile
from pipeline.read import read_source_file
from pipeline.run_context import LoadedFile, Measure, unmeasured
from pipeline.validate import validate_file


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
        good, persons = protect(good, source, key)
        good.insert(0, "source_file", path.name)
    # Pseudonym -> the export's own Ressursnr, for the night's action lists only; never written
    # anywhere but the lists (pipeline/action_lists.py).
    numbers = persons if source_name in KEEPS_RESOURCE_NUMBERS else None
    loaded = LoadedFile(
        source_name, path, digest, sf.encoding, sf.rows_read, good, sf.findings + row_findings
    )
    loaded.resource_numbers = numbers
    return loaded


def protect(frame: pd.DataFrame, source, key: bytes) -> tuple[pd.DataFrame, dict[str, str]]:
    """Replace every column that identifies a person by its keyed hash (person_key); also give
    the persons (pseudonym -> resource number), each distinct person hashed once for both."""
    out, persons = frame, {}
    for column in source.columns.values():
        if column.identifies_person and column.name in out.columns:
            person_key, persons = pseudonymise_persons(out[column.name], key)
            out = out.drop(columns=[column.name])
            out["person_key"] = person_key
    return out, persons


def known_units_from(loaded: list[LoadedFile]) -> set[str]:
    units: set[str] = set()
    for lf in loaded:
        if lf.frame is not None:
            units.update(lf.frame["unit_code"].dropna().astype(str))
    return units
