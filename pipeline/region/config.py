"""The region file (`region.yaml`): several municipalities run by one operator and compared.

Like the plan, it is edited by hand, so a mistake comes back as one Norwegian sentence with the
file, the line, the municipality and the field. The contract is the JSON Schema in
`schemas/region.schema.json`; what a schema cannot say (unique numbers and names, one key file and
one output folder per municipality, sector mappings that name a common sector) is checked here.

Each municipality keeps its own pseudonymisation key, warehouse and reports: the region reads only
what a municipality publishes (aggregated, masked Parquet), never a person-level table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from pipeline.errors import UserError
from pipeline.plan_issues import (
    PlanIssue,
    _line_of,
    _plain,
    _what_is_wrong,
    _with_hint,
    _yaml_issue,
)
from pipeline.profile import DEFAULT_PROFILE, SCHEMAS_DIR

REGION_SCHEMA = SCHEMAS_DIR / "region.schema.json"
DEFAULT_WORK_POOL = "sickleave-region"
DEFAULT_CONCURRENCY = 2
DEFAULT_MASK_THRESHOLD = 5


class RegionError(UserError):
    """The region file is wrong; the message says where (file, line, field) and what to do."""

    def __init__(self, issues: list[PlanIssue]):
        self.issues = issues
        super().__init__("\n".join(issue.message for issue in issues))


@dataclass(frozen=True)
class Municipality:
    name: str
    number: str  # kommunenummer, four digits
    raw_dir: Path
    profile: Path
    plan: Path | None
    key_file: Path
    output_dir: Path  # warehouse/ and reports/ inside
    mask_threshold: int
    sectors: dict[str, str]  # the municipality's sector code -> the common sector's code

    @property
    def warehouse_dir(self) -> Path:
        return self.output_dir / "warehouse"

    @property
    def reports_dir(self) -> Path:
        # The night writes HR's reports beside its warehouse (pipeline.night).
        return self.output_dir / "reports"

    @property
    def parquet_dir(self) -> Path:
        return self.reports_dir / "parquet"


@dataclass(frozen=True)
class Region:
    name: str
    path: Path
    output_dir: Path
    mask_threshold: int
    concurrency: int
    work_pool: str
    schedule_cron: str | None
    schedule_timezone: str
    sectors: dict[str, str]  # common sector code -> name
    municipalities: tuple[Municipality, ...]

    def municipality(self, number: str) -> Municipality:
        return next(m for m in self.municipalities if m.number == number)


def load_region(path: Path | str) -> Region:
    """Read, validate and return the region; raise RegionError naming file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise RegionError([PlanIssue(path.name, None, None, f"Fant ikke regionfilen {path}.")])
    try:
        document = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise RegionError([_yaml_issue(path.name, exc)]) from None
    except UnicodeDecodeError:
        message = f"{path.name} er ikke lagret som UTF-8; lagre den på nytt som UTF-8."
        raise RegionError([PlanIssue(path.name, None, None, message)]) from None
    if not isinstance(document, CommentedMap):
        message = (
            f"{path.name} linje 1: filen må begynne med feltene name, output, sectors og "
            "municipalities."
        )
        raise RegionError([PlanIssue(path.name, 1, None, message)])
    issues = _schema_issues(path.name, document) or _rule_issues(path.name, document)
    if issues:
        raise RegionError(sorted(issues, key=lambda i: (i.line or 0, i.message)))
    return _build(path, document)


def _schema_issues(file: str, document: CommentedMap) -> list[PlanIssue]:
    validator = Draft202012Validator(json.loads(REGION_SCHEMA.read_text(encoding="utf-8")))
    unique: dict[tuple, PlanIssue] = {}
    for error in validator.iter_errors(_plain(document)):
        field_path, what = _what_is_wrong(error, list(error.absolute_path))
        line = _line_of(document, field_path)
        issue = _located(file, document, field_path, line, _with_hint(what, error))
        unique.setdefault((issue.line, issue.field), issue)
    return list(unique.values())


def _located(file: str, document: CommentedMap, path: list, line: int, what: str) -> PlanIssue:
    """«region.yaml linje 12, kommune 'Andebu', felt 'sectors.20': …»."""
    where = f"{file} linje {line}"
    field_path = path
    if len(path) >= 2 and path[0] == "municipalities" and isinstance(path[1], int):
        items = document.get("municipalities") or []
        item = items[path[1]] if path[1] < len(items) else None
        name = item.get("name") if isinstance(item, dict) else None
        where += f", kommune '{name}'" if name else f", kommune nr. {path[1] + 1}"
        field_path = path[2:]
    field = ".".join(str(p) for p in field_path) or None
    if field:
        where += f", felt '{field}'"
    return PlanIssue(file, line, field, f"{where}: {what}.")


def _municipality_paths(document: CommentedMap) -> Iterator[tuple[list, CommentedMap]]:
    for n, item in enumerate(document["municipalities"]):
        yield ["municipalities", n], item


def _rule_issues(file: str, document: CommentedMap) -> list[PlanIssue]:
    """Unique numbers, names, key files and folders; sector mappings that name a common sector."""
    issues = []

    def issue(path: list, what: str) -> None:
        issues.append(_located(file, document, path, _line_of(document, path), what))

    seen: dict[tuple[str, str], int] = {}
    for path, item in _municipality_paths(document):
        for field in ("number", "name", "key_file", "output", "raw"):
            value = str(item[field])
            if field in ("key_file", "output", "raw"):
                value = os.path.normpath(value)  # «a/b» and «a/./b/» are one folder
            line = _line_of(document, [*path, field])
            first = seen.setdefault((field, value), line)
            if first != line:
                issue([*path, field], _duplicate_message(field, item[field], first))
        for local, common in item["sectors"].items():
            if str(common) not in document["sectors"]:
                issue(
                    [*path, "sectors", str(local)],
                    f"«{common}» er ingen felles sektor; bruk en av "
                    f"{', '.join(map(str, document['sectors']))}",
                )
    return issues


def _duplicate_message(field: str, value, first_line: int) -> str:
    what = {
        "number": "kommunenummeret",
        "name": "navnet",
        "key_file": "nøkkelfilen (hver kommune har sin egen nøkkel)",
        "output": "mappen (hver kommune har sin egen database og sine egne rapporter)",
        "raw": "inndatamappen",
    }[field]
    return f"{what} «{value}» er allerede brukt på linje {first_line}; gi kommunen sin egen"


def _build(path: Path, document: CommentedMap) -> Region:
    base = path.resolve().parent

    def resolve(value) -> Path:
        return (base / str(value)).resolve()

    region_threshold = int(document.get("mask_threshold", DEFAULT_MASK_THRESHOLD))
    municipalities = tuple(
        Municipality(
            name=str(item["name"]),
            number=str(item["number"]),
            raw_dir=resolve(item["raw"]),
            profile=resolve(item["profile"]) if "profile" in item else DEFAULT_PROFILE,
            plan=resolve(item["plan"]) if "plan" in item else None,
            key_file=resolve(item["key_file"]),
            output_dir=resolve(item["output"]),
            mask_threshold=int(item.get("mask_threshold", region_threshold)),
            sectors={str(k): str(v) for k, v in item["sectors"].items()},
        )
        for item in document["municipalities"]
    )
    schedule = document.get("schedule") or {}
    return Region(
        name=str(document["name"]),
        path=path.resolve(),
        output_dir=resolve(document["output"]),
        mask_threshold=region_threshold,
        concurrency=int(document.get("concurrency", DEFAULT_CONCURRENCY)),
        work_pool=str(document.get("work_pool", DEFAULT_WORK_POOL)),
        schedule_cron=str(schedule["cron"]) if "cron" in schedule else None,
        schedule_timezone=str(schedule.get("timezone", "Europe/Oslo")),
        sectors={str(k): str(v) for k, v in document["sectors"].items()},
        municipalities=municipalities,
    )


def night_environment(municipality: Municipality) -> dict[str, str]:
    """The environment of one municipality's night: its own key file (a key set for the whole
    worker is cleared, so no two municipalities ever share a key), its profile, its plan (by
    default `plan.yaml` in its output folder; none there means no plan, never another
    municipality's) and its name."""
    plan = municipality.plan or municipality.output_dir / "plan.yaml"
    return {
        "SICKLEAVE_KEY_FILE": str(municipality.key_file),
        "SICKLEAVE_PSEUDONYM_KEY": "",
        "SICKLEAVE_PROFILE": str(municipality.profile),
        "SICKLEAVE_PLAN_PATH": str(plan),
        "SICKLEAVE_MUNICIPALITY_NAME": municipality.name,
        "SICKLEAVE_MASK_THRESHOLD": str(municipality.mask_threshold),
    }


def night_parameters(municipality: Municipality, as_of, force: bool = False) -> dict:
    """The nightly flow's parameters for one municipality (folders as absolute paths)."""
    plan = municipality.plan or municipality.output_dir / "plan.yaml"
    return {
        "raw_dir": str(municipality.raw_dir),
        "warehouse_dir": str(municipality.warehouse_dir),
        "as_of": as_of.isoformat() if as_of else None,
        "mask_threshold": municipality.mask_threshold,
        "municipality_name": municipality.name,
        "profile_path": str(municipality.profile),
        "plan_path": str(plan) if plan.is_file() else None,
        "force": force,
    }
