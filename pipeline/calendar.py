"""The working-day calendar: the one home of which days count (SPEC section 2).

Working day = Monday to Friday, except Norwegian public holidays from the `holidays` library.
The calendar is built as a DuckDB table once per run; all day arithmetic joins against it.
"""

from __future__ import annotations

import holidays
import pandas as pd


def norwegian_public_holidays(first_year: int, last_year: int) -> pd.DataFrame:
    """Public holidays (helligdager) in Norway, from the maintained `holidays` library.

    Sundays are not flagged by the library by default (they are not working days anyway).
    """
    calendar = holidays.country_holidays("NO", years=range(first_year, last_year + 1))
    rows = sorted(calendar.items())
    return pd.DataFrame(
        {"holiday_date": [d for d, _ in rows], "holiday_name": [name for _, name in rows]}
    )
