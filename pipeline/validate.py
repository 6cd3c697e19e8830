"""Row-level rules: a row that breaks one is quarantined with file, line, column and a reason;
the rest of the file loads. Each rule is a vectorised mask over the typed frame.
"""

from __future__ import annotations

import pandas as pd

from pipeline.findings import ERROR, WARNING, Finding
from pipeline.profile import Profile
from pipeline.read import SourceFile


def _findings_for(
    mask: pd.Series,
    sf: SourceFile,
    header: str | None,
    rule: str,
    message: str,
    severity: str = ERROR,
) -> list[Finding]:
    lines = sf.frame.loc[mask, "source_line"].astype(int).tolist()
    return [
        Finding(sf.source, sf.path.name, line, header, severity, rule, message) for line in lines
    ]


def _header(profile: Profile, source: str, column: str) -> str:
    return profile.source(source).columns[column].header


def validate_rows(
    sf: SourceFile, profile: Profile, known_units: set[str] | None = None
) -> tuple[pd.DataFrame, list[Finding]]:
    """Split a source file's rows into the ones that load and findings for the ones that do not.

    Returns the good rows (helper columns removed) and the findings; every quarantined row has at
    least one ERROR finding, so no row disappears without a trace.
    """
    df = sf.frame
    findings: list[Finding] = []
    bad = pd.Series(False, index=df.index)
    src = sf.source

    def rule(mask: pd.Series, column: str | None, rule_id: str, message: str) -> None:
        nonlocal bad
        mask = mask.fillna(False).astype(bool) & ~bad  # one reason per row is enough to act on
        if mask.any():
            header = _header(profile, src, column) if column else None
            findings.extend(_findings_for(mask, sf, header, rule_id, message))
            bad = bad | mask

    source = profile.source(src)
    for column in source.columns.values():
        if column.name in df.columns and f"_{column.name}_invalid" in df.columns:
            bad = bad | df[f"_{column.name}_invalid"]
        if column.required and not column.allow_empty and column.name in df.columns:
            rule(
                df[column.name].isna() & ~bad,
                column.name,
                "value_missing",
                f"«{column.header}» mangler. Fyll inn verdien i fagsystemet og eksporter på nytt.",
            )

    if src == "employments":
        pct = df["position_pct"]
        rule(
            (pct <= 0) | (pct > 100),
            "position_pct",
            "position_pct_out_of_range",
            "Stillingsprosenten må være større enn 0 og høyst 100. Rett arbeidsforholdet.",
        )
        rule(
            df["to_date"].notna() & (df["to_date"] < df["from_date"]),
            "to_date",
            "end_before_start",
            "«Til dato» er før «Fra dato». Rett datoene i arbeidsforholdet.",
        )
    elif src == "absences":
        pct = df["absence_pct"]
        rule(
            pct.notna() & ((pct <= 0) | (pct > 100)),
            "absence_pct",
            "grade_out_of_range",
            "Fraværsprosenten må være større enn 0 og høyst 100 (tom betyr 100). Rett fraværet.",
        )
        rule(
            df["to_date"] < df["from_date"],
            "to_date",
            "end_before_start",
            "«Til dato» er før «Fra dato». Rett datoene på fraværet.",
        )
        codes = set(profile.absence_codes)
        rule(
            ~df["absence_code"].isin(codes),
            "absence_code",
            "absence_code_unknown",
            "Fraværskoden er ukjent for kildeprofilen. Legg koden inn under absence_codes i "
            "profilen (egenmeldt, legemeldt eller ikke sykefravær), eller rett koden.",
        )
    elif src == "organisation":
        rule(
            df["valid_to"].notna() & df["valid_from"].notna() & (df["valid_to"] < df["valid_from"]),
            "valid_to",
            "end_before_start",
            "«Til dato» er før «Fra dato» for enheten.",
        )

    if known_units is not None and "unit_code" in df.columns and src != "organisation":
        unknown = (
            df["unit_code"].notna() & (df["unit_code"] != "") & ~df["unit_code"].isin(known_units)
        )
        rule(
            unknown,
            "unit_code",
            "unit_unknown",
            "Arbeidsstedet finnes ikke i organisasjonsfilen. Legg enheten inn i "
            "organisasjonsuttrekket, eller rett arbeidsstedet.",
        )

    value_columns = [c for c in df.columns if c != "source_line" and not c.startswith("_")]
    duplicate = df.duplicated(subset=value_columns, keep="first")
    rule(
        duplicate,
        None,
        "duplicate_row",
        "Raden er en nøyaktig kopi av en tidligere rad i samme fil og er ikke lest inn to ganger.",
    )

    good = df.loc[~bad, [c for c in df.columns if not c.startswith("_")]].reset_index(drop=True)
    return good, findings


def warn_unknown_units_in_org(sf: SourceFile) -> list[Finding]:
    """Organisation rows without a sector cannot place their employees in any sector."""
    mask = sf.frame["sector_code"].isna() | (sf.frame["sector_code"] == "")
    return _findings_for(
        mask,
        sf,
        "Sektor",
        "sector_missing",
        "Enheten mangler sektor. Fyll inn sektor i organisasjonsfilen.",
        WARNING,
    )
