"""One night's context: where it reads and writes, its as-of date and run id, what each input file
contributed (LoadedFile), and the measure hook wrapped around each stage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.database_files import ANALYTICS_DB, INTERNAL_DB

if TYPE_CHECKING:  # a quiet night imports this module, and not pandas
    import pandas as pd

    from pipeline.findings import Finding

# A measure hook: called with a stage name ("read", "validate", "protect", "load", "transform"), it
# returns a context manager wrapped around that part of a step. The flow passes none; the
# benchmark (benchmarks/run.py) passes one that times each stage and records its peak memory.
Measure = Callable[[str], AbstractContextManager]


def unmeasured(stage: str) -> AbstractContextManager:
    """The default measure hook: does nothing."""
    return nullcontext()


@dataclass
class LoadedFile:
    """What one input file contributed: good rows (pseudonymised), findings, its log line."""

    source: str
    path: Path
    content_sha256: str
    encoding: str | None
    rows_read: int
    frame: pd.DataFrame | None
    findings: list[Finding] = field(default_factory=list)
    rejected_reason: str | None = None
    duplicate_of: str | None = None  # name of an earlier file with the same content
    first_seen_at: dt.datetime | None = None  # when a run first saw this content
    rows_superseded: int = 0  # rows replaced by a newer export of the same source
    # Pseudonym -> the export's own Ressursnr (absences only), held in memory for the night's
    # action lists (pipeline/action_lists.py); never written, printed or stored.
    resource_numbers: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def rows_loaded(self) -> int:
        if self.frame is None or self.duplicate_of:
            return 0
        return len(self.frame) - self.rows_superseded

    @property
    def outcome(self) -> str:
        if self.rejected_reason:
            return "rejected"
        return "duplicate" if self.duplicate_of else "loaded"


def release_rows(loaded: list[LoadedFile]) -> None:
    """Once the rows are in the warehouse, keep only each frame's length (what the load log and
    the summary count): the transform, the largest stage, then runs without a second copy of
    every input row in memory (at country scale over five years, gigabytes)."""
    for lf in loaded:
        if lf.frame is not None:
            lf.frame = lf.frame.iloc[:, :0]


@dataclass
class RunContext:
    raw_dir: Path
    warehouse_dir: Path
    as_of: dt.date
    mask_threshold: int = 5
    municipality_name: str = "Hele kommunen"
    duckdb_memory_limit: str = ""  # empty: DuckDB's default
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def internal_path(self) -> Path:
        return self.warehouse_dir / INTERNAL_DB

    @property
    def analytics_path(self) -> Path:
        return self.warehouse_dir / ANALYTICS_DB

    @property
    def duckdb_config(self) -> dict[str, str]:
        """DuckDB settings for the connections that build the warehouse."""
        return {"memory_limit": self.duckdb_memory_limit} if self.duckdb_memory_limit else {}

    @property
    def validation_report_path(self) -> Path:
        return self.warehouse_dir / "validering.html"

    @property
    def rejected_dir(self) -> Path:
        """Rejected files are moved here (beside data/raw), each with a .grunn.txt reason."""
        return self.raw_dir.parent / "rejected"


def remove_leftovers(ctx: RunContext) -> list[Path]:
    """Remove what a killed run left behind (a half-built internal database, an unpublished
    analytics file): never published, so safe to delete; done first in every run, so a night
    that then finds nothing new to do still cleans up."""
    patterns = [f".{INTERNAL_DB}.building*", f".{ANALYTICS_DB}.*.new*", ".*.html.*.new"]
    removed = [p for pattern in patterns for p in ctx.warehouse_dir.glob(pattern)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
