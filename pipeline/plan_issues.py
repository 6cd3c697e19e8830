"""What is wrong with a plan file, in HR's words and at its line: YAML errors, the schema's
errors and the rules beyond the schema (unique ids, targets by year).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from pipeline.profile import SCHEMAS_DIR

PLAN_SCHEMA = SCHEMAS_DIR / "plan.schema.json"
# The measure a diagnosis_group goes with.
DIAGNOSIS_MEASURE = "diagnosis_pct"
# The measures in kroner (README «Hva sykefraværet koster»): sums over quarters, which may be
# measured as a reduction against a base year (baseline_year).
COST_MEASURES = ("sick_leave_cost_kr", "substitute_cost_kr", "refund_gap_kr")
_YEAR = re.compile(r"^[0-9]{4}$")


@dataclass(frozen=True)
class PlanIssue:
    """One problem in the plan file, located for a person editing it."""

    file: str
    line: int | None
    field: str | None
    message: str  # the whole sentence: «plan.yaml linje 42, indikator 'x', felt 'y': …»


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


# What a failed JSON Schema keyword means, when the value alone says it.
_KEYWORD_MESSAGES = {
    "type": "«{value}» har feil form",
    "minLength": "feltet kan ikke stå tomt",
    "minItems": "listen kan ikke være tom",
    "minimum": "«{value}» er utenfor det som kan lagres (høyst 9999999999.9 i tallverdi)",
    "maximum": "«{value}» er utenfor det som kan lagres (høyst 9999999999.9 i tallverdi)",
    "pattern": "«{value}» har feil form",
}


def _issue_for(file: str, document: CommentedMap, error: ValidationError) -> PlanIssue:
    field_path, what = _what_is_wrong(error, list(error.absolute_path))
    line = _line_of(document, field_path)
    return _located(file, document, field_path, line, _with_hint(what, error))


def _what_is_wrong(error: ValidationError, path: list) -> tuple[list, str]:
    """The field the error is about and what is wrong with it, in HR's words."""
    value = error.instance
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        return [*path, name], f"feltet mangler; legg til «{name}:»"
    if error.validator == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        allowed = ", ".join(error.schema.get("properties", {}))
        what = f"feltet er ukjent; sjekk stavemåten (gyldige felt her: {allowed})"
        return ([*path, extra[0]] if extra else path), what
    if error.validator == "enum":
        options = [str(o) for o in error.validator_value]
        return path, f"«{_show(value)}» er ikke gyldig; bruk {_or_list(options)}"
    template = _KEYWORD_MESSAGES.get(error.validator, "«{value}» er ikke gyldig her")
    return path, template.format(value=_show(value))


def _with_hint(what: str, error: ValidationError) -> str:
    """The schema's own help text (x-hjelp) after the message; for a choice among more than two
    options in brackets, and not where the message already lists what is allowed."""
    hint = error.schema.get("x-hjelp") if isinstance(error.schema, dict) else None
    if hint and error.validator not in ("enum", "additionalProperties"):
        return f"{what}. {hint.rstrip('.')}"
    if hint and error.validator == "enum" and len(error.validator_value) > 2:
        return f"{what} ({hint.rstrip('.')})"
    return what


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
        if "baseline_year" in ind and ind["measure"] not in COST_MEASURES:
            issue(
                [*path, "baseline_year"],
                f"basisår passer bare med målene i kroner ({', '.join(COST_MEASURES)}); fjern "
                f"linjen eller endre measure (nå «{ind['measure']}»)",
            )
        _target_issues(path, ind["targets"], issue)
    _benefit_id_issues(document, issue)
    return issues


def _target_issues(path: list, targets: dict, issue: Callable[[list, str], None]) -> None:
    """A target's year has four digits and its value at most one decimal (as the report shows)."""
    for year, value in targets.items():
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


def _benefit_id_issues(document: CommentedMap, issue: Callable[[list, str], None]) -> None:
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
