"""Dates and numbers as Agresso writes them in its CSV exports."""

from __future__ import annotations

import pandas as pd


def _format_dates(values: pd.Series) -> pd.Series:
    dates = pd.to_datetime(values)
    return dates.dt.strftime("%d.%m.%Y").fillna("")


def _format_numbers(values: pd.Series) -> pd.Series:
    text = values.map(lambda v: "" if pd.isna(v) else f"{v:.2f}".rstrip("0").rstrip("."))
    return text.str.replace(".", ",", regex=False)
