"""Source profiles: the description, kept as data in schemas/profiles/, of how one municipality's
exports look (file patterns, dialect, column headers, absence codes).

Reading code never names a header or a code itself; it asks the profile. A municipality whose
export says "Ansattnr" instead of "Ressursnr" writes a profile, not code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
DEFAULT_PROFILE = SCHEMAS_DIR / "profiles" / "default.yaml"

COLUMN_TYPES = {"text", "number", "integer", "date"}
CERTIFICATIONS = {"self_certified", "doctor_certified", "not_sick_leave"}


class ProfileError(ValueError):
    """The profile file itself is wrong; the message says where and what to fix."""


@dataclass(frozen=True)
class Column:
    name: str  # canonical name used in the pipeline, e.g. "from_date"
    header: str  # header text in the export, e.g. "Fra dato"
    type: str
    required: bool  # the column must be in the file
    allow_empty: bool  # a required column whose value may be empty (e.g. open end date)
    personal: bool  # names, identity numbers, free text: dropped on reading, never stored
    identifies_person: bool  # pseudonymised before anything is written
    decimals: int | None = None  # number columns: most decimals a value may have


@dataclass(frozen=True)
class DateWindow:
    """The dates a source can plausibly hold: a row with a date outside [earliest, latest] or a
    period (from-to) longer than longest_days is quarantined, never loaded (a typo like 1900 for
    2019 would otherwise stretch every report back a century)."""

    earliest: dt.date = dt.date(1900, 1, 1)
    latest: dt.date = dt.date(9999, 12, 31)
    longest_days: int | None = None


@dataclass(frozen=True)
class Limits:
    """How big an input may be before it is rejected unread: every check runs on the raw bytes
    (or, for Excel, on the zip directory and the sheet's cell references) before anything is
    parsed, so one hostile or broken file costs seconds and little memory, never the night."""

    max_file_mb: float = 1024
    max_rows: int = 20_000_000
    max_columns: int = 200
    max_excel_uncompressed_mb: float = 200
    max_excel_cells: int = 5_000_000

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_excel_uncompressed_bytes(self) -> int:
        return int(self.max_excel_uncompressed_mb * 1024 * 1024)


@dataclass(frozen=True)
class Source:
    name: str
    folder: str
    patterns: tuple[str, ...]
    description: str
    columns: dict[str, Column]
    replaces: str = "period"  # how a newer export replaces older ones: "period" or "snapshot"
    dates: DateWindow = field(default_factory=DateWindow)

    def header_map(self) -> dict[str, str]:
        """Header text in the file -> canonical column name."""
        return {c.header: c.name for c in self.columns.values()}

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns.values() if c.required]


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    thousands: str
    date_format: str
    encodings: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    dialect: Dialect
    absence_codes: dict[str, str]
    sources: dict[str, Source]
    limits: Limits = field(default_factory=Limits)

    def source(self, name: str) -> Source:
        try:
            return self.sources[name]
        except KeyError:
            raise ProfileError(
                f"Profilen {self.path} beskriver ingen kilde «{name}»; "
                "legg den til under 'sources'."
            ) from None


def load_profile(path: Path | None = None) -> Profile:
    """Load and check a source profile (the default profile unless told; the entry points pass
    the one in their settings, SICKLEAVE_PROFILE); raise ProfileError with a sentence a person
    can act on."""
    path = Path(path) if path else DEFAULT_PROFILE
    data = _read_profile_yaml(path)
    dialect = _dialect(path, _need(path, data, "dialect", "toppnivået"))
    codes = _absence_codes(path, data)
    sources = {
        sname: _source(path, sname, s)
        for sname, s in (_need(path, data, "sources", "toppnivået") or {}).items()
    }
    return Profile(
        name=str(data.get("name", path.stem)),
        path=path,
        dialect=dialect,
        absence_codes=codes,
        sources=sources,
        limits=_limits(data.get("limits") or {}, path),
    )


def _read_profile_yaml(path: Path) -> dict:
    if not path.is_file():
        raise ProfileError(f"Fant ikke kildeprofilen {path}. Sjekk stien eller SICKLEAVE_PROFILE.")
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, ValueError) as exc:  # ValueError: a date like 2000-13-01
        mark = getattr(exc, "problem_mark", None)
        where = f" på linje {mark.line + 1}" if mark else ""
        raise ProfileError(f"Kildeprofilen {path} er ikke gyldig YAML{where}: {exc}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"Kildeprofilen {path} må være et YAML-kart med 'dialect' og 'sources'.")
    return data


def _need(path: Path, mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ProfileError(f"Kildeprofilen {path} mangler feltet '{key}' under {where}.")
    return mapping[key]


def _dialect(path: Path, d: dict) -> Dialect:
    return Dialect(
        delimiter=str(_need(path, d, "delimiter", "dialect")),
        decimal=str(_need(path, d, "decimal", "dialect")),
        thousands=str(d.get("thousands", "")),
        date_format=str(_need(path, d, "date_format", "dialect")),
        encodings=tuple(d.get("encodings", ["utf-8", "cp1252"])),
    )


def _absence_codes(path: Path, data: dict) -> dict[str, str]:
    codes = {str(k): str(v) for k, v in (data.get("absence_codes") or {}).items()}
    for code, cert in codes.items():
        if cert not in CERTIFICATIONS:
            raise ProfileError(
                f"Kildeprofilen {path}: fraværskoden {code} har «{cert}»; "
                f"bruk en av {', '.join(sorted(CERTIFICATIONS))}."
            )
    return codes


def _source(path: Path, sname: str, s: dict) -> Source:
    cols = {
        cname: _column(path, sname, cname, c)
        for cname, c in (_need(path, s, "columns", f"sources.{sname}") or {}).items()
    }
    source = Source(
        name=sname,
        folder=str(_need(path, s, "folder", f"sources.{sname}")),
        patterns=tuple(_need(path, s, "patterns", f"sources.{sname}")),
        description=str(s.get("description", "")),
        columns=cols,
        replaces=str(s.get("replaces", "period")),
        dates=_date_window(s.get("dates") or {}, path, sname),
    )
    if source.replaces not in {"period", "snapshot"}:
        raise ProfileError(
            f"Kildeprofilen {path}: sources.{sname}.replaces må være period eller snapshot."
        )
    return source


def _column(path: Path, sname: str, cname: str, c: dict) -> Column:
    ctype = c.get("type", "text")
    if ctype not in COLUMN_TYPES:
        raise ProfileError(
            f"Kildeprofilen {path}: sources.{sname}.columns.{cname}.type er «{ctype}»; "
            f"bruk en av {', '.join(sorted(COLUMN_TYPES))}."
        )
    return Column(
        name=cname,
        header=str(_need(path, c, "header", f"sources.{sname}.columns.{cname}")),
        type=ctype,
        required=bool(c.get("required", False)),
        allow_empty=bool(c.get("allow_empty", False)),
        personal=bool(c.get("personal", False)),
        identifies_person=bool(c.get("identifies_person", False)),
        decimals=_optional_int(c.get("decimals"), path, f"{sname}.columns.{cname}"),
    )


def _optional_int(value, path: Path, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProfileError(f"Kildeprofilen {path}: {where} må være et heltall (0 eller mer).")
    return value


def _date_window(data: dict, path: Path, source: str) -> DateWindow:
    default = DateWindow()
    try:
        window = DateWindow(
            earliest=_date(data.get("earliest", default.earliest)),
            latest=_date(data.get("latest", default.latest)),
            longest_days=_optional_int(data.get("longest_days"), path, f"{source}.dates"),
        )
    except (TypeError, ValueError):
        raise ProfileError(
            f"Kildeprofilen {path}: sources.{source}.dates må ha datoer på formen ÅÅÅÅ-MM-DD."
        ) from None
    if window.earliest > window.latest:
        raise ProfileError(
            f"Kildeprofilen {path}: sources.{source}.dates: earliest er etter latest."
        )
    return window


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _limits(data: dict, path: Path) -> Limits:
    unknown = sorted(set(data) - set(Limits.__dataclass_fields__))
    if unknown:
        raise ProfileError(
            f"Kildeprofilen {path}: limits.{unknown[0]} er ukjent; bruk "
            f"{', '.join(Limits.__dataclass_fields__)}."
        )
    values = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ProfileError(f"Kildeprofilen {path}: limits.{key} må være et positivt tall.")
        values[key] = value
    return Limits(**values)
