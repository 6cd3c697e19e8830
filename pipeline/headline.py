"""What a run prints at the end: where the results are and a few headline figures."""

from __future__ import annotations

from decimal import Decimal

from pipeline.warehouse import connect


def norwegian_number(value: Decimal | float | None, decimals: int = 1) -> str:
    """1234.5 -> '1 234,5' with a non-breaking space, the way HR reads numbers."""
    if value is None:
        return "–"
    text = f"{Decimal(value):,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def print_headline(summary) -> None:
    con = connect(summary.analytics_path, read_only=True)
    try:
        latest = (
            con.execute("SELECT max(quarter) FROM quarters WHERE is_complete").fetchone()[0]
            or con.execute("SELECT max(quarter) FROM quarters").fetchone()[0]
        )
        rows = con.execute(
            """
            SELECT scope_level, scope_name, sick_leave_pct, is_masked
            FROM sick_leave_quarterly
            WHERE quarter = ? AND scope_level IN ('municipality', 'sector')
            ORDER BY scope_level = 'sector', scope_code
            """,
            [latest],
        ).fetchall()
    finally:
        con.close()
    print()
    print(f"Ferdig (kjøring {summary.run_id}, beregnet per {summary.as_of:%d.%m.%Y}).")
    print(
        f"  Filer lest: {summary.files_read}, avvist: {summary.files_rejected}; "
        f"rader lest inn: {summary.rows_loaded}; funn: {summary.findings} "
        f"({summary.errors} feil)."
    )
    print(f"  Database for analytikere: {summary.analytics_path}")
    print(f"  Valideringsrapport: {summary.analytics_path.parent / 'validering.html'}")
    reports = getattr(summary, "reports_dir", None)
    if reports:
        for path in sorted(reports.glob("gevinstrapport_*")):
            print(f"  Gevinstrapport for HR: {path}")
    print(f"Sykefravær {latest}:")
    for level, name, pct, masked in rows:
        shown = "skjult (færre enn 5)" if masked else f"{norwegian_number(pct)} %"
        indent = "    " if level == "sector" else "  "
        print(f"{indent}{name}: {shown}")
