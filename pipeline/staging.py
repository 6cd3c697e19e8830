"""The staging frames: each Agresso source's good rows as one frame, after the replacement rule."""

from __future__ import annotations

import pandas as pd

from pipeline.profile import Profile
from pipeline.replacement import replacement
from pipeline.run_context import LoadedFile

# Each Agresso source's staging table, its row id, and the date that places a row in an
# export's period (None: the source is replaced as a whole snapshot).
STAGING = {
    "employments": ("stg_employments", "employment_id", "from_date"),
    "absences": ("stg_absences", "absence_id", "from_date"),
    "organisation": ("stg_organisation", None, None),
    # optional: what was done in each sick-leave case (pipeline/follow_up.py)
    "follow_up": ("stg_follow_up_activities", None, "activity_date"),
}


def staging_frames(
    loaded: dict[str, list[LoadedFile]], profile: Profile
) -> dict[str, pd.DataFrame]:
    """Each source's good rows as one staging frame with stable row ids, after the replacement
    rule (see replacement). Superseded rows are counted on the file they came from."""
    frames: dict[str, pd.DataFrame] = {}
    for source, (table, id_column, date_column) in STAGING.items():
        files = [lf for lf in loaded.get(source, []) if lf.outcome == "loaded" and len(lf.frame)]
        files, masks, _ = replacement(files, profile.source(source).replaces, date_column)
        if not files:
            continue
        parts = []
        for lf, mask in zip(files, masks, strict=True):
            lf.rows_superseded = int((~mask).sum())
            parts.append(lf.frame[mask])
        frame = pd.concat(parts, ignore_index=True)
        if id_column:
            frame.insert(0, id_column, range(1, len(frame) + 1))
        frames[table] = frame
    return frames
