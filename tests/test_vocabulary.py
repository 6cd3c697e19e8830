"""The domain's small types and words (pipeline/vocabulary.py), checked on values a person can
verify by hand, and the import graph that the vocabulary was made to untangle."""

import subprocess
import sys
from decimal import Decimal

import pytest

from pipeline.vocabulary import (
    NotAQuarter,
    Quarter,
    masked_label,
    norwegian_count,
    norwegian_number,
    percent_or_gap,
    plain_decimal,
    quarter_label,
    short_number,
    signed_number,
)


def test_quarter_parses_labels_and_counts():
    q = Quarter.parse("2014K1")
    assert (q.year, q.number) == (2014, 1)
    assert str(q) == q.code == "2014K1"
    assert q.label == "1. kvartal 2014"
    assert q.short_label == "1. kv. 2014" == quarter_label("2014K1")
    assert q.chart_label == "1. kv.\n2014"
    assert q.previous_year() == Quarter(2013, 1)
    assert q - 1 == Quarter(2013, 4) and q + 4 == Quarter(2015, 1) and q + 3 == Quarter(2014, 4)
    assert [str(x) for x in Quarter.span(Quarter(2013, 3), Quarter(2014, 2))] == [
        "2013K3",
        "2013K4",
        "2014K1",
        "2014K2",
    ]
    assert Quarter.span(Quarter(2014, 2), Quarter(2014, 1)) == []
    assert [str(x) for x in Quarter(2014, 3).year_so_far()] == ["2014K1", "2014K2", "2014K3"]
    assert Quarter(2013, 4) < Quarter(2014, 1)


@pytest.mark.parametrize("text", ["2014K5", "2014k1", "14K1", "2014K1 ", "2014", "", None])
def test_not_a_quarter_is_a_norwegian_sentence(text):
    assert not Quarter.is_valid(text)
    with pytest.raises(NotAQuarter, match="er ikke et kvartal; skriv det som 2014K2"):
        Quarter.parse(text)


def test_norwegian_numbers_keep_todays_bytes():
    assert norwegian_number(Decimal("1234.5")) == "1\u00a0234,5"
    assert norwegian_number(Decimal("4.55")) == "4,6"
    assert norwegian_number(7, 0) == "7"
    assert norwegian_number(None) == "–"
    assert norwegian_count(1000000) == "1\u00a0000\u00a0000"
    assert plain_decimal(Decimal("6.50")) == "6,5" and plain_decimal(Decimal("100")) == "100"
    assert short_number(12.5) == "12,5" and short_number(3.0) == "3"
    assert signed_number(Decimal("0.4")) == "+0,4"
    assert signed_number(Decimal("-1.2")) == "\u22121,2"
    assert signed_number(Decimal("0")) == "±0,0" and signed_number(None) == "–"


def test_gap_words():
    assert percent_or_gap("7.6", masked=False) == "7,6"
    assert percent_or_gap("7.6", masked=True) == "skjult"
    assert percent_or_gap(None, masked=False) == "–"
    assert masked_label(5) == "skjult (færre enn 5 personer)" and masked_label(None) == "skjult"


@pytest.mark.parametrize("module", ["pipeline.headline", "pipeline.night_report"])
def test_each_module_imports_alone(module):
    """headline and night_report once imported each other; each now imports alone, first, in a
    fresh interpreter, and neither needs the other at import time."""
    code = (
        f"import sys, {module}; "
        "other = {'pipeline.headline', 'pipeline.night_report'} - {'" + module + "'}; "
        "print(sorted(other & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
