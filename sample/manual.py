"""The sample's manual measurements for the plan (surveys, shares done, deviations, amounts)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sample.formats import _format_numbers
from sample.spells import _quarter_label, _quarter_starts

# The plan's manual indicators (plan.yaml) as HR would type them into data/raw/manual/: the seed
# says the municipality starts employee surveys in the project's second year and user surveys the
# year after the sample ends, so brukerundersokelse has no measurement. Survey scores are on the
# 1-5 scale of the employee survey, once a year (typed for the year); shares of safety rounds and
# appraisal talks done, and reported deviations, quarter by quarter with the year's figure so far;
# amounts from the accounts (thousand kroner) for the year so far.
SURVEY_SCORES = {  # indicator: typical score
    "medarbeiderundersokelse_kommunen": 4.3,
    "medarbeiderundersokelse_hms": 4.0,
    "medarbeiderundersokelse_hov": 4.2,
    "medarbeiderundersokelse_faglig_utvikling": 4.1,
    "medarbeiderundersokelse_naermeste_leder": 4.5,
    "medarbeiderundersokelse_overordnet_ledelse": 3.8,
    "ledertilfredshet": 3.4,  # the lowest score among the managers
}


# indicator: (share done in the first quarter, in the last), rising as the routines settle
SHARES_DONE = {
    "vernerunder_gjennomfort": (72.0, 94.0),
    "medarbeidersamtaler_gjennomfort": (64.0, 88.0),
}


DEVIATIONS = ("avvik_antall", 28.0, 44.0)  # more reported as the reporting culture improves


AMOUNTS = {"tilretteleggingstilskudd": 45.0, "vikarutgifter_reduksjon": 110.0}  # per quarter
# Measured from the accounts now (plan.yaml: substitute_cost_kr); still drawn, so the random
# stream and every other manual figure stay as they were.
COMPUTED = {"vikarutgifter_reduksjon"}


def _manual_measurements(start: dt.date, end: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    """Indikator;Periode;Verdi;Kommentar rows for the sample's quarters (pipeline/manual.py)."""
    bounds = _quarter_starts(start, end)
    labels = [_quarter_label(b) for b in bounds[:-1]]
    quarters = pd.DataFrame({"period": labels, "year": [q[:4] for q in labels]})
    rise = np.linspace(0.0, 1.0, len(labels))
    rows = []
    for indicator, (low, high) in SHARES_DONE.items():
        share = np.clip(low + (high - low) * rise + rng.normal(0, 3, len(labels)), 0, 100)
        rows.append(_with_years(quarters, indicator, share.round(1), "mean", "Andel av planlagte"))
    deviations = rng.poisson(DEVIATIONS[1] + (DEVIATIONS[2] - DEVIATIONS[1]) * rise)
    rows.append(_with_years(quarters, DEVIATIONS[0], deviations, "sum", "Meldte avvik"))
    years = quarters["year"].drop_duplicates().tolist()
    for indicator, per_quarter in AMOUNTS.items():
        amounts = per_quarter * (1 + rng.normal(0, 0.25, len(labels)))
        totals = pd.Series(amounts).groupby(quarters["year"]).sum().round(0)
        so_far = _so_far(quarters, "Regnskapet")
        if indicator not in COMPUTED:
            rows.append(_rows(indicator, years, totals[years].to_numpy(), so_far))
    surveyed = years[1:]
    for indicator, score in SURVEY_SCORES.items():
        scores = np.clip(score + rng.uniform(-0.15, 0.15, len(surveyed)), 1, 5).round(1)
        rows.append(_rows(indicator, surveyed, scores, "Medarbeiderundersøkelsen"))
    frame = pd.concat(rows, ignore_index=True)
    frame["Verdi"] = _format_numbers(frame["Verdi"].astype(float))
    return frame


def _with_years(quarters: pd.DataFrame, indicator: str, values, how: str, comment: str):
    """Quarter values and each year's figure so far (mean of shares, sum of counts)."""
    by_year = pd.Series(values, dtype=float).groupby(quarters["year"].to_numpy()).agg(how)
    year_values = by_year.round(1).to_numpy()
    return pd.concat(
        [
            _rows(indicator, quarters["period"], values, f"{comment} i kvartalet"),
            _rows(indicator, by_year.index, year_values, _so_far(quarters, comment)),
        ]
    )


def _so_far(quarters: pd.DataFrame, comment: str) -> list[str]:
    """'…, hele året' for a year whose four quarters are in the sample, '…, hittil i året' else."""
    counts = quarters.groupby("year").size()
    return [f"{comment}, {'hele året' if n == 4 else 'hittil i året'}" for n in counts]


def _rows(indicator: str, periods, values, comment: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"Indikator": indicator, "Periode": list(periods), "Verdi": values, "Kommentar": comment}
    )
