"""Many municipalities on one Prefect work pool: one flow run per municipality, then the region.

Two deployments on one **process work pool** (Prefect's own distributed execution: workers poll
the pool and run each flow run in a process of their own):

- `sickleave-nightly/region-municipality`: the ordinary nightly flow (flows/nightly.py), without a
  schedule, in the pool's `kommuner` queue, whose concurrency limit caps how many municipality
  nights run at once whatever the number of workers. Each flow run gets the municipality's
  folders as parameters and its own key, profile and plan through the run's environment.
- `sickleave-region/region`: the parent flow, on the region's cron, in the `region` queue. It
  creates one flow run of the deployment above per municipality (`run_deployment`, linked to the
  parent as subflows), waits until every one has finished, then builds region.duckdb from what
  the municipalities published and writes the regional report.

Why a parent flow and not one scheduled deployment per municipality: the region night must come
after every municipality's night, and only a parent knows when that is (with one schedule each,
the region would need a guessed later hour); one deployment with parameters is also one thing to
register and update, however many municipalities there are. A municipality whose night fails
fails alone: its run is Failed (and alerts, as every night does), the others carry on, and the
region is built from those that published, listing the one left out. Retries are the nightly
flow's own (a locked database file is retried).

Workers: `prefect worker start --pool sickleave-region` (two or more, on this machine or others
that see the same folders). The same pool takes Docker or Kubernetes workers with no code change
(README, "Many municipalities on one work pool").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.alerts import alert_failed_run
from flows.nightly import nightly, retry_only_when_locked
from pipeline.region.combine import build_region_database
from pipeline.region.config import Region, load_region, night_environment, night_parameters
from pipeline.region.report import write_region_report

MUNICIPALITY_DEPLOYMENT = "region-municipality"
MUNICIPALITY_FULL_NAME = f"{nightly.name}/{MUNICIPALITY_DEPLOYMENT}"
REGION_DEPLOYMENT = "region"
MUNICIPALITY_QUEUE = "kommuner"
REGION_QUEUE = "region"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

# Every flow run on the pool: the night's own log lines into the run's log, no telemetry.
RUN_ENVIRONMENT = {
    "PREFECT_LOGGING_EXTRA_LOGGERS": "sickleave",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
}


def start_municipality_nights(region: Region, as_of: dt.date, force: bool) -> dict[str, object]:
    """One flow run per municipality on the pool, returned at once (they queue in `kommuner`)."""
    runs = {}
    for municipality in region.municipalities:
        runs[municipality.number] = run_deployment(
            MUNICIPALITY_FULL_NAME,
            parameters=night_parameters(municipality, as_of, force),
            job_variables={"env": RUN_ENVIRONMENT | night_environment(municipality)},
            flow_run_name=f"{municipality.number} {municipality.name} {as_of:%d.%m.%Y}",
            tags=["sickleave", "region", municipality.number],
            timeout=0,
        )
    return runs


def wait_for_runs(run_ids: dict[str, object], timeout_s: float, poll_s: float) -> dict[str, str]:
    """Each run's final state type (COMPLETED, FAILED, …); a run still going at the timeout counts
    as not published tonight."""
    deadline = time.monotonic() + timeout_s
    states: dict[str, str] = {}
    with get_client(sync_client=True) as client:
        while True:
            for number, run_id in run_ids.items():
                if number not in states:
                    state = client.read_flow_run(run_id).state
                    if state is not None and state.type.value in FINAL_STATES:
                        states[number] = state.type.value
            if len(states) == len(run_ids) or time.monotonic() > deadline:
                return {n: states.get(n, "TIMED_OUT") for n in run_ids}
            time.sleep(poll_s)


@task(
    name="region-combine",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=retry_only_when_locked,  # as the nights: a locked file, not a bug
)
def combine(region_path: str, as_of: dt.date, failed: list[str]) -> tuple[str, str, list[str]]:
    region = load_region(region_path)
    build = build_region_database(region, as_of, frozenset(failed))
    report = write_region_report(build.path, region.output_dir)
    return str(build.path), str(report), build.included


@flow(
    name="sickleave-region",
    log_prints=True,
    on_failure=[alert_failed_run],  # a municipality that fails alerts from its own run
    on_crashed=[alert_failed_run],
)
def region_night(
    region_path: str,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_hours: float = 6,
    poll_seconds: float = 5,
) -> dict:
    """Every municipality's night on the work pool, then region.duckdb and the regional report
    from what they published."""
    logger = get_run_logger()
    region = load_region(region_path)
    as_of = as_of or dt.date.today()
    runs = start_municipality_nights(region, as_of, force)
    states = wait_for_runs({n: r.id for n, r in runs.items()}, wait_hours * 3600, poll_seconds)
    failed = sorted(n for n, state in states.items() if state != "COMPLETED")
    for number in failed:
        name = region.municipality(number).name
        logger.warning("%s (%s): nattkjøringen endte %s; utelatt fra regionen", name, number,
                       states[number])
    database, report, included = combine(str(region.path), as_of, failed)
    create_markdown_artifact(
        key="sickleave-region",
        markdown=_summary(region, states, database, report),
        description="Regionnatten: kommunenes kjøringer og regionens database og rapport.",
    )
    return {"as_of": as_of.isoformat(), "states": states, "included": included,
            "database": database, "report": report}


def _summary(region: Region, states: dict[str, str], database: str, report: str) -> str:
    words = {"COMPLETED": "publisert", "FAILED": "feilet", "CRASHED": "krasjet",
             "CANCELLED": "avbrutt", "TIMED_OUT": "ikke ferdig"}
    lines = [f"# {region.name}", "", "| Kommune | Nr. | Natten |", "|---|---|---|"]
    for m in region.municipalities:
        lines.append(f"| {m.name} | {m.number} | {words.get(states[m.number], states[m.number])} |")
    lines += ["", f"- Database: [{database}]({Path(database).as_uri()})",
              f"- Regionrapport: [{report}]({Path(report).as_uri()})"]
    return "\n".join(lines)


# --- registering the deployments --------------------------------------------------------------


def region_deployments(region: Region, cron: str, timezone: str) -> list[RunnerDeployment]:
    """The two deployments (module entrypoints: a worker loads them from the installed package,
    whatever its working directory)."""
    municipality = nightly.to_deployment(
        name=MUNICIPALITY_DEPLOYMENT,
        work_queue_name=MUNICIPALITY_QUEUE,
        job_variables={"env": RUN_ENVIRONMENT},
        description="Sykefravær: én kommunes natt, startet av regionnatten med kommunens "
        "mapper, nøkkel, profil og plan.",
        tags=["sickleave", "region"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    parent = region_night.to_deployment(
        name=REGION_DEPLOYMENT,
        work_queue_name=REGION_QUEUE,
        schedule=Cron(cron, timezone=timezone),
        parameters={"region_path": str(region.path)},
        job_variables={"env": RUN_ENVIRONMENT},
        description=f"{region.name}: hver kommunes natt på arbeidspoolen, så region.duckdb og "
        "regionrapporten.",
        tags=["sickleave", "region"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    return [municipality, parent]


def register_region(region: Region, cron: str, timezone: str) -> list:
    """Create the process work pool and its two queues if missing (the municipality queue with
    the region's concurrency limit), and register or update both deployments on it."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(region.work_pool)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            with contextlib.suppress(ObjectAlreadyExists):  # another serve made it just now
                client.create_work_pool(
                    WorkPoolCreate(
                        name=region.work_pool, type="process", base_job_template=template
                    )
                )
        for queue, limit in [(MUNICIPALITY_QUEUE, region.concurrency), (REGION_QUEUE, None)]:
            _ensure_queue(client, region.work_pool, queue, limit)
    deployments = region_deployments(region, cron, timezone)
    return [d.apply(work_pool_name=region.work_pool) for d in deployments]


def _ensure_queue(client, pool: str, name: str, limit: int | None) -> None:
    from prefect.exceptions import ObjectNotFound

    try:
        queue = client.read_work_queue_by_name(name, work_pool_name=pool)
    except ObjectNotFound:
        client.create_work_queue(name=name, work_pool_name=pool, concurrency_limit=limit)
        return
    if queue.concurrency_limit != limit:
        client.update_work_queue(queue.id, concurrency_limit=limit)
