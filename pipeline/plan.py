"""The gevinstplan (benefit plan) as a file: `plan.yaml` at the project root.

The plan is data HR edits by hand, so a mistake in it must come back as a sentence HR can act on:
the file, the line, the indicator and the field, in Norwegian. The file is read with ruamel.yaml's
round-trip loader because it remembers where every key and value stood; the contract itself is the
JSON Schema in `schemas/plan.schema.json`, and the few rules a schema cannot say well (unique ids,
a diagnosis group only with a diagnosis measure, four-digit target years) are checked in
`pipeline/plan_issues.py`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from pipeline.plan_issues import PlanIssue, _rule_issues, _schema_issues, _yaml_issue
from pipeline.profile import PROJECT_ROOT

DEFAULT_PLAN = PROJECT_ROOT / "plan.yaml"
# An indicator measured by hand comes from data/raw/manual.
MANUAL_MEASURE = "manual"

BENEFIT_TYPE_LABELS = {
    "direct_budget": "Direkte budsjettmessig",
    "indirect_budget": "Indirekte budsjettmessig",
    "qualitative": "Kvalitativ",
}


class PlanError(ValueError):
    """The plan file is wrong; the message says where (file, line, field) and what to do."""

    def __init__(self, issues: list[PlanIssue]):
        self.issues = issues
        super().__init__("\n".join(issue.message for issue in issues))


@dataclass(frozen=True)
class Scope:
    """What an indicator is measured over: the municipality, one sector or one unit."""

    level: str  # 'municipality' | 'sector' | 'unit'
    code: str  # 'Alle' for the municipality, else the sector or unit code


@dataclass(frozen=True)
class Target:
    year: int
    value: Decimal | None  # None: the year is in the plan but its target is not set yet


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    measure: str
    diagnosis_group: str | None
    scope: Scope
    direction: str  # 'max' (value <= target is met) | 'min' (value >= target is met)
    unit: str
    targets: tuple[Target, ...]
    data_source: str
    owner: str
    description: str | None
    benefit_id: str
    target_group_id: str
    line: int  # where the indicator starts in the plan file
    # A measure in kroner measured as its reduction from the same period of this year.
    baseline_year: int | None = None
    milestone: str | None = None  # follow_up_on_time_pct: one milestone (None: all of them)

    def target_for(self, year: int) -> Decimal | None:
        """The target for a year; None when the year has no target or its target is unset."""
        return next((t.value for t in self.targets if t.year == year), None)


@dataclass(frozen=True)
class Benefit:
    id: str
    name: str
    type: str  # 'direct_budget' | 'indirect_budget' | 'qualitative'
    owner: str
    description: str | None
    indicators: tuple[Indicator, ...]

    @property
    def type_label(self) -> str:
        return BENEFIT_TYPE_LABELS[self.type]


@dataclass(frozen=True)
class TargetGroup:
    id: str
    name: str
    benefits: tuple[Benefit, ...]


@dataclass(frozen=True)
class EffectGoal:
    id: str
    name: str
    description: str | None


@dataclass(frozen=True)
class Plan:
    name: str
    municipality: str
    description: str | None
    path: Path
    effect_goals: tuple[EffectGoal, ...]
    target_groups: tuple[TargetGroup, ...]

    @property
    def benefits(self) -> tuple[Benefit, ...]:
        return tuple(b for g in self.target_groups for b in g.benefits)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """All indicators in the order they stand in the plan (the report's row order)."""
        return tuple(i for b in self.benefits for i in b.indicators)

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)


def load_plan(path: Path | str = DEFAULT_PLAN) -> Plan:
    """Read, validate and return the plan; raise PlanError naming file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise PlanError(
            [PlanIssue(path.name, None, None, f"Fant ikke gevinstplanen {path}. Sjekk stien.")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanError(
            [
                PlanIssue(
                    path.name,
                    None,
                    None,
                    f"{path.name} er ikke lagret som UTF-8; lagre den på nytt som UTF-8.",
                )
            ]
        ) from None
    return _parse_plan(path, text)


@functools.lru_cache(maxsize=8)
def _parse_plan(path: Path, text: str) -> Plan:
    """The plan in `text`. One night reads the plan several times (the command, the load, the
    transform, the reports): the same text is parsed and checked once (the round-trip YAML parse
    and the schema check are a noticeable part of a small night)."""
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise PlanError([_yaml_issue(path.name, exc)]) from None
    if not isinstance(document, CommentedMap):
        raise PlanError(
            [
                PlanIssue(
                    path.name,
                    1,
                    None,
                    f"{path.name} linje 1: filen må begynne med feltene name, municipality og "
                    "target_groups.",
                )
            ]
        )
    issues = _schema_issues(path.name, document)
    if not issues:
        issues = _rule_issues(path.name, document)
    if issues:
        raise PlanError(sorted(issues, key=lambda i: (i.line or 0, i.message)))
    return _build(path, document)


# --- building the frozen plan -----------------------------------------------------------------


def _scope(raw) -> Scope:
    if raw == "municipality":
        return Scope("municipality", "Alle")
    ((level, code),) = raw.items()
    return Scope(str(level), str(code))


def _text(mapping, key: str) -> str | None:
    value = mapping.get(key)
    return " ".join(str(value).split()) if value is not None else None


def _build(path: Path, document: CommentedMap) -> Plan:
    groups = []
    for group in document["target_groups"]:
        benefits = []
        for benefit in group["benefits"]:
            indicators = tuple(
                Indicator(
                    id=str(ind["id"]),
                    name=_text(ind, "name"),
                    measure=str(ind["measure"]),
                    diagnosis_group=_text(ind, "diagnosis_group"),
                    milestone=_text(ind, "milestone"),
                    scope=_scope(ind["scope"]),
                    direction=str(ind["direction"]),
                    unit=_text(ind, "unit"),
                    targets=tuple(
                        sorted(
                            (
                                Target(int(year), None if v is None else Decimal(str(v)))
                                for year, v in ind["targets"].items()
                            ),
                            key=lambda t: t.year,
                        )
                    ),
                    data_source=_text(ind, "data_source"),
                    owner=_text(ind, "owner"),
                    description=_text(ind, "description"),
                    benefit_id=str(benefit["id"]),
                    target_group_id=str(group["id"]),
                    line=ind.lc.line + 1,
                    baseline_year=int(ind["baseline_year"]) if "baseline_year" in ind else None,
                )
                for ind in benefit["indicators"]
            )
            benefits.append(
                Benefit(
                    id=str(benefit["id"]),
                    name=_text(benefit, "name"),
                    type=str(benefit["type"]),
                    owner=_text(benefit, "owner"),
                    description=_text(benefit, "description"),
                    indicators=indicators,
                )
            )
        groups.append(TargetGroup(str(group["id"]), _text(group, "name"), tuple(benefits)))
    goals = tuple(
        EffectGoal(str(g["id"]), _text(g, "name"), _text(g, "description"))
        for g in document.get("effect_goals") or []
    )
    return Plan(
        name=_text(document, "name"),
        municipality=_text(document, "municipality"),
        description=_text(document, "description"),
        path=path,
        effect_goals=goals,
        target_groups=tuple(groups),
    )
