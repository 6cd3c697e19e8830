"""Nightly operations: the input fingerprint (quiet nights), the night summary, alerts through
Apprise to a local receiver, and the deployment on a real Prefect server (marked integration).

The tiny municipality (two employees, two units, 2014K1) is small enough to check by hand:
Q1 2014 has 63 working days (22 + 20 + 21; 1 January is a holiday). Person A, 100 % in unit
2010 (sector 20), is doctor-certified sick 03.02-14.02 = 10 working days; person B, 50 % in unit
3010 (sector 30), self-certifies one day, 0.5 lost workdays. Municipality 10.5 / 94.5 = 11.1 %,
sector 20 10 / 63 = 15.9 %, sector 30 0.5 / 31.5 = 1.6 %. A third absence row has an unknown code
(XYZ) and is quarantined: one finding, one error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipeline import fingerprint as fp
from pipeline.findings import ERROR, Finding
from pipeline.night_report import headline_changes, summary_markdown
from pipeline.profile import DEFAULT_PROFILE, PROJECT_ROOT
from pipeline.settings import Settings

AS_OF = dt.date(2014, 3, 31)
PERSONAL_VALUES = ["Kari Nordmann", "Ola Søreide", "01019012345", "10001", "10002"]

ORGANISATION = """Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato
2010;Andebu sykehjem;20;Helse, omsorg og velferd;;;
3010;Høyjord skole;30;Oppvekst og kultur;;;
"""
EMPLOYMENTS = """Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato;Navn;Fødselsnr
10001;2010;100;01.01.2014;;Kari Nordmann;01019012345
10002;3010;50;01.01.2014;;Ola Søreide;
"""
ABSENCES = """Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted
10001;SYK;03.02.2014;14.02.2014;;
10002;EGM;04.02.2014;04.02.2014;;3010
10002;XYZ;05.02.2014;05.02.2014;;
"""
# An absence export without its date columns: rejected as a whole file.
BROKEN_ABSENCES = """Ressursnr;Fraværskode;Fraværsprosent
10001;SYK;100
"""


def write_municipality(raw: Path) -> Path:
    """The three Agresso exports in the default profile's format (Windows-1252, ';')."""
    folder = raw / "agresso"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in [
        ("organisasjon.csv", ORGANISATION),
        ("ansettelser.csv", EMPLOYMENTS),
        ("fravaer.csv", ABSENCES),
    ]:
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    return raw


@pytest.fixture
def raw(tmp_path):
    return write_municipality(tmp_path / "raw")


def fingerprint_of(raw_dir: Path, **kwargs) -> dict:
    args = {"as_of": AS_OF, "profile_path": DEFAULT_PROFILE, "plan_path": None}
    args.update(kwargs)
    return fp.input_fingerprint(raw_dir, **args)


# --- fingerprint: plain functions ---------------------------------------------------------------


def test_fingerprint_lists_every_raw_file_with_size_and_content_hash(raw):
    found = fingerprint_of(raw)
    assert [f["path"] for f in found["raw_files"]] == [
        "agresso/ansettelser.csv",
        "agresso/fravaer.csv",
        "agresso/organisasjon.csv",
    ]
    absences = (raw / "agresso" / "fravaer.csv").read_bytes()
    assert found["raw_files"][1]["size"] == len(absences)
    assert found["raw_files"][1]["sha256"] == fp.file_sha256(raw / "agresso" / "fravaer.csv")
    assert found["as_of"] == "2014-03-31"
    assert found["plan_sha256"] is None


def test_fingerprint_ignores_modification_time_but_not_one_changed_byte(raw):
    before = fingerprint_of(raw)
    path = raw / "agresso" / "fravaer.csv"
    os.utime(path, (0, 0))  # copied again: same bytes, other mtime
    assert fingerprint_of(raw)["digest"] == before["digest"]
    # Same size, one digit different: 14.02 -> 13.02.
    path.write_bytes(path.read_bytes().replace(b"14.02.2014", b"13.02.2014"))
    after = fingerprint_of(raw)
    assert after["raw_files"][1]["size"] == before["raw_files"][1]["size"]
    assert after["digest"] != before["digest"]
    assert fp.changed_parts(after, {"fingerprint": before}) == ["endret fil agresso/fravaer.csv"]


def test_fingerprint_changes_with_as_of_profile_plan_settings_and_new_files(raw, tmp_path):
    base = fingerprint_of(raw)
    other_profile = tmp_path / "profil.yaml"
    other_profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8") + "\n# endret\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: plan\n", encoding="utf-8")
    variants = {
        "beregningsdato": fingerprint_of(raw, as_of=dt.date(2014, 6, 30)),
        "kildeprofil": fingerprint_of(raw, profile_path=other_profile),
        "plan.yaml": fingerprint_of(raw, plan_path=plan),
        "innstillinger": fingerprint_of(raw, settings={"mask_threshold": 3}),
    }
    for label, variant in variants.items():
        assert variant["digest"] != base["digest"], label
        assert fp.changed_parts(variant, {"fingerprint": base}) == [label]
    (raw / "nav").mkdir()
    (raw / "nav" / "diagnoser.csv").write_text("x\n", encoding="utf-8")
    assert fp.changed_parts(fingerprint_of(raw), {"fingerprint": base}) == [
        "ny fil nav/diagnoser.csv"
    ]


def test_fingerprint_covers_the_package_sql(tmp_path):
    package = tmp_path / "pkg"
    (package / "sql").mkdir(parents=True)
    (package / "sql" / "a.sql").write_text("SELECT 1", encoding="utf-8")
    before = fp.code_sha256(package)
    (package / "sql" / "a.sql").write_text("SELECT 2", encoding="utf-8")
    assert fp.code_sha256(package) != before


def test_unchanged_needs_the_same_digest_and_the_published_database(raw, tmp_path):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    analytics = warehouse / "analytics.duckdb"
    now = fingerprint_of(raw)
    assert not fp.is_unchanged(now, None, analytics)  # first night
    fp.write_last_run(warehouse, {"run_id": "abc", "fingerprint": now})
    record = fp.read_last_run(warehouse)
    assert record["fingerprint"]["digest"] == now["digest"]
    assert not fp.is_unchanged(now, record, analytics)  # database deleted: compute again
    analytics.write_bytes(b"")
    assert fp.is_unchanged(now, record, analytics)
    assert not fp.is_unchanged(fingerprint_of(raw, as_of=AS_OF.replace(day=30)), record, analytics)
    (warehouse / fp.LAST_RUN_FILE).write_text("{half a rec", encoding="utf-8")
    assert fp.read_last_run(warehouse) is None  # unreadable record: the night runs in full


# --- night summary: plain functions -------------------------------------------------------------


def figures(quarter: str, municipality: str | None, sector: str | None, masked=False) -> dict:
    def row(level, code, name, pct):
        return {
            "scope_level": level,
            "scope_code": code,
            "scope_name": name,
            "sick_leave_pct": pct,
            "self_certified_pct": None,
            "doctor_certified_pct": None,
            "persons": None if masked else 2,
            "is_masked": masked and level == "sector",
        }

    return {
        "quarter": quarter,
        "is_complete": True,
        "rows": [
            row("municipality", "Alle", "Hele kommunen", municipality),
            row("sector", "20", "Helse, omsorg og velferd", sector),
        ],
    }


def test_headline_changes_are_percentage_points_and_masked_groups_have_none():
    changes = headline_changes(figures("2014K1", "11.1", "15.9"), figures("2014K1", "10.9", "16.4"))
    assert [c["change"] for c in changes] == [Decimal("0.2"), Decimal("-0.5")]
    masked = headline_changes(
        figures("2014K1", "11.1", None, masked=True), figures("2014K1", "10.9", "16.4")
    )
    assert masked[1]["change"] is None and masked[1]["is_masked"]
    assert headline_changes(figures("2014K1", "11.1", "15.9"), None)[0]["change"] is None


def test_summary_markdown_counts_rejections_findings_and_changes():
    findings = [
        Finding("absences", "fravaer.csv", 4, "Fraværskode", ERROR, "absence_code_unknown", "m")
    ]
    text = summary_markdown(
        night="23.11.2026",
        run_id="abc123",
        as_of="31.03.2014",
        skipped=False,
        files_read=4,
        rejected=[("fravaer_2.csv", "Filen mangler kolonnen «Fra dato».")],
        rows_loaded=6,
        findings=findings,
        current=figures("2014K1", "11.1", "15.9"),
        previous=figures("2013K4", "10.9", "16.4"),
    )
    assert "**Ny beregning** (kjøring abc123, beregnet per 31.03.2014)." in text
    assert "| Filer lest | 4 |" in text
    assert "| Filer avvist | 1 |" in text
    assert "| Rader lest inn | 6 |" in text
    assert "| Funn (feil) | 1 (1) |" in text
    assert "- `fravaer_2.csv`: Filen mangler kolonnen «Fra dato»." in text
    assert "| absence_code_unknown | feil | 1 |" in text
    assert "| Hele kommunen | Hele kommunen | 10,9 % (2013K4) | 11,1 % | +0,2 |" in text
    assert "| Sektor | Helse, omsorg og velferd | 16,4 % (2013K4) | 15,9 % | −0,5 |" in text


# --- alerts to a local receiver -----------------------------------------------------------------


@pytest.fixture
def receiver():
    """A JSON webhook on 127.0.0.1 that records what Apprise posts; stops at teardown, and its
    thread is a daemon, so it can never outlive the test run."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length).decode("utf-8")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_alert_urls_are_comma_separated_and_empty_means_none(monkeypatch):
    monkeypatch.setenv("SICKLEAVE_ALERT_URLS", " json://a.example/ , ,mailto://b.example ")
    assert Settings().alert_url_list == ["json://a.example/", "mailto://b.example"]
    monkeypatch.setenv("SICKLEAVE_ALERT_URLS", "")
    assert Settings().alert_url_list == []


def test_rejected_files_alert_reaches_the_receiver_in_norwegian(receiver):
    from flows.alerts import rejected_files_message, send_alert

    url, received = receiver
    title, body = rejected_files_message(
        AS_OF, "abc123", [("fravaer_2.csv", "Filen mangler kolonnen «Fra dato».")], 4, None
    )
    assert send_alert([url], title, body, failure=False)
    assert len(received) == 1
    assert received[0]["title"] == "Sykefravær: 1 fil avvist i nattkjøringen"
    assert received[0]["message"].splitlines()[:2] == [
        "Kjøring abc123 (beregnet per 31.03.2014) leste 4 filer; 1 ble avvist og er ikke med "
        "i tallene:",
        "- fravaer_2.csv: Filen mangler kolonnen «Fra dato».",
    ]
    assert received[0]["type"] == "warning"


def test_no_alert_urls_sends_nothing_and_a_dead_receiver_does_not_raise():
    from flows.alerts import send_alert

    assert send_alert([], "t", "b") is False
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert send_alert([f"json://127.0.0.1:{port}/"], "t", "b") is False


def test_failed_run_message_never_repeats_the_text_of_an_unexpected_error():
    from flows.alerts import failed_run_message
    from pipeline.errors import UserError

    when = dt.datetime(2026, 11, 23, 2, 0)
    _, body = failed_run_message(
        "hairy-cicada", when, ValueError("Could not convert '10001' to INT32"), None
    )
    assert "10001" not in body
    assert "Uventet feil (ValueError)" in body
    assert body.startswith("Nattkjøringen «hairy-cicada» feilet 23.11.2026 kl. 02:00.")
    _, body = failed_run_message("x", when, UserError("Fant ikke mappen for inndata /x."), "u")
    assert "Årsak: Fant ikke mappen for inndata /x." in body
    assert body.endswith("Logg i Prefect: u")


# --- a real Prefect server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quiet_environment(prefect_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(prefect_home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    return env


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    """Stop a process this test started (and the children in its own session)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    api_url: str
    log: Path


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """`prefect server start` on a free localhost port, its home in tmp; the first start migrates
    a fresh database, so the wait is generous. The scheduler service looks for deployments to
    schedule every 10 s instead of every minute, so a one-minute cron is seen in time."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = quiet_environment(home)
    env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "10"
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(api_url + "/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Prefect server did not start: " + (home / "server.log").read_text())
            time.sleep(1)
        yield Server(api_url, home / "server.log")
    finally:
        stop(process)
        log.close()


@pytest.fixture
def on_server(prefect_server):
    """Flows and clients in this test process talk to the real server."""
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server.api_url
        # Deliver this test's run logs while the server is still up.
        APILogWorker.drain_all(timeout=10)


def artifacts_of(flow_run_id) -> dict:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        TaskRunFilter,
    )
    from prefect.client.schemas.sorting import ArtifactSort

    # The sync client sends unset arguments as null, which the server refuses: give them all.
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])),
            flow_run_filter=FlowRunFilter(),
            task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC,
            limit=50,
            offset=0,
        )
    return {a.key: a for a in found}


def published_figures(analytics_path: Path) -> dict:
    con = duckdb.connect(str(analytics_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT scope_code, sick_leave_pct FROM sick_leave_quarterly "
            "WHERE quarter = '2014K1' AND scope_level IN ('municipality', 'sector')"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


EXPECTED = {"Alle": Decimal("11.1"), "20": Decimal("15.9"), "30": Decimal("1.6")}


STARTED = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CRASHED", "CANCELLING", "CANCELLED"]


def started_runs_of(api_url: str, deployment_id) -> list[dict]:
    """The deployment's flow runs that have left the scheduled state, from the server's REST API
    (the scheduler keeps up to a hundred future runs, which are not asked for)."""
    import httpx

    query = {
        "flow_runs": {
            "deployment_id": {"any_": [str(deployment_id)]},
            "state": {"type": {"any_": STARTED}},
        },
        "limit": 50,
    }
    answer = httpx.post(f"{api_url}/flow_runs/filter", json=query, timeout=10)
    answer.raise_for_status()
    return answer.json()


def wait_for_deployment(name: str, serving: subprocess.Popen, serve_log: Path):
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        while True:
            try:
                return client.read_deployment_by_name(name)
            except Exception:
                if serving.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("serve did not register: " + serve_log.read_text(errors="replace"))
                time.sleep(1)


def server_log_since(server: Server, start: int) -> str:
    return server.log.read_bytes()[start:].decode(errors="replace")


def scheduler_errors(log_text: str) -> list[str]:
    return [error for error in SCHEDULER_ERRORS if error in log_text]


def wait_for_scheduled_run(server: Server, log_start: int, deployment_id, serve_log: Path) -> dict:
    """The first run the scheduler created, once it is finished. A one-minute cron fires at the
    next minute boundary (at most 60 s), then the served run takes its own time. A scheduler
    error in the server's log ends the wait at once."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        finished = [
            run
            for run in started_runs_of(server.api_url, deployment_id)
            if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED")
        ]
        if finished:
            return finished[0]
        log_text = server_log_since(server, log_start)
        assert not scheduler_errors(log_text), log_text[-3000:]
        time.sleep(2)
    pytest.fail("no scheduled run finished in 300 s: " + serve_log.read_text(errors="replace"))


SCHEDULER_ERRORS = ["bulk DML", "InvalidRequestError", "Traceback", "Error in scheduler"]


@pytest.mark.integration
def test_scheduler_creates_the_nightly_run_and_it_publishes(prefect_server, on_server, tmp_path):
    """`sickleave serve` against a real `prefect server start`, cron every minute: the server's
    scheduler creates the run (nobody triggers it), serve executes it, and it publishes. Prefect
    3.8.8 with SQLAlchemy 2.1 failed exactly here, every minute, while hand-started runs worked."""
    from flows.deploy import FULL_NAME

    api_url = prefect_server.api_url
    server_log_start = prefect_server.log.stat().st_size
    raw = write_municipality(tmp_path / "raw")
    warehouse = tmp_path / "warehouse"
    env = quiet_environment(tmp_path / "prefect-client")
    env.update(
        {
            "PREFECT_API_URL": api_url,
            "PREFECT_RUNNER_POLL_FREQUENCY": "2",
            "SICKLEAVE_RAW_DIR": str(raw),
            "SICKLEAVE_WAREHOUSE_DIR": str(warehouse),
            "SICKLEAVE_MASK_THRESHOLD": "1",
            "SICKLEAVE_SCHEDULE_CRON": "* * * * *",
            "SICKLEAVE_ALERT_URLS": "",
        }
    )
    serve_log = tmp_path / "serve.log"
    log = open(serve_log, "wb")  # noqa: SIM115 - closed below
    serving = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve"],
        env=env,
        cwd=tmp_path,  # the module entrypoint must not depend on the working directory
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deployment = wait_for_deployment(FULL_NAME, serving, serve_log)
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == ("* * * * *", "Europe/Oslo")
        assert schedule.active
        assert deployment.parameters["raw_dir"] == str(raw.resolve())
        assert deployment.parameters["mask_threshold"] == 1
        run = wait_for_scheduled_run(prefect_server, server_log_start, deployment.id, serve_log)
    finally:
        stop(serving, signal.SIGINT)
        log.close()

    assert run["state_type"] == "COMPLETED", serve_log.read_text(errors="replace")
    # Created by the server's scheduler from the cron, with the deployment's own parameters.
    assert run["auto_scheduled"] and run["created_by"]["type"] == "SCHEDULE"
    assert run["parameters"]["warehouse_dir"] == str(warehouse.resolve())
    # Nobody started a run by hand in this test: every run that started is the scheduler's.
    assert all(r["auto_scheduled"] for r in started_runs_of(api_url, deployment.id))
    server_log = server_log_since(prefect_server, server_log_start)
    assert not scheduler_errors(server_log), server_log[-3000:]

    # The run counts up to today (no as_of): the 2014K1 figures are those of the tiny municipality.
    assert published_figures(warehouse / "analytics.duckdb") == EXPECTED
    artifacts = artifacts_of(run["id"])
    assert set(artifacts) == {
        "sickleave-indicator-status",
        "sickleave-night-summary",
        "sickleave-reports",
    }
    summary = artifacts["sickleave-night-summary"].data
    assert "| Filer lest | 3 |" in summary
    assert "| Rader lest inn | 6 |" in summary
    assert "| absence_code_unknown | feil | 1 |" in summary
    assert not any(value in summary for value in PERSONAL_VALUES)
    table = json.loads(artifacts["sickleave-indicator-status"].data)
    assert [r["Navn"] for r in table] == [
        "Hele kommunen",
        "Helse, omsorg og velferd",
        "Oppvekst og kultur",
    ]
    links = artifacts["sickleave-reports"].data
    for path in [warehouse / "analytics.duckdb", warehouse / "validering.html", warehouse]:
        assert f"({path.resolve().as_uri()})" in links, links
    assert f"({(tmp_path / 'reports').resolve().as_uri()})" in links, links
    assert fp.read_last_run(warehouse)["summary"]["rows_loaded"] == 6


def test_reports_artifact_links_every_file_of_the_night_that_exists(tmp_path):
    from flows.artifacts import reports_markdown

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "analytics.duckdb").write_bytes(b"")
    (tmp_path / "reports").mkdir()
    text = reports_markdown(
        warehouse / "analytics.duckdb", warehouse / "validering.html", tmp_path / "reports"
    )
    assert text.splitlines() == [
        "- Database for analytikere (DuckDB, kun lesing): "
        f"[analytics.duckdb]({(warehouse / 'analytics.duckdb').as_uri()})",
        "- Rapporter for HR (gevinstrapport, CSV, Parquet): "
        f"[reports]({(tmp_path / 'reports').as_uri()})",
        f"- Mappen med databasene: [warehouse]({warehouse.as_uri()})",
    ]  # no validering.html yet: no link to a file that is not there


def test_the_nightly_deployment_defaults_to_two_at_night_in_oslo(tmp_path, monkeypatch):
    from flows.deploy import nightly_deployment

    for name in ["SICKLEAVE_SCHEDULE_CRON", "SICKLEAVE_SCHEDULE_TIMEZONE"]:
        monkeypatch.delenv(name, raising=False)
    deployment = nightly_deployment(tmp_path / "raw", tmp_path / "wh", Settings())
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 2 * * *", "Europe/Oslo")
    assert deployment.parameters["raw_dir"] == str((tmp_path / "raw").resolve())


@pytest.mark.integration
def test_quiet_night_reads_and_reloads_nothing(on_server, raw, tmp_path):
    from flows.nightly import nightly

    warehouse = tmp_path / "warehouse"
    first = nightly(raw_dir=raw, warehouse_dir=warehouse, as_of=AS_OF, mask_threshold=1)
    assert not first.skipped and first.rows_loaded == 6
    internal = warehouse / "internal.duckdb"
    stamps = {p.name: p.stat().st_mtime_ns for p in (internal, first.analytics_path)}
    record = (warehouse / fp.LAST_RUN_FILE).read_bytes()

    state = nightly(
        raw_dir=raw, warehouse_dir=warehouse, as_of=AS_OF, mask_threshold=1, return_state=True
    )
    quiet = state.result()
    assert quiet.skipped
    assert (quiet.files_read, quiet.rows_loaded) == (0, 0)
    assert {p.name: p.stat().st_mtime_ns for p in (internal, first.analytics_path)} == stamps
    assert (warehouse / fp.LAST_RUN_FILE).read_bytes() == record  # still the last publish
    summary = artifacts_of(state.state_details.flow_run_id)["sickleave-night-summary"].data
    assert "**Ingen endringer**" in summary
    assert "| Hele kommunen | Hele kommunen | 11,1 % | 11,1 % | ±0,0 |" in summary

    forced = nightly(
        raw_dir=raw, warehouse_dir=warehouse, as_of=AS_OF, mask_threshold=1, force=True
    )
    assert not forced.skipped and forced.rows_loaded == 6
    assert internal.stat().st_mtime_ns != stamps["internal.duckdb"]

    # One changed byte in one export: the next night computes again.
    path = raw / "agresso" / "fravaer.csv"
    path.write_bytes(path.read_bytes().replace(b"14.02.2014", b"13.02.2014"))
    changed = nightly(raw_dir=raw, warehouse_dir=warehouse, as_of=AS_OF, mask_threshold=1)
    assert not changed.skipped
    # 9 lost workdays instead of 10: 9.5 / 94.5 = 10.05 % -> 10.1.
    assert published_figures(changed.analytics_path)["Alle"] == Decimal("10.1")


@pytest.mark.integration
def test_night_with_a_rejected_file_alerts_without_personal_data(
    on_server, raw, tmp_path, receiver, monkeypatch
):
    from flows.nightly import nightly

    url, received = receiver
    monkeypatch.setenv("SICKLEAVE_ALERT_URLS", url)
    (raw / "agresso" / "fravaer_2.csv").write_bytes(BROKEN_ABSENCES.encode("cp1252"))
    summary = nightly(raw_dir=raw, warehouse_dir=tmp_path / "wh", as_of=AS_OF, mask_threshold=1)
    assert summary.files_rejected == 1
    assert published_figures(summary.analytics_path) == EXPECTED  # the good files still count
    [alert] = received
    assert alert["title"] == "Sykefravær: 1 fil avvist i nattkjøringen"
    assert "- fravaer_2.csv: " in alert["message"]
    assert not any(value in alert["message"] for value in PERSONAL_VALUES)


@pytest.mark.integration
def test_failed_run_alerts_through_the_failure_hook(on_server, tmp_path, receiver, monkeypatch):
    from flows.nightly import nightly
    from pipeline.errors import UserError

    url, received = receiver
    monkeypatch.setenv("SICKLEAVE_ALERT_URLS", url)
    empty = tmp_path / "raw"
    (empty / "agresso").mkdir(parents=True)
    with pytest.raises(UserError):
        nightly(raw_dir=empty, warehouse_dir=tmp_path / "wh", as_of=AS_OF)
    [alert] = received
    assert alert["title"] == "Sykefravær: nattkjøringen feilet"
    assert "Årsak: Det finnes ingen gyldige ansettelses- og fraværsfiler" in alert["message"]
    assert "De publiserte tallene er urørt" in alert["message"]
    assert f"{on_server.removesuffix('/api')}/runs/flow-run/" in alert["message"]
    assert alert["type"] == "failure"
    assert not (tmp_path / "wh" / fp.LAST_RUN_FILE).exists()


def test_serve_refuses_to_start_without_a_server(monkeypatch):
    from pipeline.cli import serve
    from pipeline.errors import UserError

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(UserError, match="PREFECT_API_URL er ikke satt"):
        serve(raw_dir=None, warehouse_dir=None)


def test_operator_files_name_the_settings_they_rely_on():
    env = (PROJECT_ROOT / "deploy" / "sickleave.env").read_text(encoding="utf-8")
    for name in [
        "PREFECT_API_URL=http://127.0.0.1:4200/api",
        "PREFECT_HOME=",
        "PREFECT_SERVER_ANALYTICS_ENABLED=false",
        "DO_NOT_TRACK=1",
        "SICKLEAVE_SCHEDULE_CRON=",
        "SICKLEAVE_SCHEDULE_TIMEZONE=Europe/Oslo",
        "SICKLEAVE_ALERT_URLS=",
        "SICKLEAVE_KEY_FILE=",
    ]:
        assert name in env, name
    units = PROJECT_ROOT / "deploy" / "systemd"
    serve_unit = (units / "sickleave-serve.service").read_text(encoding="utf-8")
    assert "sickleave serve" in serve_unit
    assert "Requires=sickleave-prefect-server.service" in serve_unit
    server_unit = (units / "sickleave-prefect-server.service").read_text(encoding="utf-8")
    assert "prefect server start --host 127.0.0.1 --port 4200" in server_unit


def test_environment_file_can_be_sourced_by_the_shell_as_the_guide_says():
    """docs/operations.md runs commands after `set -a; . sickleave.env; set +a`: every setting in
    the file must come through whole, values with spaces included, and the shell says nothing."""
    env_file = PROJECT_ROOT / "deploy" / "sickleave.env"
    script = (
        'set -a; . "$1"; set +a; printf "%s\\n" "$SICKLEAVE_MUNICIPALITY_NAME" '
        '"$SICKLEAVE_SCHEDULE_CRON" "$SICKLEAVE_SCHEDULE_TIMEZONE"; env'
    )
    done = subprocess.run(
        ["bash", "-c", script, "bash", str(env_file)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[:3] == ["Hele kommunen", "0 2 * * *", "Europe/Oslo"]
    exported = set(lines[3:])
    settings = [
        line.replace('"', "")
        for line in env_file.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(settings) >= 14
    assert [s for s in settings if s not in exported] == []


def env_file_settings() -> dict[str, str]:
    lines = (PROJECT_ROOT / "deploy" / "sickleave.env").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return {name: value.strip('"') for name, value in pairs}


def read_write_paths(unit: str) -> list[Path]:
    text = (PROJECT_ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if line.startswith("ReadWritePaths=")]
    return [Path(p) for p in line.removeprefix("ReadWritePaths=").split()]


def test_units_let_a_night_write_every_folder_it_writes_and_nothing_of_the_code():
    """Under ProtectSystem=strict a unit writes only its ReadWritePaths: every folder a night
    writes (rejected files are moved out of raw, reports go beside the warehouse) must be inside
    them, the code folder must not, and the guide's step 1 creates each of those folders."""
    from pipeline.run_context import RunContext

    env = env_file_settings()
    raw, warehouse = Path(env["SICKLEAVE_RAW_DIR"]), Path(env["SICKLEAVE_WAREHOUSE_DIR"])
    ctx = RunContext(raw, warehouse, AS_OF)
    prefect_paths = [Path(env[n]) for n in ["PREFECT_HOME", "PREFECT_UI_STATIC_DIRECTORY"]]
    prefect_paths.append(Path(env["TMPDIR"]))
    night_paths = [raw, warehouse, ctx.rejected_dir, warehouse.parent / "reports"]
    night_paths.append(Path(env["SICKLEAVE_KEY_FILE"]).parent)

    def covered(path: Path, allowed: list[Path]) -> bool:
        return any(path == a or a in path.parents for a in allowed)

    serve = read_write_paths("sickleave-serve.service")
    server = read_write_paths("sickleave-prefect-server.service")
    assert [p for p in night_paths + prefect_paths if not covered(p, serve)] == []
    assert [p for p in prefect_paths if not covered(p, server)] == []
    assert not covered(Path("/opt/sickleave/pipeline/sql"), serve + server)

    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    step1 = guide[guide.index("1. **A user") : guide.index("2. **The code")]
    created = " ".join(step1.replace("\\\n", " ").split())
    for folder in [*night_paths, *prefect_paths[:1], prefect_paths[2]]:
        assert f" {folder} " in created + " ", folder


def test_duckdb_memory_limit_setting_reaches_the_build_connections(tmp_path, monkeypatch):
    # SICKLEAVE_DUCKDB_MEMORY_LIMIT caps what DuckDB holds while the warehouse is built; the
    # connections that load and transform are opened with it.
    from pipeline import build, run_context
    from pipeline.settings import Settings

    monkeypatch.setenv("SICKLEAVE_DUCKDB_MEMORY_LIMIT", "300MB")
    settings = Settings()
    ctx = run_context.RunContext(
        tmp_path, tmp_path, dt.date(2014, 6, 30), duckdb_memory_limit=settings.duckdb_memory_limit
    )
    assert ctx.duckdb_config == {"memory_limit": "300MB"}
    con = build.connect(tmp_path / "x.duckdb", config=ctx.duckdb_config)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.close()
    assert limit == "286.1 MiB"  # 300 000 000 bytes
    assert run_context.RunContext(tmp_path, tmp_path, dt.date(2014, 6, 30)).duckdb_config == {}
