"""Prefect artifacts for the night, under stable keys so the UI's Artifacts page always shows the
latest version and its history:

- `sickleave-indicator-status` (table): municipality and sector figures of the latest quarter,
  read from the published analytics.duckdb;
- `sickleave-night-summary` (markdown): files read and rejected, rows loaded, findings, and the
  headline figures against the previous publish;
- `sickleave-reports` (markdown): `file://` links to the published database, the validation
  report beside it, HR's reports folder and the warehouse folder (a link artifact holds one link
  only, and an operator wants all four).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

STATUS_KEY = "sickleave-indicator-status"
SUMMARY_KEY = "sickleave-night-summary"
REPORTS_KEY = "sickleave-reports"


def reports_markdown(
    analytics_path: Path, validation_report: Path | None, reports_dir: Path | None
) -> str:
    """The night's files as `file://` links (only those that exist), one per line."""
    analytics_path = Path(analytics_path).resolve()
    entries = [
        ("Database for analytikere (DuckDB, kun lesing)", analytics_path),
        ("Valideringsrapport", validation_report),
        ("Rapporter for HR (gevinstrapport, CSV, Parquet)", reports_dir),
        ("Mappen med databasene", analytics_path.parent),
    ]
    lines = [
        f"- {label}: [{Path(path).resolve().name}]({Path(path).resolve().as_uri()})"
        for label, path in entries
        if path is not None and Path(path).exists()
    ]
    return "\n".join(lines)


@task(name="night-artifacts", cache_policy=NO_CACHE)
def create_night_artifacts(
    status_rows: list[dict[str, Any]],
    summary_markdown: str,
    analytics_path: Path,
    quarter: str | None,
    validation_report: Path | None = None,
    reports_dir: Path | None = None,
) -> None:
    """Create the three artifacts (table, summary, links) for this night."""
    if status_rows:
        create_table_artifact(
            table=status_rows,
            key=STATUS_KEY,
            description=f"Sykefravær {quarter}: hele kommunen og sektorene (publiserte tall).",
        )
    create_markdown_artifact(
        markdown=summary_markdown,
        key=SUMMARY_KEY,
        description="Nattkjøringen: filer, rader, funn og endring i hovedtallene.",
    )
    create_markdown_artifact(
        markdown=reports_markdown(analytics_path, validation_report, reports_dir),
        key=REPORTS_KEY,
        description="Nattens filer: databasen, valideringsrapporten og rapportene for HR.",
    )
