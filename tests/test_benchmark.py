"""The scale benchmark's harness (benchmarks/run.py) on the municipality preset: it measures every
stage, and measuring changes nothing in the published figures.

Larger presets run on demand only: SICKLEAVE_BENCHMARK_PRESETS=city,country pytest
tests/test_benchmark.py (minutes, gigabytes).
"""

import json
import os

import duckdb
import pytest

from benchmarks.run import (
    HISTORY,
    STAGES,
    Stages,
    benchmark,
    prepare,
    rows_in,
    run_pipeline,
    save,
    table,
)
from pipeline.night import run_night

QUARTERLY = (
    "SELECT quarter, scope_level, scope_code, persons, possible_workdays, lost_workdays, "
    "sick_leave_pct, is_masked FROM sick_leave_quarterly ORDER BY ALL"
)


def plain_run(raw_dir, warehouse_dir, as_of):
    """The normal path: the night as every caller runs it, no measuring."""
    return run_night(raw_dir, warehouse_dir, as_of).analytics_path


def quarterly(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(QUARTERLY).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def municipality(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    return root, prepare("municipality", 1, root)


def test_the_preset_is_the_sample_municipality_over_one_year(municipality):
    _, target = municipality
    rows = rows_in(target)
    assert rows["organisasjon.csv"] == 26  # 25 units, one moved between sectors: two rows
    assert 450 < rows["ansettelser.csv"] < 600  # 450 people, some with a second job
    assert rows["fravaer.csv"] > 1000
    # The floor reads a UTF-8 copy with the same text.
    original = (target / "raw" / "agresso" / "fravaer.csv").read_bytes().decode("cp1252")
    assert (target / "utf8" / "fravaer.csv").read_bytes().decode("utf-8") == original


def test_measuring_changes_no_published_figure(municipality):
    root, target = municipality
    as_of = HISTORY[1][1]
    stages = Stages()
    measured = run_pipeline(target / "raw", root / "measured", as_of, measure=stages)
    plain = plain_run(target / "raw", root / "plain", as_of)
    figures = quarterly(measured["analytics_path"])
    assert figures == quarterly(plain)
    quarters = sorted({row[0] for row in figures})
    assert quarters == ["2013K3", "2013K4", "2014K1", "2014K2"]
    # Every pipeline stage was measured: some time, and a resident peak of at least 50 MiB.
    expected = set(STAGES) - {"startup"}
    assert expected <= set(stages.wall)
    assert all(stages.wall[s] > 0 and stages.peak[s] > 50 for s in expected)


def test_harness_runs_the_preset_in_fresh_processes(municipality, tmp_path):
    root, _ = municipality
    result = benchmark("municipality", 1, runs=1, naive=True, root=root)
    assert set(result["stages"]) == set(STAGES)
    wall = result["total"]["wall_s"]
    assert wall["min"] <= wall["median"] <= wall["max"]
    assert result["floor"]["wall_s"]["median"] < wall["median"]
    # The naive day-by-day baseline finishes at this scale, with a believable rate per quarter.
    naive = result["naive"]["sick_leave_pct"]
    assert sorted(naive) == ["2013K3", "2013K4", "2014K1", "2014K2"]
    assert all(2 < pct < 15 for pct in naive.values())
    text = table(result)
    for label in [*result["stages"], "whole run", "floor", "naive"]:
        assert f"\n{label}" in text
    saved = save(result, tmp_path)
    assert json.loads(saved.read_text(encoding="utf-8"))["preset"] == "municipality"


LARGER = [p for p in os.environ.get("SICKLEAVE_BENCHMARK_PRESETS", "").split(",") if p]


@pytest.mark.skipif(not LARGER, reason="on demand: SICKLEAVE_BENCHMARK_PRESETS=city,country")
@pytest.mark.parametrize("preset", LARGER or ["city"])
def test_larger_preset_runs_through_the_harness(preset, tmp_path):
    result = benchmark(preset, 1, runs=1, naive=False, root=tmp_path)
    assert result["total"]["wall_s"]["median"] > 0
    assert result["rows_total"] > 100_000
