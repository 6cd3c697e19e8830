"""The gevinstplan (benefit plan) as a file: `plan.yaml` at the project root.

The plan is data HR edits by hand, so a mistake in it must come back as a sentence HR can act on:
the file, the line, the indicator and the field, in Norwegian. The file is read with ruamel.yaml's
round-trip loader because it remembers where every key and value stood; the contract itself is the
JSON Schema in `schemas/plan.schema.json`, and the few rules a schema cannot say well (unique ids,
a diagnosis group only with a diagnosis measure, four-digit target years) are checked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from pipeline.profile import PROJECT_ROOT, SCHEMAS_DIR

DEFAULT_PLAN = PROJECT_ROOT / "plan.yaml"
PLAN_SCHEMA = SCHEMAS_DIR / "plan.schema.json"

# What the warehouse can compute for an indicator; `manual` comes from data/raw/manual.
SICK_LEAVE_MEASURES = (
    "sick_leave_pct",
    "self_certified_pct",
    "doctor_certified_pct",
    "short_term_pct",
    "long_term_pct",
)
DIAGNOSIS_MEASURE = "diagnosis_pct"
MANUAL_MEASURE = "manual"

BENEFIT_TYPE_LABELS = {
    "direct_budget": "Direkte budsjettmessig",
    "indirect_budget": "Indirekte budsjettmessig",
    "qualitative": "Kvalitativ",
}

_YEAR = re.compile(r"^[0-9]{4}$")


class PlanError(ValueError):
    """The plan file is wrong; the message says where (file, line, field) and what to do."""

    def __init__(self, issues: list[PlanIssue]):
        self.issues = issues
        super().__init__("\n".join(issue.message for issue in issues))


@dataclass(frozen=True)
class PlanIssue:
    """One problem in the plan file, located for a person editing it."""

    file: str
    line: int | None
    field: str | None
    message: str  # the whole sentence: «plan.yaml linje 42, indikator 'x', felt 'y': …»


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
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise PlanError([_yaml_issue(path.name, exc)]) from None
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


# --- reading errors -------------------------------------------------------------------------


def _yaml_issue(file: str, exc: YAMLError) -> PlanIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    text = str(exc)
    duplicate = re.search(r'found duplicate key "([^"]+)"', text)
    if duplicate:
        what = f"feltet '{duplicate.group(1)}' står to ganger i samme blokk; slett det ene"
    elif "'\\t'" in text:
        what = "linjen har et tabulatortegn; bruk mellomrom til innrykk"
    elif "mapping values are not allowed" in text:
        what = (
            "et kolon står der det ikke kan stå; sjekk innrykket, og sett tekst som inneholder "
            "kolon i anførselstegn"
        )
    else:
        what = (
            "filen kan ikke leses som YAML; sjekk innrykket (mellomrom, ikke tab) og at hvert "
            "felt har kolon etter navnet"
        )
    where = f"{file} linje {line}" if line else file
    return PlanIssue(file, line, None, f"{where}: {what}.")


def _plain(node):
    """The round-trip document as plain JSON data (mapping keys as text) for the schema."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


def _schema_validator() -> Draft202012Validator:
    schema = json.loads(PLAN_SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _schema_issues(file: str, document: CommentedMap) -> list[PlanIssue]:
    validator = _schema_validator()
    issues = []
    for error in validator.iter_errors(_plain(document)):
        issues.append(_issue_for(file, document, error))
    # One place can break several rules at once (a text where a number belongs is also outside
    # the number range): one sentence per place is enough.
    unique = {}
    for issue in issues:
        unique.setdefault((issue.line, issue.field), issue)
    return list(unique.values())


def _issue_for(file: str, document: CommentedMap, error: ValidationError) -> PlanIssue:
    path = list(error.absolute_path)
    hint = error.schema.get("x-hjelp") if isinstance(error.schema, dict) else None
    value = error.instance
    field_path = path
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        field_path = [*path, name]
        what = f"feltet mangler; legg til «{name}:»"
    elif error.validator == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        field_path = [*path, extra[0]] if extra else path
        allowed = ", ".join(error.schema.get("properties", {}))
        what = f"feltet er ukjent; sjekk stavemåten (gyldige felt her: {allowed})"
    elif error.validator == "enum":
        options = [str(o) for o in error.validator_value]
        what = f"«{_show(value)}» er ikke gyldig; bruk {_or_list(options)}"
    elif error.validator == "type":
        what = f"«{_show(value)}» har feil form"
    elif error.validator == "minLength":
        what = "feltet kan ikke stå tomt"
    elif error.validator == "minItems":
        what = "listen kan ikke være tom"
    elif error.validator in ("minimum", "maximum"):
        what = f"«{_show(value)}» er utenfor det som kan lagres (høyst 99999.9 i tallverdi)"
    elif error.validator == "pattern":
        what = f"«{_show(value)}» har feil form"
    else:
        what = f"«{_show(value)}» er ikke gyldig her"
    if hint and error.validator not in ("enum", "additionalProperties"):
        what = f"{what}. {hint.rstrip('.')}"
    elif hint and error.validator == "enum" and len(error.validator_value) > 2:
        what = f"{what} ({hint.rstrip('.')})"
    line = _line_of(document, field_path)
    return _located(file, document, field_path, line, what)


def _show(value) -> str:
    if value is None:
        return "tom verdi"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _or_list(options: list[str]) -> str:
    return options[0] if len(options) == 1 else f"{', '.join(options[:-1])} eller {options[-1]}"


def _walk(document: CommentedMap, path: list) -> Iterator[tuple[object, int | None]]:
    """Follow a path of keys and indices through the round-trip document, yielding each node
    reached and the 1-based line where its key or list item stands."""
    node = document
    for step in path:
        if isinstance(node, CommentedMap):
            key = next((k for k in node if str(k) == str(step)), None)
            if key is None:
                return
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and step < len(node):
            line = node.lc.item(step)[0] + 1
            node = node[step]
        else:
            return
        yield node, line


def _line_of(document: CommentedMap, path: list) -> int:
    """Line of the deepest node the path reaches; a missing field points at its block."""
    line = 1
    reached = 0
    for _, step_line in _walk(document, path):
        reached += 1
        line = step_line
    if reached < len(path):
        # The last step does not exist (a missing field): point at the block that lacks it.
        parent = document
        for node, _ in _walk(document, path[:reached]):
            parent = node
        if isinstance(parent, CommentedMap) and parent.lc.line is not None:
            line = parent.lc.line + 1
    return line


def _located(
    file: str, document: CommentedMap, path: list, line: int | None, what: str
) -> PlanIssue:
    """Name the innermost indicator, benefit or target group the path runs through, and the field
    path below it, so HR sees «indikator 'x', felt 'targets.2015'»."""
    owner = ""
    field_start = 0
    nodes = [document, *[n for n, _ in _walk(document, path)]]
    kinds = {"indicators": "indikator", "benefits": "gevinst", "target_groups": "målgruppe"}
    for i in range(len(path) - 1):
        if isinstance(path[i], str) and path[i] in kinds and isinstance(path[i + 1], int):
            item = nodes[i + 2] if i + 2 < len(nodes) else None
            ident = item.get("id") if isinstance(item, dict) else None
            label = f"'{ident}'" if ident else f"nr. {path[i + 1] + 1}"
            owner = f", {kinds[path[i]]} {label}"
            field_start = i + 2
    field = ".".join(str(p) for p in path[field_start:]) or None
    where = f"{file} linje {line}{owner}"
    if field:
        where += f", felt '{field}'"
    return PlanIssue(file, line, field, f"{where}: {what}.")


# --- rules beyond the schema --------------------------------------------------------------------


def _indicator_paths(document: CommentedMap) -> Iterator[tuple[list, CommentedMap]]:
    for g, group in enumerate(document["target_groups"]):
        for b, benefit in enumerate(group["benefits"]):
            for i, indicator in enumerate(benefit["indicators"]):
                yield ["target_groups", g, "benefits", b, "indicators", i], indicator


def _rule_issues(file: str, document: CommentedMap) -> list[PlanIssue]:
    issues = []

    def issue(path: list, what: str) -> None:
        issues.append(_located(file, document, path, _line_of(document, path), what))

    seen: dict[str, int] = {}
    for path, ind in _indicator_paths(document):
        first = seen.setdefault(ind["id"], _line_of(document, [*path, "id"]))
        if first != _line_of(document, [*path, "id"]):
            issue(
                [*path, "id"],
                f"id-en «{ind['id']}» er allerede brukt på linje {first}; gi indikatoren en ny, "
                "unik id",
            )
        if "diagnosis_group" in ind and ind["measure"] != DIAGNOSIS_MEASURE:
            issue(
                [*path, "diagnosis_group"],
                f"diagnosegruppe passer bare med measure: {DIAGNOSIS_MEASURE}; fjern linjen eller "
                f"endre measure (nå «{ind['measure']}»)",
            )
        for year, value in ind["targets"].items():
            if not _YEAR.match(str(year)):
                issue(
                    [*path, "targets", year],
                    f"«{year}» er ikke et årstall; skriv året med fire sifre, f.eks. 2015",
                )
            elif value is not None and Decimal(str(value)).as_tuple().exponent < -1:
                issue(
                    [*path, "targets", year],
                    f"«{value}» har mer enn én desimal; rapporten viser én desimal, så skriv "
                    "målet med høyst én (f.eks. 6.5)",
                )
    benefit_seen: dict[str, int] = {}
    for g, group in enumerate(document["target_groups"]):
        for b, benefit in enumerate(group["benefits"]):
            path = ["target_groups", g, "benefits", b, "id"]
            first = benefit_seen.setdefault(benefit["id"], _line_of(document, path))
            if first != _line_of(document, path):
                issue(
                    path,
                    f"id-en «{benefit['id']}» er allerede brukt av en annen gevinst på linje "
                    f"{first}; gi gevinsten en ny, unik id",
                )
    return issues


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
