"""What a run prints at the end: where the results are and a few headline figures."""

from __future__ import annotations

from pipeline.vocabulary import masked_label, norwegian_number


def print_headline(summary) -> None:
    from pipeline.night_report import latest_figures  # shares the query with the night report
    from pipeline.sample_marker import SAMPLE_NOTICE

    figures = latest_figures(summary.analytics_path)
    latest = figures["quarter"]
    rows = [
        (r["scope_level"], r["scope_name"], r["sick_leave_pct"], r["is_masked"])
        for r in figures["rows"]
    ]
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
    if figures["is_sample_data"]:
        print(f"  {SAMPLE_NOTICE} (eksempelkommunen fra «sickleave generate»).")
    print(f"Sykefravær {latest}:")
    hidden = masked_label(figures["mask_threshold"])
    for level, name, pct, masked in rows:
        shown = hidden if masked else f"{norwegian_number(pct)} %"
        indent = "    " if level == "sector" else "  "
        print(f"{indent}{name}: {shown}")
