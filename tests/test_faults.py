"""A bad night never costs data: runs killed while loading or publishing, the same file twice,
an analyst holding the database open. Each run is a separate `sickleave run` process (so it can be
killed), in-process as a plain command-line night is (one test also under Prefect)."""

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

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
    # Nothing half-built is left; the run lock stays (a lock file is never removed: removing it
    # while another run opens it would let two runs hold "the" lock at once).
    leftovers = [p.name for p in warehouse.iterdir() if p.name.startswith(".")]
    assert leftovers == [".sickleave-run.lock"]


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


# --- one night at a time, interruptions, and what is published ---------------------------------


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment carries the marker: the command and every child it
    started (children inherit the environment, whatever their process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
    return found


def start(args: list[str], marker: str, log: Path, **env_extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SICKLEAVE_CRASH")}
    env.pop("PREFECT_API_URL", None)
    env.update({"SICKLEAVE_TEST_MARKER": marker, **env_extra})
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(log, "w"),  # noqa: SIM115 - the child holds it; closed with the process
        start_new_session=True,
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the run ended before reaching the step"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.2)


def no_process_left(marker: str, grace: float = 10) -> list[int]:
    deadline = time.monotonic() + grace
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:  # never leave them to the next test
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


MODES = [pytest.param([], id="in-process"), pytest.param(["--prefect"], id="prefect-flow")]


@pytest.mark.parametrize("mode", MODES)
def test_output_closed_early_leaves_no_process_and_no_traceback(tmp_path, mode):
    raw = write_sample(tmp_path / "raw")
    marker = uuid.uuid4().hex
    log = tmp_path / "stderr.log"
    args = ["demo", "--raw-dir", str(raw), "--warehouse-dir", str(tmp_path / "wh"), *mode]
    process = start(args, marker, log)
    process.stdout.close()  # `sickleave demo | head` with a reader that is already gone
    try:
        returncode = process.wait(timeout=600)
    finally:
        left = no_process_left(marker)
    text = log.read_text()
    assert returncode == 141, text[-2000:]
    assert "Traceback" not in text and "Exception ignored" not in text
    assert left == []
    assert (tmp_path / "wh" / "analytics.duckdb").is_file()  # the night itself completed


def wait_for_text(log: Path, text: str, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert process.poll() is None, f"the run ended before «{text}»"
        assert time.monotonic() < deadline, f"«{text}» never appeared"
        time.sleep(0.2)


def without_leak_report(text: str) -> str:
    """The log without the extension module's leak report at interpreter exit (noise here)."""
    return "\n".join(line for line in text.splitlines() if "leaked" not in line)


@pytest.mark.parametrize(
    ("mode", "pause", "signum", "code"),
    [
        pytest.param([], "loading", signal.SIGTERM, 143, id="in-process-SIGTERM"),
        pytest.param([], "loading", signal.SIGINT, 130, id="in-process-SIGINT"),
        pytest.param([], "loading:query", signal.SIGTERM, 143, id="in-process-SIGTERM-in-query"),
        pytest.param([], "loading:query", signal.SIGINT, 130, id="in-process-SIGINT-in-query"),
        pytest.param(["--prefect"], "loading", signal.SIGTERM, 143, id="prefect-flow-SIGTERM"),
        # A signal during a DuckDB query comes back as DuckDB's error, inside Prefect's handler.
        pytest.param(
            ["--prefect"], "loading:query", signal.SIGTERM, 143, id="prefect-flow-SIGTERM-in-query"
        ),
    ],
)
def test_interrupted_run_ends_within_seconds_and_leaves_no_process(
    tmp_path, mode, pause, signum, code
):
    raw = write_sample(tmp_path / "raw")
    warehouse = tmp_path / "wh"
    marker = uuid.uuid4().hex
    log = tmp_path / "stderr.log"
    args = ["run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse), "--as-of", AS_OF]
    process = start([*args, *mode], marker, log, SICKLEAVE_PAUSE_AT=pause)
    try:
        wait_for_text(log, "failpoint: pause at loading", process)
        time.sleep(0.5)  # into the pause (the query) itself
        os.kill(process.pid, signum)  # the main process only, as `kill PID` does
        sent = time.monotonic()
        returncode = process.wait(timeout=120)
        took = time.monotonic() - sent
    finally:
        left = no_process_left(marker)
    text = without_leak_report(log.read_text())
    assert returncode == code, text[-3000:]
    assert took < 15, f"{took:.1f} s after the signal"
    assert "Avbrutt." in text.splitlines()
    assert "Traceback" not in text
    assert left == []
    assert not (warehouse / "analytics.duckdb").exists()  # nothing half-published


def test_two_runs_at_once_one_refuses_and_everything_published_is_one_runs(tmp_path):
    raw = write_sample(tmp_path / "raw")
    warehouse = tmp_path / "warehouse"
    marker = uuid.uuid4().hex
    quarters = {"2014-06-30": "2014K2", "2014-03-31": "2014K1"}
    processes = {
        as_of: start(
            ["run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse), "--as-of", as_of],
            marker,
            tmp_path / f"{as_of}.log",
            SICKLEAVE_PAUSE_AT="loading:10",  # the winner holds the night long enough
        )
        for as_of in quarters
    }
    try:
        codes = {as_of: p.wait(timeout=600) for as_of, p in processes.items()}
    finally:
        no_process_left(marker)
    [winner] = [as_of for as_of, c in codes.items() if c == 0]
    [loser] = [as_of for as_of, c in codes.items() if c != 0]
    refusal = (tmp_path / f"{loser}.log").read_text()
    assert codes[loser] == 2
    assert refusal.strip().splitlines() == [
        f"Feil: En annen kjøring bruker allerede {warehouse}; vent til den er ferdig og prøv "
        "igjen (bare én kjøring om gangen per database)."
    ]
    # Database, run record and reports all belong to the winner.
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    run_ids = con.execute("SELECT DISTINCT run_id FROM load_log").fetchall()
    as_ofs = con.execute("SELECT DISTINCT as_of FROM load_log").fetchall()
    con.close()
    record = json.loads((warehouse / "last_run.json").read_text(encoding="utf-8"))
    assert run_ids == [(record["run_id"],)]
    assert as_ofs == [(dt.date.fromisoformat(winner),)] and record["as_of"] == winner
    assert record["reports_delivered"] is True
    reports = sorted(p.name for p in (tmp_path / "reports").glob("gevinstrapport_*"))
    assert reports == [f"gevinstrapport_{quarters[winner]}.{ext}" for ext in ("html", "xlsx")]


# --- what is published, and what is said about it (the night called in this process) -----------


def night(raw, warehouse, **options):
    from pipeline.night import run_night

    return run_night(raw, warehouse, dt.date(2014, 6, 30), mask_threshold=1, **options)


def published_run(warehouse) -> str:
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        return con.execute("SELECT DISTINCT run_id FROM load_log").fetchone()[0]
    finally:
        con.close()


def municipality_2014k1(warehouse) -> str:
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        return str(
            con.execute(
                "SELECT lost_workdays FROM sick_leave_quarterly "
                "WHERE quarter = '2014K1' AND scope_level = 'municipality'"
            ).fetchone()[0]
        )
    finally:
        con.close()


@contextlib.contextmanager
def reports_held(root: Path):
    """Another process making the reports (deliver's lock beside the reports folder)."""
    with open(root / ".reports.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def test_a_night_whose_reports_did_not_follow_its_database_is_not_quiet(tmp_path):
    from pipeline.alerts import failed_run_message
    from pipeline.night import AfterPublishFailed

    raw = write_sample(tmp_path / "raw")
    warehouse = tmp_path / "warehouse"
    absences = raw / "agresso" / "fravaer.csv"
    original = absences.read_bytes()
    first = night(raw, warehouse)
    lost_a = municipality_2014k1(warehouse)

    # Night B: one spell a day shorter; its database is published, its reports cannot be made.
    absences.write_bytes(
        original.replace(b"14.02.2014", b"13.02.2014").replace(b"20.03.2014", b"19.03.2014")
    )
    with reports_held(tmp_path), pytest.raises(AfterPublishFailed) as failed:
        night(raw, warehouse)
    record = json.loads((warehouse / "last_run.json").read_text(encoding="utf-8"))
    assert record["run_id"] == published_run(warehouse) != first.run_id  # says what is published
    assert record["reports_delivered"] is False
    assert municipality_2014k1(warehouse) != lost_a
    message = str(failed.value)
    assert message.startswith(f"Databasen er publisert fra kjøring {record['run_id']}")
    assert "fortsatt forrige kjørings" in message and "lages allerede" in message
    _, body = failed_run_message("natt", dt.datetime(2014, 7, 1, 2), failed.value, None)
    assert "urørt" not in body and f"kjøring {record['run_id']}" in body

    # The inputs go back to A's: the published database is B's, so this is no quiet night.
    absences.write_bytes(original)
    again = night(raw, warehouse)
    assert not again.skipped
    assert published_run(warehouse) == again.run_id and municipality_2014k1(warehouse) == lost_a
    record = json.loads((warehouse / "last_run.json").read_text(encoding="utf-8"))
    assert record["run_id"] == again.run_id and record["reports_delivered"] is True
    assert night(raw, warehouse).skipped  # and now it is


def test_a_failure_before_publish_says_the_published_figures_are_untouched():
    from pipeline.alerts import failed_run_message
    from pipeline.errors import UserError

    _, body = failed_run_message("natt", dt.datetime(2014, 7, 1, 2), UserError("Noe."), None)
    assert "De publiserte tallene er urørt" in body


@pytest.mark.parametrize("damage", ["zero-byte", "truncated"])
def test_a_broken_published_database_is_rebuilt_on_its_own(tmp_path, damage):
    raw = write_sample(tmp_path / "raw")
    warehouse = tmp_path / "warehouse"
    night(raw, warehouse)
    database = warehouse / "analytics.duckdb"
    data = database.read_bytes()
    database.write_bytes(b"" if damage == "zero-byte" else data[: len(data) // 3])
    rebuilt = night(raw, warehouse)  # no --force needed: a broken database is no quiet night
    assert not rebuilt.skipped
    assert published_run(warehouse) == rebuilt.run_id


UNSHARE = shutil.which("unshare")


def run_on_small_mount(tmp_path, mount_options: str, remount_read_only: bool):
    """`sickleave run` whose warehouse folder is a tiny file system of its own (a private mount
    namespace, so nothing outside the test sees it)."""
    raw = write_sample(tmp_path / "raw")
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    command = (
        f"mount -t tmpfs -o {mount_options} tmpfs {warehouse} && "
        + (f"mount -o remount,ro {warehouse} && " if remount_read_only else "")
        + f"exec {sys.executable} -m pipeline.cli run --raw-dir {raw} "
        f"--warehouse-dir {warehouse} --as-of {AS_OF}"
    )
    if not UNSHARE or subprocess.run([UNSHARE, "-rm", "true"]).returncode != 0:
        pytest.skip("this machine cannot make a private mount namespace (unshare -rm)")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return subprocess.run(
        [UNSHARE, "-rm", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.parametrize(
    ("options", "read_only", "words"),
    [
        pytest.param("size=200k", False, "disken er full", id="full-disk"),
        pytest.param("size=1m", True, "Kan ikke lage databasemappen", id="read-only"),
    ],
)
def test_full_disk_or_read_only_folder_is_one_sentence(tmp_path, options, read_only, words):
    result = run_on_small_mount(tmp_path, options, read_only)
    assert result.returncode in (2, 3), result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith(f"Feil: {words}"), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
