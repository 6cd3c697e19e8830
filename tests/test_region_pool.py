"""The region on a real Prefect server with two process workers, all started here on free
localhost ports: three generated municipalities, one with a broken export. The broken one fails
alone, the other two publish, and region.duckdb holds exactly the sums of their published marts,
its rates are sick_leave_pct of those sums, masking holds on the combined groups, and no pseudonym
or person-level table exists in any regional output."""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import sqlproject
from pipeline.region.combine import PERIODS_PARQUET, REGION_DB
from pipeline.region.config import load_region
from sample.region import generate_region
from tests.test_operations import BROKEN_ABSENCES, prefect_server, quiet_environment, stop

__all__ = ["prefect_server"]  # the module-scoped server fixture, shared with test_operations

REGION_THRESHOLD = 20  # the region masks harder than the municipalities (5), so some sums hide
KOMMUNER = ["Andebu", "Hof", "Stokke"]


def run_command(args: list[str], env: dict, cwd: Path, timeout: float):
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def flow_runs(api_url: str, flow_name: str) -> list[dict]:
    import httpx

    query = {"flows": {"name": {"any_": [flow_name]}}, "limit": 50}
    answer = httpx.post(f"{api_url}/flow_runs/filter", json=query, timeout=10)
    answer.raise_for_status()
    return answer.json()


def expected_sums(region) -> dict[tuple, tuple]:
    """The region's quarterly groups computed here, independently of pipeline/sql/region: the
    published Parquet of the municipalities that published, added up in Python."""
    sums: dict[tuple, list] = {}
    con = duckdb.connect()
    try:
        for m in region.municipalities:
            path = m.parquet_dir / PERIODS_PARQUET
            if not path.exists():
                continue
            rows = con.execute(
                "SELECT period, scope_level, scope_code, persons, possible_workdays, "
                f"lost_workdays FROM read_parquet('{path}') WHERE period_type = 'quarter' "
                "AND scope_level IN ('municipality', 'sector')"
            ).fetchall()
            for quarter, level, code, persons, possible, lost in rows:
                if level == "municipality":
                    keys = [("region", None, None), ("municipality", m.number, None)]
                else:
                    common = m.sectors[code]
                    keys = [("sector", None, common), ("municipality_sector", m.number, common)]
                for key in keys:
                    total = sums.setdefault((quarter, *key), [0, 0, 0])
                    if persons is not None:  # masked by the municipality: nothing to add
                        total[0] += persons
                        total[1] += possible
                        total[2] += lost
    finally:
        con.close()
    return {key: tuple(value) for key, value in sums.items()}


@pytest.mark.integration
def test_region_night_on_two_workers_with_one_broken_municipality(prefect_server, tmp_path):
    api_url = prefect_server.api_url
    region_path = generate_region(tmp_path / "vestfold", preset="sample", scale=0.2)
    text = region_path.read_text(encoding="utf-8")
    text = text.replace("mask_threshold: 5", f"mask_threshold: {REGION_THRESHOLD}")
    text = text.replace("    sectors:\n", "    mask_threshold: 5\n    sectors:\n")
    region_path.write_text(text, encoding="utf-8")
    region = load_region(region_path)
    hof = next(m for m in region.municipalities if m.name == "Hof")
    # Hof's absence export lost its date columns: the file is rejected, the night has nothing.
    (hof.raw_dir / "agresso" / "fravaer.csv").write_bytes(BROKEN_ABSENCES.encode("cp1252"))

    env = quiet_environment(tmp_path / "prefect-client")
    env["PREFECT_API_URL"] = api_url
    env["PREFECT_WORKER_QUERY_SECONDS"] = "2"  # workers look for runs every 2 s, not 10
    env["SICKLEAVE_ALERT_URLS"] = ""
    registered = run_command(["serve", "--region", str(region_path)], env, tmp_path, 180)
    assert registered.returncode == 0, registered.stderr
    assert "prefect worker start --pool sickleave-region" in registered.stdout

    workers, logs = [], []
    try:
        for number in (1, 2):
            log = open(tmp_path / f"worker{number}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "prefect", "worker", "start"]
                    + ["--pool", "sickleave-region", "--name", f"arbeider-{number}"],
                    env=env,
                    cwd=tmp_path,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its flow runs are its children: stopped with it
                )
            )
        started = time.monotonic()
        night = run_command(
            ["region-run", "--region", str(region_path), "--as-of", "2014-06-30"],
            env,
            tmp_path,
            600,
        )
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            stop(worker, signal.SIGINT)
        for log in logs:
            log.close()
    worker_logs = "".join(
        (tmp_path / f"worker{n}.log").read_text(errors="replace") for n in (1, 2)
    )
    assert night.returncode == 0, night.stdout + night.stderr + worker_logs[-4000:]
    assert "COMPLETED" in night.stdout

    # One flow run per municipality on the pool: Hof failed alone, the others completed; the
    # workers took the region's run and the three municipalities' between them.
    runs = {r["name"].split()[1]: r for r in flow_runs(api_url, "sickleave-nightly")
            if r["name"].split()[0] in {m.number for m in region.municipalities}}
    assert {name: r["state_type"] for name, r in runs.items()} == {
        "Andebu": "COMPLETED", "Hof": "FAILED", "Stokke": "COMPLETED"
    }
    assert {r["work_queue_name"] for r in runs.values()} == {"kommuner"}
    # The region's cron has put tomorrow's runs on the server too; this one was started by hand.
    [parent] = [r for r in flow_runs(api_url, "sickleave-region") if r["state_type"] != "SCHEDULED"]
    pattern = r"Worker 'arbeider-[12]' submitting flow run '([^']+)'"
    submitted = set(re.findall(pattern, worker_logs))
    assert {parent["id"], *(r["id"] for r in runs.values())} <= submitted
    assert parent["state_type"] == "COMPLETED"
    assert all(r["parent_task_run_id"] for r in runs.values())  # linked to the region's run
    print(f"region night with two workers: {elapsed:.0f} s")

    # Each municipality its own key (owner-only), Hof has published nothing.
    keys = {m.name: m.key_file for m in region.municipalities}
    assert keys["Andebu"].read_text() != keys["Stokke"].read_text()
    assert stat.S_IMODE(keys["Andebu"].stat().st_mode) == 0o600
    assert not (hof.warehouse_dir / "analytics.duckdb").exists()

    database = region.output_dir / REGION_DB
    con = duckdb.connect(str(database), read_only=True)
    try:
        statuses = dict(
            con.execute("SELECT municipality_name, status FROM region_municipalities").fetchall()
        )
        assert statuses == {"Andebu": "included", "Hof": "failed", "Stokke": "included"}
        region_rows = con.execute(
            "SELECT quarter, scope_level, municipality_number, sector_code, persons, "
            "possible_workdays, lost_workdays, sick_leave_pct, is_masked "
            "FROM region_sick_leave_quarterly"
        ).fetchall()
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        column_names = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE NOT internal").fetchall()]
    finally:
        con.close()

    expected = expected_sums(region)
    assert {(r[0], r[1], r[2], r[3]) for r in region_rows} == set(expected)
    macro = duckdb.connect()
    sqlproject.create_macros(macro)
    masked_groups = 0
    for quarter, level, number, sector, persons, possible, lost, pct, is_masked in region_rows:
        want_persons, want_possible, want_lost = expected[(quarter, level, number, sector)]
        # Masking on the combined persons: fewer than the region's threshold hides the figures.
        assert is_masked == (want_persons < REGION_THRESHOLD), (quarter, level, number, sector)
        if is_masked:
            masked_groups += 1
            assert (persons, possible, lost, pct) == (None, None, None, None)
            continue
        assert (persons, possible, lost) == (want_persons, want_possible, want_lost)
        [(want_pct,)] = macro.execute(
            "SELECT sick_leave_pct(?::DECIMAL(38, 8), ?::DECIMAL(38, 8))",
            [str(want_lost), str(want_possible)],
        ).fetchall()
        assert pct == want_pct
    macro.close()
    assert masked_groups > 0  # the threshold of 20 hid some small sectors: masking was tested
    levels = {r[1] for r in region_rows}
    assert levels == {"region", "municipality", "sector", "municipality_sector"}

    # No pseudonym and no person-level table anywhere in the region's output.
    assert tables == {
        "region_sick_leave_periods", "region_sick_leave_quarterly", "region_comparison",
        "region_municipalities", "region_sectors", "region_national", "region_run_info",
    }
    assert not [c for c in column_names if re.search(r"pseudonym|person_id|resource|ressurs", c)]
    outputs = sorted(p.name for p in region.output_dir.iterdir())
    assert outputs == [REGION_DB, "regionrapport_2014K2.html"]
    report = (region.output_dir / "regionrapport_2014K2.html").read_text(encoding="utf-8")
    assert not re.search(r"\b[0-9a-f]{32,}\b", report)  # no keyed hash (pseudonym) in the page
    assert "Andebu" in report and "Stokke" in report and "nattkjøringen feilet" in report
    assert json.dumps(statuses)  # plain data only
