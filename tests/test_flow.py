"""The whole nightly flow through Prefect on a generated municipality, checked at the published
tables (few tests like this: they start Prefect)."""

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest

from pipeline.warehouse import load_warehouse_schema
from sample.municipality import generate_municipality

pytestmark = pytest.mark.integration

AS_OF = dt.date(2014, 6, 30)


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("municipality")
    raw, warehouse = root / "raw", root / "warehouse"
    generate_municipality(raw)  # the default sample: 450 employees
    summary = nightly(raw_dir=raw, warehouse_dir=warehouse, as_of=AS_OF)
    con = duckdb.connect(str(summary.analytics_path), read_only=True)
    yield summary, con, raw
    con.close()


def test_flow_publishes_every_quarter_for_every_scope_level(published):
    _, con, _ = published
    quarters = [
        q
        for (q,) in con.execute(
            "SELECT DISTINCT quarter FROM sick_leave_quarterly ORDER BY 1"
        ).fetchall()
    ]
    assert quarters == ["2013K1", "2013K2", "2013K3", "2013K4", "2014K1", "2014K2"]
    levels = dict(
        con.execute(
            "SELECT scope_level, count(DISTINCT scope_code) FROM sick_leave_quarterly GROUP BY 1"
        ).fetchall()
    )
    assert levels["municipality"] == 1
    assert levels["sector"] == 4
    assert levels["unit"] >= 20


def test_published_figures_are_believable_and_consistent(published):
    _, con, _ = published
    rows = con.execute(
        "SELECT quarter, sick_leave_pct, lost_workdays, possible_workdays, lost_workdays_self, "
        "lost_workdays_doctor, lost_workdays_short, lost_workdays_long, persons "
        "FROM sick_leave_quarterly WHERE scope_level = 'municipality' ORDER BY quarter"
    ).fetchall()
    for quarter, pct, lost, possible, self_, doctor, short, long_, persons in rows:
        assert Decimal("3") < pct < Decimal("14"), quarter
        assert self_ + doctor == lost
        assert short + long_ == lost
        assert 350 <= persons <= 600
        check = con.execute("SELECT sick_leave_pct(?, ?)", [lost, possible]).fetchone()[0]
        assert check == pct  # the analysts' macro gives the published figure
    # Sectors add up to the municipality (ratio of sums, not average of percentages).
    total, by_sector = con.execute(
        "SELECT (SELECT lost_workdays FROM sick_leave_quarterly WHERE quarter = '2014K1' "
        "AND scope_level = 'municipality'), sum(lost_workdays) FROM sick_leave_quarterly "
        "WHERE quarter = '2014K1' AND scope_level = 'sector'"
    ).fetchone()
    assert total == by_sector


def test_every_published_table_and_column_has_a_comment(published):
    _, con, _ = published
    schema = load_warehouse_schema()
    tables = dict(
        con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE NOT internal").fetchall()
    )
    assert set(schema["tables"]) <= set(tables)
    assert all(tables[t] for t in schema["tables"])
    uncommented = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE NOT internal AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert uncommented == []


def test_published_database_holds_no_person_level_data(published):
    _, con, raw = published
    columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
    assert not columns & {"person_key", "resource_id", "person_name", "national_id"}
    text = "\n".join(
        str(v)
        for t in load_warehouse_schema()["tables"]
        for row in con.execute(f"SELECT * FROM {t}").fetchall()
        for v in row
    )
    employments = (raw / "agresso" / "ansettelser.csv").read_text(encoding="cp1252")
    national_ids = [line.split(";")[-1].strip() for line in employments.splitlines()[1:]]
    assert national_ids and not any(n and n in text for n in national_ids)


def test_load_log_and_summary_describe_the_run(published):
    summary, con, _ = published
    log = con.execute(
        "SELECT source, outcome, rows_read, rows_loaded FROM load_log ORDER BY source"
    ).fetchall()
    assert [(s, o) for s, o, _, _ in log] == [
        ("absences", "loaded"),
        ("accounts", "loaded"),  # the sample's regnskap/, for the cost of sick leave
        ("employments", "loaded"),
        ("follow_up", "loaded"),  # the sample's follow-up export (data/raw/oppfolging)
        ("organisation", "loaded"),
    ]
    assert all(loaded <= read for _, _, read, loaded in log)
    assert summary.files_rejected == 0


RUN_SPECIFIC = {"load_log", "validation_findings", "run_info"}  # carry the run's id and times


def test_plain_command_line_night_is_the_flows_night_without_prefect(published, tmp_path):
    """No server configured: the same night in-process, the same published tables, its log on
    stderr in Norwegian, and Prefect never imported."""
    summary, con, raw = published
    warehouse = tmp_path / "warehouse"
    argv = [
        "run",
        "--raw-dir",
        str(raw),
        "--warehouse-dir",
        str(warehouse),
        "--as-of",
        "2014-06-30",
    ]
    probe = (
        "import sys\nfrom pipeline.cli import main\ntry:\n"
        f"    main({argv!r})\n"
        "finally:\n    print('prefect imported:', 'prefect' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=600, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "prefect imported: False" in result.stdout
    assert "Hele kommunen:" in result.stdout
    assert "| INFO     | ansettelser.csv: " in result.stderr and "rader lest" in result.stderr
    assert "publisert " in result.stderr and "rapporter for 2014K2" in result.stderr
    plain = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        for table in set(load_warehouse_schema()["tables"]) - RUN_SPECIFIC:
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert plain.execute(query).fetchall() == con.execute(query).fetchall(), table
    finally:
        plain.close()
