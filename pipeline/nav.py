"""NAV's diagnosis statistics for the employer (data/raw/nav/*.csv, SPEC section 3), read into the
staging form `stg_nav_diagnosis`, with a finding for every row that breaks a rule.

Two layers, each testable on its own:
- file reading: bytes -> text (encoding detected) -> strings (`read.read_csv_text`);
- parsing and validation of that DataFrame of strings (`parse_nav_diagnosis`), pure and vectorised.

NAV hides small figures ("prikking"): a masked cell is known-unknown. It becomes NULL with
`is_masked` set, never 0, so no sum or percentage can quietly treat it as "no sick leave".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from stdnum.no import orgnr

from pipeline.diagnosis_groups import (
    GROUP,
    SUBGROUP,
    TOTAL,
    DiagnosisCatalogue,
    classify_labels,
    load_diagnosis_groups,
)
from pipeline.errors import FileRejected
from pipeline.findings import ERROR, WARNING, Finding, line_findings
from pipeline.profile import Dialect, Profile, Source, load_profile
from pipeline.rawfile import folder_files
from pipeline.read import read_csv_file, unknown_column_findings
from pipeline.vocabulary import QUARTER_PATTERN, short_number

SOURCE = "nav_diagnosis"

# NAV's and SSB's signs for a cell hidden to protect small groups.
MASK_MARKERS = frozenset({"*", "**", "***", ":", ".."})
# The nine groups may differ from NAV's "I alt" by rounding of workdays; never by more.
SUM_TOLERANCE = 1
MUNICIPALITY_SCOPE = "Alle"

# The staging contract (stg_nav_diagnosis). diagnosis_group is NULL on the "I alt" row;
# a "herav" row carries its parent group, its own name in diagnosis_subgroup and is_subgroup.
STAGING_COLUMNS = {
    "source_file": "string",
    "source_line": "int64",
    "quarter": "string",
    "scope_kind": "string",  # municipality | sector | orgnr
    "scope_code": "string",  # 'Alle', a sector code or a 9-digit organisation number
    "diagnosis_label": "string",  # the label as NAV wrote it
    "diagnosis_group": "string",  # A D K L N P R W ANDRE; NULL = I alt
    "diagnosis_subgroup": "string",
    "is_subgroup": "bool",
    "icpc2_chapter": "string",  # set when NAV gave a chapter letter rather than a group
    "lost_workdays": "Float64",
    "cases": "Int64",
    "is_masked": "bool",
}

_NUMBER = r"^-?\d+(?:\.\d+)?$"
_SPACES = ["\u00a0", "\u202f", " "]


# One error type for a file that cannot be used as a whole, shared with the Agresso readers.
NavFileError = FileRejected


def empty_staging_frame() -> pd.DataFrame:
    """An empty frame with the staging columns and types."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in STAGING_COLUMNS.items()})


# --- file reading: bytes -> text -> DataFrame of strings -------------------------------------


def read_nav_diagnosis(
    path: Path, profile: Profile | None = None, catalogue: DiagnosisCatalogue | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read one NAV diagnosis file into the staging form plus its findings.

    Never raises on a bad file: a file that cannot be read as a whole gives an empty frame and one
    file-level ERROR finding; bad rows are left out of the frame (quarantined) with a finding each.
    """
    path = Path(path)
    profile = profile or load_profile()
    try:
        csv_file = read_csv_file(path, profile.dialect, profile.limits, SOURCE)
    except NavFileError as exc:
        finding = Finding(SOURCE, path.name, None, exc.column, ERROR, exc.rule, str(exc))
        return empty_staging_frame(), [finding]
    frame, findings = parse_nav_diagnosis(csv_file.frame, path.name, profile, catalogue)
    return frame, csv_file.findings + findings


def read_nav_folder(
    folder: Path, profile: Profile | None = None, catalogue: DiagnosisCatalogue | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Read every file of the NAV folder matching the profile's patterns, in name order.

    The same quarter, scope and group delivered in two files is a duplicate like any other: the
    first file (by name) is kept and the later row quarantined.
    """
    profile = profile or load_profile()
    source = profile.source(SOURCE)
    # Regular files only, never through a link (the night reports the other entries).
    paths = [p for p in folder_files(folder)[0] if _matches_any(p, source.patterns)]
    frames, findings = [], []
    for path in paths:
        frame, file_findings = read_nav_diagnosis(path, profile, catalogue)
        frames.append(frame)
        findings.extend(file_findings)
    if not frames:
        return empty_staging_frame(), findings
    combined = pd.concat(frames, ignore_index=True)
    duplicate = duplicate_rows(combined)
    findings.extend(
        _row_findings(
            combined[duplicate],
            source.columns["diagnosis_label"].header,
            ERROR,
            "duplicate_across_files",
            "Samme kvartal, omfang og diagnosegruppe finnes også i en tidligere fil; raden er "
            "holdt utenfor. Fjern den ene filen eller den doble raden.",
        )
    )
    return combined[~duplicate].reset_index(drop=True), findings


def _matches_any(path: Path, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(path.name.lower(), p.lower()) for p in patterns)


# --- parsing and validation of a DataFrame of strings ----------------------------------------


def parse_nav_diagnosis(
    raw: pd.DataFrame,
    file_name: str,
    profile: Profile | None = None,
    catalogue: DiagnosisCatalogue | None = None,
) -> tuple[pd.DataFrame, list[Finding]]:
    """Type and check a NAV diagnosis table given as strings with the file's own headers.

    Returns the staging frame (STAGING_COLUMNS; rows with an ERROR left out) and the findings:
    quarter not YYYYK[1-4], scope missing or not a valid organisation number, unknown diagnosis
    label, number unparseable or negative, duplicate (quarter, scope, group), and the nine groups
    not adding up to "I alt" (±SUM_TOLERANCE; "herav" rows never added).
    """
    profile = profile or load_profile()
    catalogue = catalogue or load_diagnosis_groups()
    source = profile.source(SOURCE)
    header = {c.name: c.header for c in source.columns.values()}

    try:
        frame = _canonical_columns(raw, source)
    except NavFileError as exc:
        return empty_staging_frame(), [
            Finding(SOURCE, file_name, None, exc.column, ERROR, exc.rule, str(exc))
        ]
    findings = unknown_column_findings(raw.columns, source, file_name)
    # Frames from read_csv_text are indexed by file line; inline frames count from line 2.
    lines = frame.index if frame.index.min() >= 2 else range(2, len(frame) + 2)
    frame.insert(0, "source_line", lines)
    frame.insert(0, "source_file", file_name)
    frame = frame.astype({"source_file": "string"})
    errors = pd.Series(False, index=frame.index)

    def flag(mask: pd.Series, column: str, rule: str, message: str, severity=ERROR) -> None:
        nonlocal errors
        findings.extend(_row_findings(frame[mask], header[column], severity, rule, message))
        if severity == ERROR:
            errors |= mask

    # Quarter: 2014K1 (SSB's form); a lower-case k is the same quarter.
    quarter = frame["quarter"].str.strip().str.upper()
    flag(
        ~quarter.str.match(QUARTER_PATTERN),
        "quarter",
        "quarter_unparseable",
        "Kvartalet er ikke på formen ÅÅÅÅKn (f.eks. 2014K1); rett kvartalet og legg filen inn "
        "igjen.",
    )
    frame["quarter"] = quarter

    _parse_scope(frame, flag)

    labels = frame["diagnosis_label"].str.strip()
    kinds = classify_labels(labels, catalogue)
    unknown = kinds["label_kind"].isna()
    for line, label in zip(frame.loc[unknown, "source_line"], labels[unknown], strict=True):
        findings.append(
            Finding(
                SOURCE,
                file_name,
                int(line),
                header["diagnosis_label"],
                ERROR,
                "diagnosis_unknown",
                f"Diagnosegruppen «{label}» er ukjent; bruk en ICPC-2-kapittelbokstav eller NAVs "
                "gruppenavn, eller legg navnet til i schemas/diagnosis_groups.yaml.",
            )
        )
    errors |= unknown
    frame["diagnosis_label"] = labels
    frame["diagnosis_group"] = kinds["diagnosis_group"]
    frame["diagnosis_subgroup"] = kinds["diagnosis_subgroup"]
    frame["is_subgroup"] = (kinds["label_kind"] == SUBGROUP).fillna(False).astype(bool)
    frame["icpc2_chapter"] = kinds["icpc2_chapter"]

    masked = pd.Series(False, index=frame.index)
    for column, integer in (("lost_workdays", False), ("cases", True)):
        values, is_masked, bad, negative, empty = _parse_numbers(
            frame[column], profile.dialect, integer
        )
        what = "et helt tall" if integer else "et tall"
        flag(
            bad,
            column,
            "integer_unparseable" if integer else "number_unparseable",
            f"Verdien er ikke {what} eller et prikket felt (*, :, ..); rett den og legg filen inn "
            "igjen.",
        )
        flag(
            negative,
            column,
            "number_negative",
            "Verdien er negativ; tapte dagsverk og tilfeller kan ikke være under null. Rett den "
            "og legg filen inn igjen.",
        )
        flag(
            empty,
            column,
            "value_missing",
            "Feltet er tomt (verken tall eller prikket); raden er lest inn med ukjent verdi. "
            "Sjekk uttrekket fra NAV.",
            severity=WARNING,
        )
        frame[column] = values
        masked |= is_masked
    frame["is_masked"] = masked

    kept = frame[~errors]
    duplicate = duplicate_rows(kept)
    findings.extend(
        _row_findings(
            kept[duplicate],
            header["diagnosis_label"],
            ERROR,
            "duplicate",
            "Samme kvartal, omfang og diagnosegruppe står på en tidligere linje; raden er holdt "
            "utenfor. Fjern den doble raden.",
        )
    )
    kept = kept[~duplicate]
    findings.extend(_sum_findings(kept, header))
    out = kept[list(STAGING_COLUMNS)].astype(STAGING_COLUMNS).reset_index(drop=True)
    return out, findings


def _canonical_columns(raw: pd.DataFrame, source: Source) -> pd.DataFrame:
    """Rename the file's headers to canonical names; raise NavFileError when required ones miss."""
    header_map = source.header_map()
    missing = [h for h in source.required_headers if h not in raw.columns]
    scope_headers = [source.columns[c].header for c in ("scope_code", "org_number")]
    if missing:
        raise NavFileError(
            f"Kolonnen «{missing[0]}» mangler. NAV-filen skal ha kolonnene "
            f"{', '.join(source.required_headers)} og en av "
            f"«{scope_headers[0]}» eller «{scope_headers[1]}».",
            rule="column_missing",
            column=missing[0],
        )
    if not any(h in raw.columns for h in scope_headers):
        raise NavFileError(
            f"Filen har verken «{scope_headers[0]}» eller «{scope_headers[1]}», så tallene kan "
            "ikke knyttes til kommunen, en sektor eller et organisasjonsnummer.",
            rule="column_missing",
            column=scope_headers[0],
        )
    if raw.empty:
        raise NavFileError(
            "Filen har bare overskriftslinjen og ingen rader. Hent statistikken fra NAV på nytt.",
            rule="header_only",
        )
    frame = raw[[h for h in raw.columns if h in header_map]].rename(columns=header_map)
    for column in ("scope_code", "org_number"):
        if column not in frame.columns:
            frame[column] = ""
    return frame.astype("string").fillna("").reset_index(drop=True)


def _parse_scope(frame: pd.DataFrame, flag) -> None:
    """scope_kind and scope_code from Orgnr (preferred when filled) or Sektor."""
    org = frame["org_number"].str.strip()
    for space in _SPACES:
        org = org.str.replace(space, "", regex=False)
    sector = frame["scope_code"].str.strip()
    code = org.where(org != "", sector)
    is_all = code.str.casefold() == MUNICIPALITY_SCOPE.casefold()
    from_org = (org != "") & ~is_all
    valid_org = code.str.fullmatch(r"\d{9}") & code.map(orgnr.is_valid).astype(bool)
    flag(
        from_org & ~valid_org,
        "org_number",
        "org_number_invalid",
        "Organisasjonsnummeret er ikke et gyldig norsk organisasjonsnummer (9 siffer med "
        "kontrollsiffer); rett det og legg filen inn igjen.",
    )
    flag(
        code == "",
        "scope_code",
        "scope_missing",
        "Raden har verken sektor eller organisasjonsnummer (Alle for hele kommunen); fyll inn "
        "omfanget og legg filen inn igjen.",
    )
    frame["scope_kind"] = (
        pd.Series("sector", index=frame.index, dtype="string")
        .mask(from_org, "orgnr")
        .mask(is_all, "municipality")
    )
    frame["scope_code"] = code.mask(is_all, MUNICIPALITY_SCOPE)


def _parse_numbers(
    text: pd.Series, dialect: Dialect, integer: bool
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """(value, is_masked, is_unparseable, is_negative, is_empty), vectorised.

    Spaces of any kind are thousands separators here ("5 181 801"), the dialect's decimal sign
    becomes a point; a masked or empty cell has no value, and neither is an error.
    """
    text = text.str.strip()
    is_masked = text.isin(MASK_MARKERS)
    is_empty = text == ""
    clean = text
    for space in {*_SPACES, dialect.thousands} - {""}:
        clean = clean.str.replace(space, "", regex=False)
    if dialect.decimal != ".":
        clean = clean.str.replace(dialect.decimal, ".", regex=False)
    parseable = clean.str.match(_NUMBER) & ~is_masked & ~is_empty
    values = pd.to_numeric(clean.where(parseable), errors="coerce").astype("Float64")
    if integer:
        whole = values.isna() | (values % 1 == 0)
        parseable &= whole.fillna(True).astype(bool)
        values = values.where(whole.fillna(True).astype(bool)).round().astype("Int64")
    bad = ~parseable & ~is_masked & ~is_empty
    negative = (values < 0).fillna(False).astype(bool)
    values = values.where(parseable & ~negative)
    return values, is_masked, bad, negative, is_empty


def duplicate_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows that repeat a (quarter, scope, group) already given on an earlier row.

    Chapter letters of one group (B, F, H ... of "Andre lidelser") are parts, not duplicates; but a
    group given both by name and by its chapter letters would count twice: the letters go. For a
    one-chapter group the letter is the group ("L" = "Muskel- og skjelettlidelser").
    """
    scope = ["quarter", "scope_kind", "scope_code"]
    kind = (
        pd.Series(GROUP, index=frame.index, dtype="string")
        .mask(frame["diagnosis_group"].isna(), TOTAL)
        .mask(frame["is_subgroup"], SUBGROUP)
    )
    keyed = pd.DataFrame(
        {
            **{c: frame[c] for c in scope},
            "kind": kind,
            "group": frame["diagnosis_group"].fillna(""),
            "subgroup": frame["diagnosis_subgroup"].fillna(""),
            "chapter": frame["icpc2_chapter"]
            .where(frame["icpc2_chapter"] != frame["diagnosis_group"])
            .fillna("*"),
        },
        index=frame.index,
    )
    repeated = keyed.duplicated(keep="first")
    by_name = keyed["chapter"] == "*"
    group_keys = [*scope, "kind", "group", "subgroup"]
    has_name_row = by_name.groupby([keyed[k] for k in group_keys]).transform("any")
    return (repeated | (has_name_row & ~by_name)).astype(bool)


def _sum_findings(frame: pd.DataFrame, header: dict[str, str]) -> list[Finding]:
    """Where the file has an "I alt" row, the nine groups must add up to it (herav rows never)."""
    scope = ["quarter", "scope_kind", "scope_code"]
    is_total = frame["diagnosis_group"].isna()
    is_main = ~is_total & ~frame["is_subgroup"]
    findings: list[Finding] = []
    for column in ("lost_workdays", "cases"):
        # A masked or empty cell makes the sum unknown: nothing to check then.
        unknown = frame[column].isna()
        main = frame[is_main].assign(_unknown=unknown[is_main])
        sums = main.groupby(scope).agg(group_sum=(column, "sum"), has_unknown=("_unknown", "any"))
        totals = frame[is_total & ~unknown].set_index(scope)[[column, "source_line", "source_file"]]
        joined = totals.join(sums, how="inner")
        off = joined[
            ~joined["has_unknown"] & ((joined["group_sum"] - joined[column]).abs() > SUM_TOLERANCE)
        ]
        for (quarter, _, scope_code), row in off.iterrows():
            findings.append(
                Finding(
                    SOURCE,
                    str(row["source_file"]),
                    int(row["source_line"]),
                    header[column],
                    WARNING,
                    "groups_sum_differs_from_total",
                    f"For {quarter}, {scope_code} er summen av hovedgruppene "
                    f"{short_number(row['group_sum'])}, men «I alt» er "
                    f"{short_number(row[column])}; "
                    "sjekk at alle diagnosegrupper er med og at ingen «herav»-rad er ført som "
                    "hovedgruppe.",
                )
            )
    return findings


def _row_findings(
    rows: pd.DataFrame, column: str | None, severity: str, rule: str, message: str
) -> list[Finding]:
    """A finding per row, per file; many rows of a file are one finding with their count."""
    return [
        finding
        for file, lines in rows.groupby("source_file", sort=False)["source_line"]
        for finding in line_findings(
            SOURCE, str(file), lines.to_numpy(), column, severity, rule, message
        )
    ]


def drop_unknown_scopes(
    frame: pd.DataFrame, organisation: pd.DataFrame | None, profile: Profile | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """The NAV rows whose scope the staged organisation file knows, and the findings (file, line,
    column) for the other rows (check_scopes), which are held out like any row with an error.
    Without an organisation file there is nothing to check against: every row stays."""
    if organisation is None or organisation.empty or frame.empty:
        return frame, []
    sectors = organisation["sector_code"].dropna()
    org_numbers = organisation.get("org_number", pd.Series(dtype="string")).dropna()
    unknown, findings = _scope_check(frame, sectors, org_numbers, profile)
    return frame[~unknown].reset_index(drop=True), findings


def check_scopes(
    frame: pd.DataFrame,
    known_sector_codes: Iterable[str],
    known_org_numbers: Iterable[str],
    profile: Profile | None = None,
) -> list[Finding]:
    """A finding for every row whose scope is not in the organisation file: a sector code that is
    not a Sektor there, or an organisation number that is not an Orgnr there ('Alle' always is)."""
    return _scope_check(frame, known_sector_codes, known_org_numbers, profile)[1]


def _scope_check(
    frame: pd.DataFrame,
    known_sector_codes: Iterable[str],
    known_org_numbers: Iterable[str],
    profile: Profile | None,
) -> tuple[pd.Series, list[Finding]]:
    """(rows with an unknown scope, their findings); many rows of a rule may share a finding."""
    columns = (profile or load_profile()).source(SOURCE).columns
    sectors = {str(s).strip() for s in known_sector_codes}
    orgs = {"".join(str(o).split()) for o in known_org_numbers}
    kind, code = frame["scope_kind"], frame["scope_code"]
    unknown_sector = ((kind == "sector") & ~code.isin(sectors)).fillna(False).astype(bool)
    unknown_org = ((kind == "orgnr") & ~code.isin(orgs)).fillna(False).astype(bool)
    return unknown_sector | unknown_org, [
        *_row_findings(
            frame[unknown_sector],
            columns["scope_code"].header,
            ERROR,
            "scope_unknown",
            "Sektoren finnes ikke i organisasjonsfilen; rett sektorkoden i NAV-filen eller legg "
            "sektoren inn i organisasjonsfilen.",
        ),
        *_row_findings(
            frame[unknown_org],
            columns["org_number"].header,
            ERROR,
            "scope_unknown",
            "Organisasjonsnummeret finnes ikke i organisasjonsfilen; rett det i NAV-filen eller "
            "legg det inn (kolonnen Orgnr) i organisasjonsfilen.",
        ),
    ]
