"""What one night tells the operator and HR: the latest published figures, what was read and
rejected, and how the headline figures moved since the previous publish.

Plain functions over plain data; flows/artifacts.py turns the results into Prefect artifacts.
Only aggregated, masked figures from the published database appear here, never a person.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.database_files import connect
from pipeline.findings import ERROR, Finding
from pipeline.follow_up_report import FollowUpFigures
from pipeline.follow_up_report import markdown_lines as follow_up_markdown
from pipeline.sample_marker import SAMPLE_NOTICE
from pipeline.vocabulary import (
    MASKED_TEXT,
    NO_DATA_TEXT,
    norwegian_count,
    norwegian_number,
    percent_or_gap,
    signed_number,
)

LEVEL_NAMES = {"municipality": "Hele kommunen", "sector": "Sektor"}
FIGURE_COLUMNS = ["sick_leave_pct", "self_certified_pct", "doctor_certified_pct"]


def latest_figures(analytics_path: Path) -> dict[str, Any]:
    """Municipality and sector figures of the latest quarter in the published database.

    The latest complete quarter when there is one (as the run's headline), else the latest.
    Percentages are kept as decimal strings ("11.1") so they survive JSON exactly. With them the
    masking threshold the figures were masked with and whether they are sample data (run_info).
    """
    con = connect(Path(analytics_path), read_only=True)
    try:
        mask_threshold, is_sample = run_info(con)
        quarter, is_complete = con.execute(
            "SELECT quarter, is_complete FROM quarters "
            "ORDER BY is_complete DESC, quarter DESC LIMIT 1"
        ).fetchone()
        rows = con.execute(
            f"""
            SELECT scope_level, scope_code, scope_name, {", ".join(FIGURE_COLUMNS)},
                persons, is_masked
            FROM sick_leave_quarterly
            WHERE quarter = ? AND scope_level IN ('municipality', 'sector')
            ORDER BY scope_level = 'sector', scope_code
            """,
            [quarter],
        ).fetchall()
        cost = net_cost_figures(con, quarter)
    finally:
        con.close()
    figures = []
    for level, code, name, *values, persons, masked in rows:
        row = {"scope_level": level, "scope_code": code, "scope_name": name}
        row.update(
            {c: None if v is None else str(v) for c, v in zip(FIGURE_COLUMNS, values, strict=True)}
        )
        row.update({"persons": persons, "is_masked": bool(masked)})
        figures.append(row)
    return {
        "quarter": quarter,
        "is_complete": bool(is_complete),
        "rows": figures,
        "mask_threshold": mask_threshold,
        "is_sample_data": is_sample,
        **cost,
    }


def net_cost_figures(con, quarter: str) -> dict[str, Any]:
    """The whole municipality's net cost of sick leave in the quarter and the same quarter a year
    before (decimal strings, None when masked or missing); nothing for a database published
    before the cost marts."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sick_leave_cost_quarterly'"
    ).fetchone()[0]
    if not found:
        return {}
    year_before = f"{int(quarter[:4]) - 1}{quarter[4:]}"
    rows = dict(
        con.execute(
            "SELECT quarter, net_cost_kr FROM sick_leave_cost_quarterly "
            "WHERE scope_level = 'municipality' AND quarter IN (?, ?)",
            [quarter, year_before],
        ).fetchall()
    )
    now, before = rows.get(quarter), rows.get(year_before)
    return {
        "net_cost_kr": None if now is None else str(now),
        "net_cost_year_before_kr": None if before is None else str(before),
    }


def net_cost_lines(current: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    """The night summary's lines on the net cost: now, at the previous publish and the same
    quarter a year before, with the changes in kroner."""
    if "net_cost_kr" not in current:
        return []

    def kroner(value: str | None) -> str:
        return NO_DATA_TEXT if value is None else f"{norwegian_count(round(Decimal(value)))} kr"

    def change(new: str | None, old: str | None) -> str:
        if new is None or old is None:
            return NO_DATA_TEXT
        difference = round(Decimal(new) - Decimal(old))
        sign = "+" if difference > 0 else "−" if difference < 0 else "±"
        return f"{sign}{norwegian_count(abs(difference))} kr"

    now = current["net_cost_kr"]
    old = (previous or {}).get("net_cost_kr")
    old_quarter = (previous or {}).get("quarter")
    year_before = current.get("net_cost_year_before_kr")
    label = f"{int(current['quarter'][:4]) - 1}{current['quarter'][4:]}"
    return [
        f"## Netto kostnad ved sykefravær {current['quarter']}, hele kommunen",
        "",
        "| Sammenlignet med | Da | Nå | Endring |",
        "|---|---:|---:|---:|",
        f"| Forrige publisering ({old_quarter or '–'}) | {kroner(old)} | {kroner(now)} | "
        f"{change(now, old)} |",
        f"| Samme kvartal året før ({label}) | {kroner(year_before)} | {kroner(now)} | "
        f"{change(now, year_before)} |",
        "",
        "Netto kostnad = tapt lønn med arbeidsgiveravgift minus forventet refusjon fra NAV "
        "(tabellen `sick_leave_cost_quarterly`).",
        "",
    ]


def run_info(con) -> tuple[int | None, bool]:
    """(masking threshold, sample data?) from the published run_info table; (None, False) for a
    database published before the table existed."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'run_info'"
    ).fetchone()[0]
    if not found:
        return None, False
    row = con.execute("SELECT mask_threshold, is_sample_data FROM run_info").fetchone()
    return (row[0], bool(row[1])) if row else (None, False)


def status_table(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest quarter's figures as rows with Norwegian column names, as HR reads them."""
    return [
        {
            "Kvartal": figures["quarter"] + ("" if figures["is_complete"] else " (ufullstendig)"),
            "Nivå": LEVEL_NAMES.get(row["scope_level"], row["scope_level"]),
            "Kode": row["scope_code"],
            "Navn": row["scope_name"],
            "Sykefravær %": percent_or_gap(row["sick_leave_pct"], row["is_masked"]),
            "Egenmeldt %": percent_or_gap(row["self_certified_pct"], row["is_masked"]),
            "Legemeldt %": percent_or_gap(row["doctor_certified_pct"], row["is_masked"]),
            "Personer": MASKED_TEXT if row["is_masked"] else row["persons"],
        }
        for row in figures["rows"]
    ]


def headline_changes(
    current: dict[str, Any], previous: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Sick-leave percentage now and at the previous publish, per municipality/sector.

    `change` is in percentage points (Decimal), None when either side has no value (masked,
    no data, or the group is new).
    """
    before: dict[tuple[str, str], dict[str, Any]] = {}
    previous_quarter = None
    if previous:
        previous_quarter = previous.get("quarter")
        before = {(r["scope_level"], r["scope_code"]): r for r in previous.get("rows", [])}
    changes = []
    for row in current["rows"]:
        old = before.get((row["scope_level"], row["scope_code"]))
        now_value = None if row["is_masked"] else row["sick_leave_pct"]
        old_value = None if old is None or old["is_masked"] else old["sick_leave_pct"]
        change = None
        if now_value is not None and old_value is not None:
            change = Decimal(now_value) - Decimal(old_value)
        changes.append(
            {
                "scope_level": row["scope_level"],
                "scope_name": row["scope_name"],
                "previous_quarter": previous_quarter if old is not None else None,
                "previous": old_value,
                "current": now_value,
                "is_masked": row["is_masked"],
                "change": change,
            }
        )
    return changes


def summary_markdown(
    *,
    night: str,
    run_id: str,
    as_of: str,
    skipped: bool,
    files_read: int,
    rejected: list[tuple[str, str]],
    rows_loaded: int,
    findings: list[Finding],
    current: dict[str, Any] | None,
    previous: dict[str, Any] | None,
    previous_run: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
    follow_up: FollowUpFigures | None = None,
) -> str:
    """The night summary in Norwegian markdown: status, counts, rejected files, findings per
    rule and the headline figures against the previous publish.

    `night` is the run's date as shown (dd.mm.yyyy), `as_of` likewise; `previous_run` is the last
    publish's record (run_id, finished_at), `previous` its figures. `warnings` (such as a lost
    pseudonymisation key) come first, where nobody can miss them. `follow_up`: the follow-up
    milestones and compliance (pipeline.follow_up_report), last.
    """
    lines = [f"# Nattkjøring sykefravær {night}", ""]
    for warning in warnings or []:
        lines += [f"> **Advarsel:** {warning}", ""]
    if current and current.get("is_sample_data"):
        lines += [
            f"**{SAMPLE_NOTICE}**: inndataene er eksempelkommunen fra `sickleave generate`.",
            "",
        ]
    lines += _status_lines(run_id, as_of, skipped, previous_run)
    lines += _count_lines(files_read, rejected, rows_loaded, findings)
    lines += _rejected_lines(rejected) + _finding_lines(findings)
    if current:
        lines += _headline_lines(current, previous)
        lines += net_cost_lines(current, previous)
    lines += follow_up_markdown(
        follow_up
    )  # the follow-up of sick leave (pipeline/follow_up_report)
    return "\n".join(lines)


def _status_lines(run_id, as_of, skipped, previous_run) -> list[str]:
    if not skipped:
        return [f"**Ny beregning** (kjøring {run_id}, beregnet per {as_of}).", ""]
    since = ""
    if previous_run:
        since = (
            f" (kjøring {previous_run.get('run_id', '?')}, "
            f"{str(previous_run.get('finished_at', '?'))[:16].replace('T', ' ')})"
        )
    return [
        f"**Ingen endringer** i inndata siden forrige publisering{since}: ingenting er lest "
        "inn eller beregnet på nytt, og de publiserte tallene er uendret. "
        "Kjør `sickleave run --force` for å beregne likevel.",
        "",
    ]


def _count_lines(files_read, rejected, rows_loaded, findings) -> list[str]:
    errors = sum(1 for f in findings if f.severity == ERROR)
    return [
        "| | Antall |",
        "|---|---:|",
        f"| Filer lest | {files_read} |",
        f"| Filer avvist | {len(rejected)} |",
        f"| Rader lest inn | {rows_loaded} |",
        f"| Funn (feil) | {len(findings)} ({errors}) |",
        "",
    ]


def _rejected_lines(rejected: list[tuple[str, str]]) -> list[str]:
    if not rejected:
        return []
    lines = ["## Avviste filer (ikke med i tallene)", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in rejected]
    return lines + [
        "",
        "Rett filen og legg den i inndatamappen igjen; neste natt leses den inn.",
        "",
    ]


def _finding_lines(findings: list[Finding]) -> list[str]:
    if not findings:
        return []
    lines = ["## Funn per regel", "", "| Regel | Alvorlighet | Antall |", "|---|---|---:|"]
    counts = Counter((f.rule, f.severity) for f in findings)
    for (rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {rule} | {'feil' if severity == ERROR else 'advarsel'} | {n} |")
    return lines + [
        "",
        "Detaljer (fil, linje, kolonne, årsak) i tabellen `validation_findings`.",
        "",
    ]


def _headline_lines(current: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    state = "helt kvartal" if current["is_complete"] else "ufullstendig kvartal"
    lines = [
        f"## Sykefravær {current['quarter']} ({state}) mot forrige publisering",
        "",
        "| Nivå | Navn | Forrige | Nå | Endring (prosentpoeng) |",
        "|---|---|---:|---:|---:|",
    ]
    for c in headline_changes(current, previous):
        old = NO_DATA_TEXT
        if c["previous"] is not None:
            old = f"{norwegian_number(Decimal(c['previous']))} %"
        if c["previous"] is not None and c["previous_quarter"] != current["quarter"]:
            old += f" ({c['previous_quarter']})"
        now = MASKED_TEXT if c["is_masked"] else NO_DATA_TEXT
        if c["current"] is not None:
            now = f"{norwegian_number(Decimal(c['current']))} %"
        level = LEVEL_NAMES.get(c["scope_level"], c["scope_level"])
        change = signed_number(c["change"])
        lines.append(f"| {level} | {c['scope_name']} | {old} | {now} | {change} |")
    return lines + [""]
