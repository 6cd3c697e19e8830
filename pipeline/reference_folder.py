"""National reference series in data/raw/ssb/: each file's format (SSB's or NAV's) recognised by
its content.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.findings import ERROR, Finding
from pipeline.rawfile import folder_files
from pipeline.reference import (
    ReferenceFormatError,
    empty_reference_frame,
    read_nav_long_csv,
    read_nav_wide_tables,
    read_ssb_table,
)


def read_reference_folder(folder: Path) -> tuple[pd.DataFrame, list[Finding]]:
    """National reference series from SSB's and NAV's published formats, recognised by content:
    NAV's table text starts with '@@', NAV's long form has a kilde_url column, anything else is
    read as SSB's CSV download. A file in none of these formats is a finding, not a crash.
    Regular files only, never through a link (unexpected_files reports the other entries)."""
    frames, findings = [], []
    paths, _ = folder_files(folder)
    for path in paths:
        head = path.read_bytes()[:200].decode("utf-8", errors="replace").lstrip("\ufeff")
        try:
            if head.startswith("@@"):
                frames.append(read_nav_wide_tables(path))
            elif head.startswith("kilde_url"):
                frames.append(read_nav_long_csv(path))
            else:
                frames.append(read_ssb_table(path))
        except (ReferenceFormatError, UnicodeDecodeError, ValueError) as exc:
            findings.append(
                Finding(
                    "reference",
                    path.name,
                    None,
                    None,
                    ERROR,
                    "reference_format",
                    str(exc).splitlines()[0],
                )
            )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_reference_frame(), findings
    return pd.concat(frames, ignore_index=True), findings
