"""The deliverables' folder: its layout, one writer at a time, and the swap that replaces it whole
(a run that fails or is killed leaves the previous deliverables as they were)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline import filemodes
from pipeline.deliver.model import present
from pipeline.errors import UserError
from pipeline.failpoints import crash_point

_FILE_NAMES = re.compile(r"^gevinstrapport_[0-9]{4}K[1-4]\.(xlsx|html)$")
_FOLDERS = ("csv", "parquet")
# Lock files Excel and LibreOffice leave beside a workbook someone has open: not ours, not foreign.
_OFFICE_LOCKS = re.compile(r"^(~\$|\.~lock\.)")


@dataclass(frozen=True)
class Deliverables:
    """Where the files of one run are (all inside `out_dir`)."""

    out_dir: Path
    report_quarter: str
    workbook: Path
    html: Path
    csv: dict[str, Path]  # table name -> file
    parquet: dict[str, Path]

    def paths(self) -> list[Path]:
        return [self.workbook, self.html, *self.csv.values(), *self.parquet.values()]


def _layout(directory: Path, quarter: str, spec: dict, marts: dict[str, pa.Table]) -> Deliverables:
    delivered = present(spec, marts)
    return Deliverables(
        out_dir=directory,
        report_quarter=quarter,
        workbook=directory / f"gevinstrapport_{quarter}.xlsx",
        html=directory / f"gevinstrapport_{quarter}.html",
        csv={m["table"]: directory / "csv" / f"{m['file']}.csv" for m in delivered},
        parquet={m["table"]: directory / "parquet" / f"{m['file']}.parquet" for m in delivered},
    )


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One writer at a time per output directory (the nightly run and a manual report)."""
    with filemodes.exclusive_lock(
        out_dir.parent / f".{out_dir.name}.lock",
        f"Rapportene i {out_dir} lages allerede av en annen kjøring; prøv igjen når den er ferdig.",
    ):
        yield


def _recover(out_dir: Path) -> None:
    """Undo what a killed run left: a run killed between its two renames leaves the previous
    deliverables under their temporary name (put back); half-built directories are removed."""
    parent, name = out_dir.parent, out_dir.name
    previous = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if previous and not out_dir.exists():
        os.rename(previous.pop(), out_dir)
    for leftover in [*previous, *parent.glob(f".{name}.tmp-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _refuse_foreign_files(out_dir: Path) -> None:
    """The whole directory is replaced, so it must hold nothing but deliverables."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UserError(f"{out_dir} er en fil, ikke en mappe; velg en mappe for rapportene.")
    foreign = sorted(
        p.name
        for p in out_dir.iterdir()
        if not (_FILE_NAMES.match(p.name) or p.name in _FOLDERS or _OFFICE_LOCKS.match(p.name))
    )
    if foreign:
        raise UserError(
            f"Mappen {out_dir} inneholder andre filer enn rapportene (f.eks. {foreign[0]}); "
            "velg en egen mappe for rapportene, den byttes ut i sin helhet ved hver kjøring."
        )


def _carry_over_reports(out_dir: Path, staging: Path, quarter: str) -> None:
    """Reports of other quarters stay where HR found them (hard links, no copies)."""
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        if _FILE_NAMES.match(path.name) and f"_{quarter}." not in path.name:
            try:
                os.link(path, staging / path.name)
            except OSError:
                shutil.copy2(path, staging / path.name)


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Two renames: the previous directory aside, the new one in place; then the previous one
    goes. A kill between the renames is repaired by _recover on the next run."""
    previous = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:12]}"
    if out_dir.exists():
        os.rename(out_dir, previous)
    crash_point("deliverables_swapping")
    os.rename(staging, out_dir)
    shutil.rmtree(previous, ignore_errors=True)
