"""What a person can fix, checked before anything heavy is imported: the folders, and whether
there is anything to read at all. Each problem is one sentence (UserError)."""

from __future__ import annotations

from pathlib import Path

from pipeline import filemodes
from pipeline.errors import UserError


def check_directories(raw_dir: Path, warehouse_dir: Path) -> None:
    """The night's folders, checked before anything is read; from here on everything the process
    creates is owner-only unless it is published (pipeline/filemodes.py)."""
    filemodes.restrict_umask()
    filemodes.share_group()  # an unknown group is a sentence now, not a failure after the build
    if not raw_dir.is_dir():
        raise UserError(
            f"Fant ikke mappen for inndata {raw_dir}. Oppgi riktig mappe med --raw-dir."
        )
    try:
        # Shared: the share group reaches analytics.duckdb; internal.duckdb stays 0600 inside.
        filemodes.make_dir(warehouse_dir, shared=True)
    except OSError as exc:
        raise UserError(
            f"Kan ikke lage databasemappen {warehouse_dir} ({exc.strerror}). "
            "Oppgi en mappe du kan skrive i med --warehouse-dir."
        ) from None


def no_agresso_files(raw_dir: Path) -> UserError:
    return UserError(
        f"Det finnes ingen gyldige ansettelses- og fraværsfiler under {raw_dir}. "
        "Legg Agresso-uttrekkene i data/raw/agresso (eller kjør 'sickleave generate')."
    )


def check_inputs_present(raw_dir: Path, profile) -> None:
    """An empty raw folder (no file at all where employments or absences are expected) says so
    at once, instead of after the validation library has been loaded."""
    for source in ("employments", "absences"):
        folder = Path(raw_dir) / profile.source(source).folder
        if not folder.is_dir() or not any(
            not p.name.startswith(".") for p in folder.iterdir() if p.is_file()
        ):
            raise no_agresso_files(raw_dir)
