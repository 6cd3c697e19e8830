"""The validation report HR reads after a night: per file, what was loaded, what was rejected or
quarantined and why, with line and column. Self-contained HTML (no scripts, no external files),
written beside the published database. Holds no personal data: findings never carry values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import filemodes

OUTCOME_LABELS = {"loaded": "Lest inn", "rejected": "Avvist", "duplicate": "Duplikat, hoppet over"}
SEVERITY_LABELS = {"error": "Feil (ikke lest inn)", "warning": "Advarsel (lest inn)"}

TEMPLATES = Path(__file__).parent / "templates"


def _text(value) -> str:
    """A cell's text: empty for a missing value (the template escapes it)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return str(value)


def _rows(frame: pd.DataFrame, labels: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The frame's rows as text, with a `<column>_label` for each labelled column."""
    rows = []
    for record in frame.to_dict("records"):
        row = {name: _text(value) for name, value in record.items()}
        for column, words in labels.items():
            row[f"{column}_label"] = words.get(row[column], row[column])
        rows.append(row)
    return rows


def render_validation_report(
    run_id: str, as_of, load_log: pd.DataFrame, findings: pd.DataFrame
) -> str:
    """The report as an HTML string (a Jinja2 template, every value escaped: file names and
    messages come from the exports)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    by_file = [
        (
            _text(name),
            _rows(
                group.sort_values(["line", "rule"], na_position="first"),
                {"severity": SEVERITY_LABELS},
            ),
        )
        for name, group in findings.groupby("file", sort=True)
    ]
    return environment.get_template("validation_report.html.j2").render(
        run_id=_text(run_id),
        as_of=f"{as_of:%d.%m.%Y}",
        files=_rows(load_log, {"outcome": OUTCOME_LABELS}),
        rejected=int((load_log["outcome"] == "rejected").sum()),
        finding_count=len(findings),
        findings_by_file=by_file,
    )


def write_validation_report(
    path: Path, run_id: str, as_of, load_log: pd.DataFrame, findings: pd.DataFrame
) -> Path:
    """Write the report atomically (a reader never sees half a page), readable by the share group
    like the published database (it names files and rules, never a person)."""
    text = render_validation_report(run_id, as_of, load_log, findings)
    return filemodes.write_text(path, text, shared=True)
