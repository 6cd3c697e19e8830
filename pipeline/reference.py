"""National reference series (SSB and NAV) in one long table, `reference_series`, for comparing a
municipality's figures with Norway's.

Readers for the formats SSB and NAV publish (their sources: sample/reference_data/KILDER.md):
- SSB table 12439 as SSB's CSV download (`read_ssb_table`);
- NAV's national diagnosis tables as printed on nav.no, years as columns (`read_nav_wide_tables`);
- the same NAV figures in long form (`read_nav_long_csv`).

Reference files are curated, not nightly exports: a file that does not look as expected raises
ReferenceFormatError with a Norwegian sentence saying where and what, rather than loading a guess.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from pipeline.diagnosis_groups import (
    SUBGROUP,
    TOTAL,
    DiagnosisCatalogue,
    classify_labels,
    load_diagnosis_groups,
)
from pipeline.read import decode
from pipeline.vocabulary import QUARTER_PATTERN

# The reference_series contract.
REFERENCE_COLUMNS = {
    "source": "string",  # 'SSB 12439' | 'NAV'
    "series": "string",  # key of SERIES
    "quarter": "string",  # 2014K1
    "scope": "string",  # 'Norge'
    "sex": "string",  # 'Begge kjønn' | 'Menn' | 'Kvinner'
    "diagnosis_group": "string",  # NULL = all diagnoses (I alt); else A D K L N P R W ANDRE
    "diagnosis_subgroup": "string",  # the "herav" name, NULL on main groups and totals
    "is_subgroup": "bool",  # a "herav" row: part of its group, never added to a sum
    "value": "Float64",
    "unit": "string",  # 'prosent' | 'dagsverk' | 'tilfeller'
    "label": "string",  # Norwegian description
}

# series -> (unit, Norwegian description)
SERIES = {
    "sick_leave_pct": ("prosent", "Sykefraværsprosent, egenmeldt og legemeldt, ikke sesongjustert"),
    "doctor_certified_pct": ("prosent", "Legemeldt sykefraværsprosent, ikke sesongjustert"),
    "self_certified_pct": ("prosent", "Egenmeldt sykefraværsprosent, ikke sesongjustert"),
    "doctor_certified_lost_workdays": ("dagsverk", "Legemeldte sykefraværsdagsverk"),
    "doctor_certified_cases": ("tilfeller", "Legemeldte sykefraværstilfeller"),
}

SSB_SOURCE = "SSB 12439"
NAV_SOURCE = "NAV"
NATIONAL_SCOPE = "Norge"
BOTH_SEXES = "Begge kjønn"

# SSB's "type sykefravær" -> series; other types in a download are not reference series.
SSB_TYPES = {
    "Egenmeldt og legemeldt": "sick_leave_pct",
    "Legemeldt": "doctor_certified_pct",
    "Egenmeldt": "self_certified_pct",
}
SSB_VALUE_PREFIX = "12439:"
SSB_NOT_ADJUSTED = "ikke-sesongjustert"
# SSB: ".." not available, "." cannot occur, ":" confidential. Known-unknown, never zero.
SSB_MISSING = frozenset({"..", ".", ":"})
# NAV's measure names in its table pages and long form -> series.
NAV_MEASURES = {
    "tapte_dagsverk": "doctor_certified_lost_workdays",
    "tilfeller": "doctor_certified_cases",
}
# Cells NAV prints instead of a number in a wide table.
NAV_MISSING = frozenset({"..", ":", "*", "-"})


class ReferenceFormatError(ValueError):
    """A reference file is not in the format its reader expects."""


def empty_reference_frame() -> pd.DataFrame:
    """An empty frame with the reference_series columns and types."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in REFERENCE_COLUMNS.items()})


# --- SSB ----------------------------------------------------------------------------------------


def read_ssb_table(path: Path) -> pd.DataFrame:
    """SSB table 12439 as SSB's CSV download -> reference_series rows.

    Keeps the non-seasonally-adjusted sick-leave percentage per quarter (one series per type of
    sick leave in the download); SSB's missing markers give an empty value, never 0.
    """
    path = Path(path)
    text, _ = decode(path.read_bytes())
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise ReferenceFormatError(f"{path.name} kan ikke leses som SSBs CSV: {exc}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    value_columns = [c for c in raw.columns if c.startswith(SSB_VALUE_PREFIX)]
    needed = ["kjønn", "type sykefravær", "kvartal", "statistikkvariabel"]
    missing = [c for c in needed if c not in raw.columns]
    if missing or len(value_columns) != 1:
        raise ReferenceFormatError(
            f"{path.name} er ikke SSBs tabell 12439 som CSV: den skal ha kolonnene "
            f"{', '.join(needed)} og én verdikolonne som begynner med «{SSB_VALUE_PREFIX}»."
        )
    raw = raw.rename(columns={value_columns[0]: "value_text"})
    variable = raw["statistikkvariabel"].str.casefold()
    keep = variable.str.contains(SSB_NOT_ADJUSTED, regex=False) & raw["type sykefravær"].isin(
        SSB_TYPES
    )
    raw = raw[keep]
    quarter = raw["kvartal"].str.strip()
    bad_quarter = ~quarter.str.match(QUARTER_PATTERN)
    if bad_quarter.any():
        raise ReferenceFormatError(
            f"{path.name}: kvartalet «{quarter[bad_quarter].iloc[0]}» er ikke på formen ÅÅÅÅKn."
        )
    value_text = raw["value_text"].str.strip()
    is_missing = value_text.isin(SSB_MISSING)
    value = pd.to_numeric(value_text.where(~is_missing), errors="coerce")
    unparseable = value.isna() & ~is_missing
    if unparseable.any():
        raise ReferenceFormatError(
            f"{path.name}: verdien «{value_text[unparseable].iloc[0]}» for "
            f"{quarter[unparseable].iloc[0]} er verken et tall eller SSBs tegn for manglende tall."
        )
    series = raw["type sykefravær"].map(SSB_TYPES)
    return _reference_frame(
        source=SSB_SOURCE,
        series=series,
        quarter=quarter,
        sex=raw["kjønn"].str.strip(),
        value=value,
        kinds=None,
    )


# --- NAV, wide tables as printed on nav.no -------------------------------------------------------


class _DigitGroups:
    """The ways one row's tokens can be cut into numbers (see split_digit_groups)."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.n = len(tokens)

    def can_start(self, i: int) -> bool:
        token = self.tokens[i]
        return token in NAV_MISSING or token == "0" or not token.startswith("0")

    def continues(self, i: int) -> bool:
        return len(self.tokens[i]) == 3 and self.tokens[i] not in NAV_MISSING

    def part_ok(self, i: int, length: int) -> bool:
        """Can tokens i .. i+length-1 be one number (or one missing marker)?"""
        if i + length > self.n or not self.can_start(i):
            return False
        if length == 1:
            return True
        head = self.tokens[i]
        return (
            head not in NAV_MISSING
            and len(head) <= 3
            and all(self.continues(j) for j in range(i + 1, i + length))
        )

    def splits(self, count: int, lo: int, hi: int) -> tuple[int, list[int] | None]:
        """How many cuts into `count` numbers of lo..hi groups each exist, and the cut (group
        counts) when there is exactly one."""

        @cache
        def ways(i: int, k: int) -> int:
            if k == 0:
                return 1 if i == self.n else 0
            return sum(ways(i + m, k - 1) for m in range(lo, hi + 1) if self.part_ok(i, m))

        total = ways(0, count)
        if total != 1:
            return total, None
        lengths, i = [], 0
        for k in range(count, 0, -1):
            m = next(m for m in range(lo, hi + 1) if self.part_ok(i, m) and ways(i + m, k - 1))
            lengths.append(m)
            i += m
        return 1, lengths

    def values(self, lengths: list[int]) -> list[int | None]:
        values, i = [], 0
        for m in lengths:
            part = self.tokens[i : i + m]
            values.append(None if part[0] in NAV_MISSING else int("".join(part)))
            i += m
        return values


def split_digit_groups(tokens: list[str], count: int) -> list[int | None]:
    """Split NAV's space-grouped numbers ("5 181 801 5 249 207" as tokens) into `count` numbers.

    A number is a first group of 1-3 digits followed by groups of exactly 3 digits. Groups of 1-2
    digits, and groups that cannot continue a number, fix many boundaries; where several splits
    remain possible (e.g. a row of 3-digit groups only) the one whose numbers have the most equal
    number of groups wins, because one row's yearly figures are of the same size. If that still
    leaves more than one split, or none, the row is ambiguous and ValueError says so.
    NAV's missing markers (.., :, *, -) stand alone and give None.
    """
    for token in tokens:
        if token not in NAV_MISSING and not token.isdigit():
            raise ValueError(f"«{token}» er verken et tall eller et tegn for manglende tall.")
    groups = _DigitGroups(tokens)
    n = len(tokens)
    for spread in range(n):
        found = [groups.splits(count, lo, lo + spread) for lo in range(1, n - spread + 1)]
        total = sum(ways for ways, _ in found)
        if total == 1:
            return groups.values(next(lengths for ways, lengths in found if ways == 1))
        if total > 1:
            raise ValueError(
                f"Tallene kan deles i {count} tall på {total} like rimelige måter; skriv dem uten "
                "tvetydighet (f.eks. med semikolon mellom tallene)."
            )
    raise ValueError(f"Tallene kan ikke deles i {count} tall med NAVs tresiffergruppering.")


def read_nav_wide_tables(path: Path, catalogue: DiagnosisCatalogue | None = None) -> pd.DataFrame:
    """NAV's national diagnosis tables as published (one line per row, years as columns) ->
    reference_series rows. Each block starts `@@ <address>|<measure>|<quarter>|<years>`; a row is
    a label and one number per year; "... herav" rows become sub-groups (is_subgroup)."""
    path = Path(path)
    text, _ = decode(path.read_bytes())
    records: list[dict] = []
    block: dict | None = None
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("@@"):
            block = _wide_block_header(line, path.name, line_no)
            continue
        if block is None:
            raise ReferenceFormatError(
                f"{path.name} linje {line_no}: tabellrad før første «@@»-linje som sier hva "
                "tabellen viser."
            )
        tokens = line.split()
        # The label is everything before the trailing run of numbers.
        first_number = len(tokens)
        while first_number and _numeric(tokens[first_number - 1]):
            first_number -= 1
        label, numbers = " ".join(tokens[:first_number]), tokens[first_number:]
        try:
            values = split_digit_groups(numbers, len(block["years"]))
        except ValueError as exc:
            raise ReferenceFormatError(f"{path.name} linje {line_no} («{label}»): {exc}") from None
        for year, value in zip(block["years"], values, strict=True):
            records.append(
                {
                    "series": block["series"],
                    "quarter": f"{year}K{block['quarter']}",
                    "label_nav": label,
                    "value": value,
                    "line": line_no,
                }
            )
    if not records:
        raise ReferenceFormatError(f"{path.name} har ingen tabellrader.")
    long = pd.DataFrame(records)
    return _nav_frame(long, path.name, catalogue)


def _numeric(token: str) -> bool:
    return token.isdigit() or token in NAV_MISSING


def _wide_block_header(line: str, file_name: str, line_no: int) -> dict:
    parts = line[2:].strip().split("|")
    if len(parts) != 4:
        raise ReferenceFormatError(
            f"{file_name} linje {line_no}: «@@»-linjen skal ha fire felt skilt med |: "
            "adresse|mål|kvartal|årene."
        )
    _, measure, quarter, years = (p.strip() for p in parts)
    if measure not in NAV_MEASURES:
        raise ReferenceFormatError(
            f"{file_name} linje {line_no}: målet «{measure}» er ukjent; bruk "
            f"{' eller '.join(NAV_MEASURES)}."
        )
    year_list = years.split()
    if quarter not in {"1", "2", "3", "4"} or not all(re.fullmatch(r"\d{4}", y) for y in year_list):
        raise ReferenceFormatError(
            f"{file_name} linje {line_no}: kvartal skal være 1-4 og årene firesifrede år."
        )
    return {"series": NAV_MEASURES[measure], "quarter": quarter, "years": year_list}


# --- NAV, long form ------------------------------------------------------------------------

_LONG_COLUMNS = ["maal", "kvartal", "aar", "periode", "diagnosegruppe_nav", "kjonn", "verdi"]


def read_nav_long_csv(path: Path, catalogue: DiagnosisCatalogue | None = None) -> pd.DataFrame:
    """NAV's diagnosis tables in long form (kilde_url, maal, kvartal, aar, periode,
    diagnosegruppe_nav, icpc2_kapittel, kjonn, verdi) -> reference_series rows."""
    path = Path(path)
    text, _ = decode(path.read_bytes())
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    missing = [c for c in _LONG_COLUMNS if c not in raw.columns]
    if missing:
        raise ReferenceFormatError(
            f"{path.name} mangler kolonnen «{missing[0]}»; den lange formen skal ha "
            f"{', '.join(_LONG_COLUMNS)}."
        )
    unknown_measure = ~raw["maal"].isin(NAV_MEASURES)
    if unknown_measure.any():
        raise ReferenceFormatError(
            f"{path.name} linje {int(unknown_measure.idxmax()) + 2}: målet "
            f"«{raw.loc[unknown_measure, 'maal'].iloc[0]}» er ukjent."
        )
    period = raw["periode"].str.strip()
    inconsistent = period != raw["aar"].str.strip() + "K" + raw["kvartal"].str.strip()
    if inconsistent.any():
        raise ReferenceFormatError(
            f"{path.name} linje {int(inconsistent.idxmax()) + 2}: periode stemmer ikke med "
            "aar og kvartal."
        )
    value_text = raw["verdi"].str.replace(r"\s", "", regex=True)
    is_missing = value_text.isin(NAV_MISSING)
    value = pd.to_numeric(value_text.where(~is_missing), errors="coerce")
    if (value.isna() & ~is_missing).any():
        bad = value.isna() & ~is_missing
        raise ReferenceFormatError(
            f"{path.name} linje {int(bad.idxmax()) + 2}: verdien er ikke et tall."
        )
    long = pd.DataFrame(
        {
            "series": raw["maal"].map(NAV_MEASURES),
            "quarter": period,
            "label_nav": raw["diagnosegruppe_nav"],
            "value": value,
            "line": raw.index + 2,
            "sex": raw["kjonn"].str.strip(),
        }
    )
    frame = _nav_frame(long, path.name, catalogue)
    if "icpc2_kapittel" in raw.columns:
        _check_chapters(frame, raw["icpc2_kapittel"].str.strip(), path.name)
    return frame


def _check_chapters(frame: pd.DataFrame, chapters: pd.Series, file_name: str) -> None:
    """Where the long form names a single ICPC-2 chapter, it must be the group the label gave."""
    chapters = chapters.set_axis(frame.index)
    single = chapters.str.fullmatch(r"[A-Z]") & ~frame["is_subgroup"]
    wrong = single & (chapters != frame["diagnosis_group"].fillna(""))
    if wrong.any():
        raise ReferenceFormatError(
            f"{file_name}: kapittel «{chapters[wrong].iloc[0]}» passer ikke med diagnosegruppen "
            f"«{frame.loc[wrong, 'label'].iloc[0]}»."
        )


# --- shared -------------------------------------------------------------------------------------


def _nav_frame(
    long: pd.DataFrame, file_name: str, catalogue: DiagnosisCatalogue | None
) -> pd.DataFrame:
    """Records with series, quarter, label_nav, value, line (and maybe sex) -> reference_series."""
    kinds = classify_labels(long["label_nav"], catalogue)
    unknown = kinds["label_kind"].isna()
    if unknown.any():
        raise ReferenceFormatError(
            f"{file_name} linje {int(long.loc[unknown, 'line'].iloc[0])}: diagnosegruppen "
            f"«{long.loc[unknown, 'label_nav'].iloc[0]}» er ukjent; legg den til i "
            "schemas/diagnosis_groups.yaml."
        )
    sex = long["sex"] if "sex" in long.columns else BOTH_SEXES
    return _reference_frame(
        source=NAV_SOURCE,
        series=long["series"],
        quarter=long["quarter"],
        sex=sex,
        value=long["value"],
        kinds=kinds,
        catalogue=catalogue,
    )


def _reference_frame(
    source: str,
    series: pd.Series,
    quarter: pd.Series,
    sex,
    value: pd.Series,
    kinds: pd.DataFrame | None,
    catalogue: DiagnosisCatalogue | None = None,
) -> pd.DataFrame:
    index = series.index
    unit = series.map({k: v[0] for k, v in SERIES.items()})
    label = series.map({k: v[1] for k, v in SERIES.items()})
    if kinds is None:
        group = subgroup = pd.Series(pd.NA, index=index, dtype="string")
        is_subgroup = pd.Series(False, index=index)
    else:
        catalogue = catalogue or load_diagnosis_groups()
        group, subgroup = kinds["diagnosis_group"], kinds["diagnosis_subgroup"]
        is_subgroup = kinds["label_kind"] == SUBGROUP
        names = {g.code: g.name for g in catalogue.groups}
        what = (
            group.map(names)
            .mask(kinds["label_kind"] == TOTAL, catalogue.total_name)
            .mask(is_subgroup, "herav " + subgroup.str.lower())
        )
        label = label + ", " + what
    frame = pd.DataFrame(
        {
            "source": source,
            "series": series,
            "quarter": quarter,
            "scope": NATIONAL_SCOPE,
            "sex": sex,
            "diagnosis_group": group,
            "diagnosis_subgroup": subgroup,
            "is_subgroup": is_subgroup,
            "value": value,
            "unit": unit,
            "label": label,
        },
        index=index,
    )
    return frame.astype(REFERENCE_COLUMNS).reset_index(drop=True)
