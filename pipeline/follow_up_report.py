"""The follow-up figures HR reads in the night summary and the gevinstrapport: for the whole
municipality, ongoing cases by the last milestone passed and those reaching each milestone in
the coming 7 and 14 days (follow_up_status), and for a quarter the share of milestones whose
activity was registered on time, late or not at all (follow_up_compliance). Only the published,
aggregated and masked tables are read: never a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from pipeline.vocabulary import MASKED_TEXT, NO_DATA_TEXT, percent_or_gap


@dataclass(frozen=True)
class FollowUpFigures:
    as_of: dt.date
    status: list[dict] = field(default_factory=list)  # one row per milestone (0: none passed)
    quarter: str | None = None  # the compliance quarter
    compliance: list[dict] = field(default_factory=list)  # one row per milestone; empty: no export
    total: dict | None = None  # all milestones of the quarter together

    @property
    def ongoing_cases(self) -> int | None:
        values = [r["ongoing"] for r in self.status]
        return None if not values or None in values else sum(values)


def _has(con: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    found = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    return set(tables) <= found


def follow_up_figures(
    con: duckdb.DuckDBPyConnection, quarter: str | None = None
) -> FollowUpFigures | None:
    """The municipality's follow-up figures; compliance for `quarter` (default: the latest
    quarter with compliance rows). None for a database without the follow-up tables."""
    if not _has(con, "follow_up_status", "follow_up_compliance"):
        return None
    status_rows = con.execute(
        """
        SELECT as_of, milestone_label, ongoing_cases_last_passed, cases_due_next_7_days,
            cases_due_next_14_days, is_masked
        FROM follow_up_status WHERE scope_level = 'municipality' ORDER BY milestone_no
        """
    ).fetchall()
    if not status_rows:
        return None
    status = [
        {"label": label, "ongoing": ongoing, "due_7": due_7, "due_14": due_14, "masked": masked}
        for _, label, ongoing, due_7, due_14, masked in status_rows
    ]
    if quarter is None:
        quarter = con.execute(
            "SELECT max(quarter) FROM follow_up_compliance WHERE cases_passed > 0"
        ).fetchone()[0]
    rows = con.execute(
        """
        SELECT milestone_label, cases_passed, on_time, late, missing, on_time_pct, late_pct,
            missing_pct, is_masked
        FROM follow_up_compliance
        WHERE scope_level = 'municipality' AND quarter = ? ORDER BY milestone_no
        """,
        [quarter],
    ).fetchall()
    compliance = [
        {
            "label": r[0],
            "passed": r[1],
            "on_time": r[2],
            "late": r[3],
            "missing": r[4],
            "on_time_pct": r[5],
            "late_pct": r[6],
            "missing_pct": r[7],
            "masked": r[8],
        }
        for r in rows
    ]
    return FollowUpFigures(
        status_rows[0][0], status, quarter if rows else None, compliance, _total(compliance)
    )


def _total(rows: list[dict]) -> dict | None:
    """All milestones together: a ratio of the sums, never an average of the shares."""
    if not rows or any(r["masked"] for r in rows):
        return None
    passed = sum(r["passed"] for r in rows)
    if not passed:
        return None
    # one decimal, half up, on whole numbers: round(1000 n / p) = floor((2000 n + p) / 2p)
    share = {
        k: Decimal((2000 * sum(r[k] for r in rows) + passed) // (2 * passed)) / 10
        for k in ("on_time", "late", "missing")
    }
    return {"passed": passed, **{f"{k}_pct": v for k, v in share.items()}}


def _pct(value, masked: bool) -> str:
    return percent_or_gap(None if value is None else str(value), masked)


def _count(value, masked: bool) -> str:
    if masked:
        return MASKED_TEXT
    return NO_DATA_TEXT if value is None else str(value)


def markdown_lines(figures: FollowUpFigures | None) -> list[str]:
    """The night summary's section on the follow-up of sick leave (Norwegian markdown)."""
    if figures is None:
        return []
    lines = [
        f"## Oppfølging av sykmeldte per {figures.as_of:%d.%m.%Y}",
        "",
        "| Stoppunkt | Pågående tilfeller, sist passert | Neste 7 dager | Neste 14 dager |",
        "|---|---:|---:|---:|",
    ]
    for r in figures.status:
        lines.append(
            f"| {r['label']} | {_count(r['ongoing'], r['masked'])} | "
            f"{_count(r['due_7'], r['masked'])} | {_count(r['due_14'], r['masked'])} |"
        )
    lines.append("")
    if not figures.compliance:
        lines += [
            "Ingen oppfølgingsuttrekk (data/raw/oppfolging): etterlevelse kan ikke måles.",
            "",
        ]
        return lines
    lines += [
        f"### Oppfølging i tide {figures.quarter}",
        "",
        "| Stoppunkt | Passert | I tide % | For sent % | Mangler % |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in figures.compliance:
        lines.append(
            f"| {r['label']} | {_count(r['passed'], r['masked'])} | "
            f"{_pct(r['on_time_pct'], r['masked'])} | {_pct(r['late_pct'], r['masked'])} | "
            f"{_pct(r['missing_pct'], r['masked'])} |"
        )
    if figures.total:
        t = figures.total
        lines.append(
            f"| Alle stoppunkter | {t['passed']} | {_pct(t['on_time_pct'], False)} | "
            f"{_pct(t['late_pct'], False)} | {_pct(t['missing_pct'], False)} |"
        )
    lines += [
        "",
        "Lederne har sine handlingslister i data/handlingslister (bare for dem og HR).",
        "",
    ]
    return lines


def night_follow_up(analytics_path) -> FollowUpFigures | None:
    """The figures from the published database, for the night summary (None without one)."""
    from pipeline.database_files import connect

    if not analytics_path.is_file():
        return None
    con = connect(analytics_path, read_only=True)
    try:
        return follow_up_figures(con)
    finally:
        con.close()


def follow_up_section(figures: FollowUpFigures | None) -> dict | None:
    """The gevinstrapport's section: an introduction and the two tables, as plain text cells."""
    if figures is None:
        return None
    tables = [
        {
            "title": f"Stoppunkter per {figures.as_of:%d.%m.%Y}, hele kommunen",
            "headings": ["Stoppunkt", "Pågående, sist passert", "Neste 7 dager", "Neste 14 dager"],
            "rows": [
                [
                    r["label"],
                    _count(r["ongoing"], r["masked"]),
                    _count(r["due_7"], r["masked"]),
                    _count(r["due_14"], r["masked"]),
                ]
                for r in figures.status
            ],
        }
    ]
    if figures.compliance:
        rows = [
            [
                r["label"],
                _count(r["passed"], r["masked"]),
                _pct(r["on_time_pct"], r["masked"]),
                _pct(r["late_pct"], r["masked"]),
                _pct(r["missing_pct"], r["masked"]),
            ]
            for r in figures.compliance
        ]
        if figures.total:
            t = figures.total
            rows.append(
                ["Alle stoppunkter", str(t["passed"])]
                + [_pct(t[k], False) for k in ("on_time_pct", "late_pct", "missing_pct")]
            )
        tables.append(
            {
                "title": f"Oppfølging i tide {figures.quarter}, hele kommunen",
                "headings": ["Stoppunkt", "Vurdert", "I tide %", "For sent %", "Mangler %"],
                "rows": rows,
            }
        )
    intro = (
        "Stoppunktene i sykefraværsoppfølgingen (arbeidsmiljøloven § 4-6, folketrygdloven "
        "§§ 8-7 a, 8-8, 8-12 og 8-19, og kommunens egen rutine), regnet i kalenderdager fra "
        "tilfellets første dag. «I tide» = aktiviteten er registrert senest første arbeidsdag "
        "på eller etter forfallsdagen."
    )
    if not figures.compliance:
        intro += " Uten oppfølgingsuttrekk (data/raw/oppfolging) kan etterlevelsen ikke måles."
    return {"intro": intro, "tables": tables}
