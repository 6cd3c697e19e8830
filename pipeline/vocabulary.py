"""The domain's small words and types, in one place: quarters (2014K1), Norwegian numbers and the
words a report uses for a status or for a figure that is not shown.

Every module that reads, names or prints a quarter or a figure uses these, so a quarter is spelt,
parsed and labelled one way across the readers, the plan, the reports and the night's summary
(NAV's own code keeps such types together too, e.g. ÅrstallOgKvartal). This module imports nothing
from the pipeline: anything may import it without a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# A quarter as SSB writes it. The string form is for pandas' .str.match on whole columns.
QUARTER_PATTERN = r"^(?P<year>[0-9]{4})K(?P<quarter>[1-4])$"
# A period in a hand-kept file: a year (2014) or a quarter (2014K1).
PERIOD_PATTERN = r"^(?P<year>[0-9]{4})(?:K(?P<quarter>[1-4]))?$"
_QUARTER = re.compile(QUARTER_PATTERN)


class NotAQuarter(ValueError):
    """A text that is not a quarter in the form 2014K2; the message says so in Norwegian."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Quarter(2014, 2) is 2014K2 (SSB's form), «2. kvartal 2014» in prose."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise NotAQuarter(f"Kvartal {self.number} finnes ikke; et år har kvartal 1 til 4.")

    @classmethod
    def parse(cls, text: object) -> Quarter:
        """'2014K2' -> Quarter(2014, 2); anything else raises NotAQuarter."""
        match = _QUARTER.match(str(text))
        if not match:
            raise NotAQuarter(f"«{text}» er ikke et kvartal; skriv det som 2014K2.")
        return cls(int(match["year"]), int(match["quarter"]))

    @classmethod
    def is_valid(cls, text: object) -> bool:
        return bool(_QUARTER.match(str(text)))

    def __str__(self) -> str:
        return f"{self.year}K{self.number}"

    @property
    def code(self) -> str:
        """'2014K2', the form the tables and file names use."""
        return str(self)

    @property
    def short_label(self) -> str:
        """'2. kv. 2014', the report's column heading (as in the seed's table)."""
        return f"{self.number}. kv. {self.year}"

    @property
    def label(self) -> str:
        """'2. kvartal 2014', the quarter in Norwegian prose."""
        return f"{self.number}. kvartal {self.year}"

    @property
    def chart_label(self) -> str:
        """'2. kv.' over '2014': a chart's tick label on two lines."""
        return f"{self.number}. kv.\n{self.year}"

    def __add__(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def __sub__(self, quarters: int) -> Quarter:
        return self + (-quarters)

    def previous_year(self) -> Quarter:
        """The same quarter a year earlier (sick leave is seasonal: the trend compares these)."""
        return Quarter(self.year - 1, self.number)

    def year_so_far(self) -> list[Quarter]:
        """The quarters of this quarter's year up to and including it."""
        return [Quarter(self.year, n) for n in range(1, self.number + 1)]

    @staticmethod
    def whole_year(year: int) -> list[Quarter]:
        return [Quarter(year, n) for n in range(1, 5)]

    @staticmethod
    def span(first: Quarter, last: Quarter) -> list[Quarter]:
        """Every quarter from `first` to `last`, both included (empty when last is before first)."""
        out, current = [], first
        while current <= last:
            out.append(current)
            current += 1
        return out


def quarter_label(quarter: str) -> str:
    """'2014K2' -> '2. kv. 2014' (raises NotAQuarter for anything else)."""
    return Quarter.parse(quarter).short_label


# --- numbers ------------------------------------------------------------------------------------

NBSP = "\u00a0"  # Norwegian thousands separator in what HR reads; never broken across lines


def norwegian_number(value: Decimal | float | None, decimals: int = 1) -> str:
    """1234.5 -> '1 234,5' with a non-breaking space and a decimal comma; None -> '–'."""
    if value is None:
        return NO_DATA_TEXT
    text = f"{Decimal(value):,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def norwegian_count(number: int) -> str:
    """1000000 -> '1 000 000' (a whole number with Norwegian thousands separators)."""
    return f"{number:,}".replace(",", NBSP)


def plain_decimal(value: Decimal) -> str:
    """A plan's target as written: Decimal('6.50') -> '6,5', Decimal('100') -> '100' (every
    digit it has, no trailing zeros, no thousands separator)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def short_number(number: float) -> str:
    """A measured float as short as it prints: 12.5 -> '12,5', 3.0 -> '3' (up to six digits)."""
    return f"{number:g}".replace(".", ",")


def signed_number(value: Decimal | None) -> str:
    """A change in percentage points: '+0,4', '−1,2' (a real minus sign), '±0,0'; None -> '–'."""
    if value is None:
        return NO_DATA_TEXT
    text = norwegian_number(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


# --- statuses and figures not shown -------------------------------------------------------------

MASKED_TEXT = "skjult"  # a group with too few persons: the figure is hidden, never 0
NO_DATA_TEXT = "–"  # no figure for the period
NO_TARGET_TEXT = "mål ikke satt"
STATUS_WORDS = {
    "met": "Nådd",
    "not_met": "Ikke nådd",
    "no_target": "Mål ikke satt",
    "masked": "Skjult",
    "no_data": "Ingen data",
}
# The words a chart writes in a quarter without a point.
GAP_WORDS = {"masked": MASKED_TEXT, "no_data": "ingen data"}


def masked_label(threshold: int | None) -> str:
    """«skjult (færre enn 5 personer)», or «skjult» when the threshold is not known."""
    return f"{MASKED_TEXT} (færre enn {threshold} personer)" if threshold else MASKED_TEXT


def percent_or_gap(value: Decimal | str | None, masked: bool) -> str:
    """A percentage figure as HR reads it in a table: the number, «skjult» or «–»."""
    if masked:
        return MASKED_TEXT
    return NO_DATA_TEXT if value is None else norwegian_number(Decimal(value))
