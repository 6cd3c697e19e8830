"""The validation report HR reads after a night: per file, what was loaded, what was rejected or
quarantined and why, with line and column. Self-contained HTML (no scripts, no external files),
written beside the published database. Holds no personal data: findings never carry values."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from pipeline import filemodes

OUTCOME_LABELS = {"loaded": "Lest inn", "rejected": "Avvist", "duplicate": "Duplikat, hoppet over"}
SEVERITY_LABELS = {"error": "Feil (ikke lest inn)", "warning": "Advarsel (lest inn)"}

_STYLE = """
body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:2em;color:#1a1a1a;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f0f0f0}.error{background:#fde8e8}.warning{background:#fff6dc}
.rejected{background:#fde8e8;font-weight:bold}.ok{color:#226622}
"""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return html.escape(str(value))


def render_validation_report(
    run_id: str, as_of, load_log: pd.DataFrame, findings: pd.DataFrame
) -> str:
    """The report as an HTML string."""
    parts = [
        "<!DOCTYPE html><html lang='nb'><head><meta charset='utf-8'>",
        "<title>Valideringsrapport</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Valideringsrapport for nattkjøringen</h1>",
        f"<p>Kjøring {_cell(run_id)}, beregnet per {as_of:%d.%m.%Y}. "
        f"{len(load_log)} filer lest, {int((load_log['outcome'] == 'rejected').sum())} avvist, "
        f"{len(findings)} funn.</p>",
        "<h2>Filer</h2><table><tr><th>Kilde</th><th>Fil</th><th>Utfall</th><th>Rader lest</th>"
        "<th>Lest inn</th><th>I karantene</th><th>Erstattet av nyere</th><th>Årsak</th></tr>",
    ]
    for row in load_log.itertuples(index=False):
        css = "rejected" if row.outcome == "rejected" else ""
        parts.append(
            f"<tr class='{css}'><td>{_cell(row.source)}</td><td>{_cell(row.file)}</td>"
            f"<td>{_cell(OUTCOME_LABELS.get(row.outcome, row.outcome))}</td>"
            f"<td>{_cell(row.rows_read)}</td><td>{_cell(row.rows_loaded)}</td>"
            f"<td>{_cell(row.rows_quarantined)}</td><td>{_cell(row.rows_superseded)}</td>"
            f"<td>{_cell(row.reason)}</td></tr>"
        )
    parts.append("</table>")
    if findings.empty:
        parts.append("<p class='ok'>Ingen funn: alle rader er lest inn.</p>")
    for file_name, group in findings.groupby("file", sort=True):
        parts.append(
            f"<h2>{_cell(file_name)}</h2><table><tr><th>Linje</th><th>Kolonne</th>"
            "<th>Alvorlighet</th><th>Regel</th><th>Hva er galt, og hva du gjør</th></tr>"
        )
        ordered = group.sort_values(["line", "rule"], na_position="first")
        for row in ordered.itertuples(index=False):
            parts.append(
                f"<tr class='{_cell(row.severity)}'><td>{_cell(row.line)}</td>"
                f"<td>{_cell(row.column)}</td>"
                f"<td>{_cell(SEVERITY_LABELS.get(row.severity, row.severity))}</td>"
                f"<td>{_cell(row.rule)}</td><td>{_cell(row.message)}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<p>Avviste filer er flyttet til mappen <code>rejected</code> ved siden av "
        "<code>raw</code>, med årsaken i en <code>.grunn.txt</code>-fil. Rett "
        "uttrekket og legg den rettede filen i <code>data/raw</code> igjen.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_validation_report(
    path: Path, run_id: str, as_of, load_log: pd.DataFrame, findings: pd.DataFrame
) -> Path:
    """Write the report atomically (a reader never sees half a page), readable by the share group
    like the published database (it names files and rules, never a person)."""
    text = render_validation_report(run_id, as_of, load_log, findings)
    return filemodes.write_text(path, text, shared=True)
