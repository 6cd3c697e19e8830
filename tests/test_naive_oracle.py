"""The naive day-by-day baseline (benchmarks/naive.py) as an oracle: on the generator's sample,
the pipeline's lost and possible workdays for the municipality and every sector agree with it in
every quarter. The two share nothing but the holiday calendar and the files they read."""

import datetime as dt

import duckdb
import pytest

from benchmarks.naive import naive_workdays
from pipeline.night import run_night
from sample.municipality import generate_municipality

START, AS_OF = dt.date(2013, 1, 1), dt.date(2014, 6, 30)  # the sample's history
KEYS = ["quarter", "scope_level", "scope_code"]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle")
    generate_municipality(root / "raw")  # the default sample: 450 employees, seed 74
    summary = run_night(raw_dir=root / "raw", warehouse_dir=root / "warehouse", as_of=AS_OF)
    con = duckdb.connect(str(summary.analytics_path), read_only=True)
    try:
        published = con.execute(
            "SELECT quarter, scope_level, scope_code, lost_workdays, possible_workdays "
            "FROM sick_leave_quarterly WHERE scope_level IN ('municipality', 'sector') "
            "ORDER BY quarter, scope_level, scope_code"
        ).fetchall()
    finally:
        con.close()
    naive = naive_workdays(root / "raw" / "agresso", START, AS_OF)
    return published, naive


def test_the_pipeline_and_the_naive_baseline_cover_the_same_quarters_and_scopes(both):
    published, naive = both
    quarters = ["2013K1", "2013K2", "2013K3", "2013K4", "2014K1", "2014K2"]
    assert sorted({row[0] for row in published}) == quarters
    assert [tuple(row[:3]) for row in published] == list(naive[KEYS].itertuples(index=False))
    assert len(published) == 6 * 5  # the municipality and its four sectors


@pytest.mark.parametrize("measure", ["lost_workdays", "possible_workdays"])
def test_every_quarter_of_the_sample_agrees_with_the_naive_baseline(both, measure):
    published, naive = both
    column = 3 if measure == "lost_workdays" else 4
    ours = {tuple(row[:3]): row[column] for row in published}
    theirs = {
        (r["quarter"], r["scope_level"], r["scope_code"]): r[measure]
        for r in naive.to_dict("records")
    }
    # DECIMAL sums against float sums of the same day-by-day products: equal to the 8th decimal.
    differ = {k: (ours[k], theirs[k]) for k in ours if abs(float(ours[k]) - theirs[k]) > 1e-6}
    assert differ == {}
    assert all(ours[k] is not None and ours[k] > 0 for k in ours)  # nothing masked, nothing empty
