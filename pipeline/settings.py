"""Settings from the environment (prefix SICKLEAVE_), and the environment Prefect needs to run
unattended on a fresh machine."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.profile import DEFAULT_PROFILE, PROJECT_ROOT


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SICKLEAVE_")

    raw_dir: Path = PROJECT_ROOT / "data" / "raw"
    warehouse_dir: Path = PROJECT_ROOT / "data" / "warehouse"
    # Groups with fewer persons than this are masked (prikket) in everything published.
    mask_threshold: int = 5
    municipality_name: str = "Hele kommunen"
    # The gevinstplan: indicators and yearly targets (one file; HR edits it, no code changes).
    plan_path: Path = PROJECT_ROOT / "plan.yaml"
    # The source profile: the exports' columns, absence codes and folders (SICKLEAVE_PROFILE).
    profile: Path = DEFAULT_PROFILE
    # `sickleave serve`: when the nightly run starts (cron, in the given IANA time zone, so the
    # run stays at 02:00 local time across daylight saving).
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "Europe/Oslo"
    # Apprise URLs, comma-separated, for failed runs and nights with rejected files; empty = none.
    alert_urls: str = ""
    # The group that may read the published database and the reports (files 0640, folders
    # 0750); empty = owner only. Person-level files are owner-only whatever this says.
    share_group: str = ""
    # Days an original export (names, identity numbers, free text) and a rejected file are kept
    # after the archive first saw them; then the export is minimised in place and the rejected
    # file deleted (pipeline/retention.py). 90 days: a quarter's corrections have come by then;
    # 0 = at the next night.
    raw_retention_days: int = Field(default=90, ge=0)
    # The pseudonymisation key itself (SICKLEAVE_PSEUDONYM_KEY), or else the file that holds it
    # (SICKLEAVE_KEY_FILE; default ~/.config/sickleave/pseudonym.key, made on first use).
    # The most memory DuckDB may hold while it builds the warehouse (e.g. "2GB"); beyond it, it
    # spills to a temporary folder beside the database. Empty = DuckDB's default (80 % of RAM).
    duckdb_memory_limit: str = ""
    pseudonym_key: SecretStr = SecretStr("")
    key_file: Path = Field(default_factory=lambda: _config_home() / "sickleave" / "pseudonym.key")

    @property
    def alert_url_list(self) -> list[str]:
        """The alert URLs one by one, blanks dropped."""
        return [url.strip() for url in self.alert_urls.split(",") if url.strip()]


def configure_prefect_environment() -> None:
    """Prefect settings for unattended runs without a server; must run before Prefect is imported.

    The first start of Prefect's temporary server migrates its database (17-25 s on these
    machines), longer than its default 20 s timeout; Prefect's home stays inside the project so a
    run never touches the user's home; telemetry is off because there is no internet to reach.
    """
    defaults = {
        "PREFECT_HOME": str(PROJECT_ROOT / ".prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_TO_API_ENABLED": "true",
        # The night logs to the "sickleave" logger (pipeline.night): into the flow run's log.
        "PREFECT_LOGGING_EXTRA_LOGGERS": "sickleave",
        # The same logger outside a flow run (the in-process night) logs locally only.
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    quiet_libraries()


def quiet_libraries() -> None:
    """No telemetry from the validation library (there is no internet to reach)."""
    for name, value in {"GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}.items():
        os.environ.setdefault(name, value)
