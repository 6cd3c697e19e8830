"""NAV's nine diagnosis groups (schemas/diagnosis_groups.yaml) and the matching of the labels NAV
prints in its tables (chapter letters, group names, older spellings, "herav" sub-rows) to them.

One source of truth: every reader that meets a diagnosis label asks this module, so a new NAV
spelling is one alias in the YAML file, never a code change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from ruamel.yaml import YAML

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "diagnosis_groups.yaml"

# The kinds of row a diagnosis label can name.
GROUP = "group"
SUBGROUP = "subgroup"
TOTAL = "total"

# "... herav rygglidelser", "herav angst/depressive lid": the prefix only says "sub-row".
_HERAV_PREFIX = re.compile(r"^\s*(?:\.{2,}|…)?\s*herav\b\s*[:\-]?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")  # str patterns match every Unicode space, NBSP included


@dataclass(frozen=True)
class DiagnosisGroup:
    code: str  # "A", "D", ..., "ANDRE"
    name: str  # Norwegian name as in SPEC section 2
    chapters: tuple[str, ...]  # ICPC-2 chapters the group covers
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DiagnosisSubgroup:
    name: str  # e.g. "Rygglidelser"
    parent: str  # code of the main group it is part of
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class DiagnosisCatalogue:
    groups: tuple[DiagnosisGroup, ...]
    subgroups: tuple[DiagnosisSubgroup, ...]
    total_name: str
    # label key -> (kind, group code or None, subgroup name or None, ICPC-2 chapter or None)
    lookup: dict[str, tuple[str, str | None, str | None, str | None]]
    # label key of a "herav" row -> subgroup (herav rows only ever match sub-groups)
    herav_lookup: dict[str, tuple[str, str | None, str | None, str | None]]

    @property
    def codes(self) -> list[str]:
        return [g.code for g in self.groups]

    def group_name(self, code: str) -> str:
        return next(g.name for g in self.groups if g.code == code)


def label_key(label: str) -> str:
    """The matching key of a label: case and every kind of whitespace ignored."""
    return _WHITESPACE.sub("", label).casefold()


def _series_keys(labels: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(key, is_herav) for each label, vectorised."""
    text = labels.astype("string").fillna("")
    is_herav = text.str.contains(_HERAV_PREFIX, regex=True)
    stripped = text.str.replace(_HERAV_PREFIX, "", regex=True)
    keys = stripped.str.replace(_WHITESPACE, "", regex=True).str.casefold()
    return keys, is_herav.astype(bool)


def _load(path: Path) -> DiagnosisCatalogue:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    groups = _groups(path, data)
    subgroups = _subgroups(path, data, {g.code for g in groups})
    total = data["total"]
    lookup, herav = _lookups(path, groups, subgroups, total)
    return DiagnosisCatalogue(groups, subgroups, str(total["name"]), lookup, herav)


def _groups(path: Path, data: dict) -> tuple[DiagnosisGroup, ...]:
    """The main groups, checked: every ICPC-2 chapter in exactly one group."""
    chapters = [str(c) for c in data["icpc2_chapters"]]
    groups = tuple(
        DiagnosisGroup(
            code=str(g["code"]),
            name=str(g["name"]),
            chapters=tuple(str(c) for c in g["chapters"]),
            aliases=tuple(str(a) for a in g.get("aliases") or []),
        )
        for g in data["groups"]
    )
    covered = sorted(c for g in groups for c in g.chapters)
    if covered != sorted(chapters):
        raise ValueError(
            f"{path}: hvert ICPC-2-kapittel skal høre til nøyaktig én diagnosegruppe; "
            f"gruppene dekker {covered}, kapitlene er {sorted(chapters)}."
        )
    return groups


def _subgroups(path: Path, data: dict, codes: set[str]) -> tuple[DiagnosisSubgroup, ...]:
    """The sub-groups ("herav" rows), each under a known main group."""
    subgroups = tuple(
        DiagnosisSubgroup(
            name=str(s["name"]),
            parent=str(s["parent"]),
            aliases=tuple(str(a) for a in s.get("aliases") or []),
        )
        for s in data.get("subgroups") or []
    )
    for s in subgroups:
        if s.parent not in codes:
            raise ValueError(f"{path}: undergruppen «{s.name}» har ukjent hovedgruppe {s.parent}.")
    return subgroups


def _lookups(path: Path, groups, subgroups, total: dict) -> tuple[dict, dict]:
    """Label key -> what it names, for ordinary rows and for "herav" rows; a label that would
    name two different groups is refused."""
    lookup: dict[str, tuple[str, str | None, str | None, str | None]] = {}
    herav: dict[str, tuple[str, str | None, str | None, str | None]] = {}

    def add(table: dict, label: str, value: tuple) -> None:
        key = label_key(label)
        if key in table and table[key][:3] != value[:3]:
            raise ValueError(f"{path}: etiketten «{label}» passer på to ulike diagnosegrupper.")
        table.setdefault(key, value)

    for g in groups:
        # Chapters first: the code "A" is also chapter A, and the chapter is worth keeping.
        for chapter in g.chapters:
            add(lookup, chapter, (GROUP, g.code, None, chapter))
        for label in (g.code, g.name, *g.aliases):
            add(lookup, label, (GROUP, g.code, None, None))
    for s in subgroups:
        for label in (s.name, *s.aliases):
            add(lookup, label, (SUBGROUP, s.parent, s.name, None))
            add(herav, label, (SUBGROUP, s.parent, s.name, None))
    for label in (total["name"], *(total.get("aliases") or [])):
        add(lookup, str(label), (TOTAL, None, None, None))
    return lookup, herav


@lru_cache(maxsize=4)
def load_diagnosis_groups(path: Path | None = None) -> DiagnosisCatalogue:
    """The diagnosis catalogue from schemas/diagnosis_groups.yaml (or another file), checked:
    every ICPC-2 chapter in exactly one group, no label matching two groups."""
    return _load(Path(path) if path else SCHEMA_PATH)


def classify_labels(labels: pd.Series, catalogue: DiagnosisCatalogue | None = None) -> pd.DataFrame:
    """What each label names, vectorised: columns label_kind ('group' | 'subgroup' | 'total',
    missing when unknown), diagnosis_group (code; the parent for a sub-group), diagnosis_subgroup
    (sub-group name) and icpc2_chapter (when the label is a chapter letter). Same index as labels.
    """
    catalogue = catalogue or load_diagnosis_groups()
    keys, is_herav = _series_keys(labels)
    columns = ["label_kind", "diagnosis_group", "diagnosis_subgroup", "icpc2_chapter"]
    parts = []
    # A "herav" row can only be a sub-group: "... herav psykiske lidelser" is not group P.
    for mask, table in ((~is_herav, catalogue.lookup), (is_herav, catalogue.herav_lookup)):
        known = pd.DataFrame.from_dict(table, orient="index", columns=columns)
        parts.append(known.reindex(keys[mask].to_numpy()).set_axis(keys[mask].index))
    matched = pd.concat(parts).reindex(labels.index)
    return matched.astype("string")


def normalise_group(label, catalogue: DiagnosisCatalogue | None = None):
    """The main-group code ('A', 'D', 'K', 'L', 'N', 'P', 'R', 'W', 'ANDRE') a label names, or None.

    Accepts a chapter letter ('F' -> 'ANDRE'), the group's name or one of NAV's spellings, ignoring
    case and whitespace. "I alt" and "herav" sub-rows are not a main group: None. Works on one
    string or on a pandas Series (then returns a Series of codes with <NA> for no match).
    """
    if isinstance(label, pd.Series):
        found = classify_labels(label, catalogue)
        return found["diagnosis_group"].where(found["label_kind"] == GROUP)
    if label is None:
        return None
    result = normalise_group(pd.Series([str(label)]), catalogue).iloc[0]
    return None if pd.isna(result) else str(result)
