"""A bad night never costs data: runs killed while loading or publishing, the same file twice,
an analyst holding the database open. Each run is a separate `sickleave run` process (so it can be
killed), through Prefect like a real night."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys

import duckdb
import pytest

from pipeline.warehouse import load_warehouse_schema
from tests.sample_files import write_sample

pytestmark = pytest.mark.integration

AS_OF = "2014-06-30"
MART_TABLES = ["sick_leave_quarterly", "sick_leave_periods", "indicator_status", "quarters"]


def run(
    raw, warehouse, crash_at: str | None = None, force: bool = False
) -> subprocess.CompletedProcess:
    """One nightly run as its own process group; a crashed run's orphans (Prefect's temporary
    server) are killed with the group so they cannot outlive the test."""
    env = dict(os.environ)
    env.pop("SICKLEAVE_CRASH_AT", None)
    if crash_at:
        env["SICKLEAVE_CRASH_AT"] = crash_at
    log = warehouse.parent / f"run-{crash_at or 'normal'}.log"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "run",
                "--raw-dir",
                str(raw),
                "--warehouse-dir",
                str(warehouse),
                "--as-of",
                AS_OF,
                *(["--force"] if force else []),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, returncode, log.read_text(), "")


def snapshot(warehouse) -> dict:
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in MART_TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    raw = write_sample(root / "raw")
    result = run(raw, root / "warehouse")
    assert result.returncode == 0, result.stdout[-2000:]
    return root, snapshot(root / "warehouse")


@pytest.mark.parametrize("crash_at", ["loading", "publishing"])
def test_run_killed_midway_leaves_published_state_and_next_run_recovers(tmp_path, clean, crash_at):
    clean_root, clean_tables = clean
    warehouse = tmp_path / "warehouse"
    shutil.copytree(clean_root / "warehouse", warehouse)
    raw = write_sample(tmp_path / "raw")
    before = (warehouse / "analytics.duckdb").read_bytes()

    # Same inputs as the published state: --force, or the quiet-night check would skip the work.
    killed = run(raw, warehouse, crash_at=crash_at, force=True)
    assert killed.returncode == -9  # SIGKILL, as a power cut would
    assert (warehouse / "analytics.duckdb").read_bytes() == before  # published state untouched

    recovered = run(raw, warehouse)
    assert recovered.returncode == 0, recovered.stdout[-2000:]
    assert snapshot(warehouse) == clean_tables
    leftovers = [p.name for p in warehouse.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_same_file_twice_is_loaded_once(tmp_path, clean):
    _, clean_tables = clean
    raw = write_sample(tmp_path / "raw")
    shutil.copy(raw / "agresso" / "fravaer.csv", raw / "agresso" / "fravaer_kopi.csv")
    result = run(raw, tmp_path / "warehouse")
    assert result.returncode == 0, result.stdout[-2000:]
    assert snapshot(tmp_path / "warehouse") == clean_tables
    con = duckdb.connect(str(tmp_path / "warehouse" / "analytics.duckdb"), read_only=True)
    outcomes = dict(con.execute("SELECT file, outcome FROM load_log").fetchall())
    assert outcomes["fravaer.csv"] == "loaded" and outcomes["fravaer_kopi.csv"] == "duplicate"


def test_analyst_holding_the_database_open_does_not_stop_the_night(tmp_path, clean):
    clean_root, clean_tables = clean
    warehouse = tmp_path / "warehouse"
    shutil.copytree(clean_root / "warehouse", warehouse)
    raw = write_sample(tmp_path / "raw")
    analyst = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        before = analyst.execute("SELECT count(*) FROM sick_leave_quarterly").fetchone()
        result = run(raw, warehouse, force=True)
        assert result.returncode == 0, result.stdout[-2000:]
        # The analyst keeps a consistent snapshot until reconnecting.
        assert analyst.execute("SELECT count(*) FROM sick_leave_quarterly").fetchone() == before
    finally:
        analyst.close()
    assert snapshot(warehouse) == clean_tables


def test_published_database_holds_no_pseudonym_name_or_identity_number(clean):
    clean_root, _ = clean
    internal = duckdb.connect(str(clean_root / "warehouse" / "internal.duckdb"), read_only=True)
    rows = internal.execute("SELECT DISTINCT person_key FROM stg_employments").fetchall()
    pseudonyms = {k for (k,) in rows}
    internal.close()
    assert len(pseudonyms) == 12
    con = duckdb.connect(str(clean_root / "warehouse" / "analytics.duckdb"), read_only=True)
    text = "\n".join(
        str(v)
        for t in load_warehouse_schema()["tables"]
        for row in con.execute(f"SELECT * FROM {t}").fetchall()
        for v in row
    )
    con.close()
    assert not any(p in text for p in pseudonyms)
    tokens = set(re.split(r"[^0-9A-Za-zÆØÅæøå]+", text))
    assert "Nummer0" not in tokens and not tokens & {str(10001 + i) for i in range(12)}
