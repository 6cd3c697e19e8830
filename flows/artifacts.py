"""Prefect artifacts for the night, under stable keys so the UI's Artifacts page always shows the
latest version and its history:

- `sickleave-indicator-status` (table): municipality and sector figures of the latest quarter,
  read from the published analytics.duckdb;
- `sickleave-night-summary` (markdown): files read and rejected, rows loaded, findings, and the
  headline figures against the previous publish;
- `sickleave-reports` (link): the published database, with the folder it lives in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

STATUS_KEY = "sickleave-indicator-status"
SUMMARY_KEY = "sickleave-night-summary"
REPORTS_KEY = "sickleave-reports"


@task(name="night-artifacts", cache_policy=NO_CACHE)
def create_night_artifacts(
    status_rows: list[dict[str, Any]],
    summary_markdown: str,
    analytics_path: Path,
    quarter: str | None,
) -> None:
    """Create the three artifacts (table, markdown, link) for this night."""
    analytics_path = Path(analytics_path).resolve()
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
    folder = analytics_path.parent
    create_link_artifact(
        link=analytics_path.as_uri(),
        link_text=analytics_path.name,
        key=REPORTS_KEY,
        description=(
            "Publisert database for analytikere (DuckDB, kun lesing). "
            f"Mappen med databasen og rapportene: [{folder}]({folder.as_uri()})"
        ),
    )
