"""The sample marker: the file the generator (sample/) leaves in the raw folder, and the notice
every report made from sample data carries.
"""

from __future__ import annotations

from pathlib import Path

# The generator leaves this file in the raw folder; a run that finds it records that its figures
# are sample data (run_info.is_sample_data), and every report made from them says so. The sample
# carries a real municipality's name, so its figures must never pass for that municipality's own.
SAMPLE_MARKER = "EKSEMPELDATA.txt"
SAMPLE_NOTICE = "Eksempeldata – ikke virkelige tall"


def is_sample_data(raw_dir: Path) -> bool:
    """Whether the raw folder holds the generator's sample (its marker file is there)."""
    return (Path(raw_dir) / SAMPLE_MARKER).is_file()
