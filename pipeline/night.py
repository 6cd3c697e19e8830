"""The night's sequence, in one place: read, validate, protect, load, transform, publish, deliver.

Everything that runs the night calls `run_night`: the command line in-process, the Prefect flow
(flows/nightly.py) and the scale benchmark. Two hooks let a caller wrap it without copying it:

- `on_stage(stage, fn, *args, label=..., **kwargs)` calls one step of the night and returns its
  result. The default calls it directly; the Prefect flow makes each call a task (its name is the
  stage, its run name the label), with retries where a locked file can clear.
- `measure(stage)` is a context manager around the parts of a step
  (pipeline.run_context.Measure): the benchmark times and weighs each stage with it.

The stages, as the README names them: read, validate and protect run per file, one step per
Agresso file ("read": the file is held in memory only until its person identifiers are replaced;
`measure` times the three apart); then load, transform, publish and deliver, one step each.

Logs go to the "sickleave" logger: on stderr in a plain run, into the run's log under Prefect
(PREFECT_LOGGING_EXTRA_LOGGERS, pipeline.settings).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what a quiet night needs is imported here: the night decides from the fingerprint whether
# there is anything to do before pandas' heavier users, DuckDB's SQL project, Great Expectations,
# openpyxl and matplotlib are imported (in _compute, for a night that computes).
from pipeline import archive, filemodes, retention, run_context
from pipeline import fingerprint as fp
from pipeline.alerts import alert_night_warnings, alert_rejected_files
from pipeline.errors import UserError
from pipeline.preflight import check_directories
from pipeline.privacy import open_night_key, record_night_key
from pipeline.profile import load_profile
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.findings import Finding

log = logging.getLogger("sickleave.night")


LOCK_FILE = ".sickleave-run.lock"


@dataclass
class NightlySummary:
    run_id: str
    as_of: dt.date
    analytics_path: Path
    files_read: int
    files_rejected: int
    rows_loaded: int
    findings: int
    errors: int
    skipped: bool = False  # inputs unchanged since the last publish: nothing read or computed
    reports_dir: Path | None = None  # HR's deliverables (gevinstrapport, CSV, Parquet)
    warnings: list[str] = field(default_factory=list)  # for log, summary and alert (lost key)


class AfterPublishFailed(Exception):
    """The night published its database, then a later step failed. The message says what is
    published now (the new database; the reports of this night or still the previous ones) and
    what failed."""

    def __init__(self, ctx: run_context.RunContext, cause: BaseException, reports_done: bool):
        self.cause = cause
        self.own_sentence = isinstance(cause, UserError) or getattr(cause, "errno", None) == 28
        if isinstance(cause, UserError):
            reason = str(cause).rstrip(".")
        elif self.own_sentence:
            reason = "disken er full"
        else:
            reason = f"uventet feil ({type(cause).__name__}), se loggen"
        published = f"kjøring {ctx.run_id} (beregnet per {ctx.as_of:%d.%m.%Y})"
        reports = ctx.warehouse_dir.parent / "reports"
        if reports_done:
            text = f"Databasen og rapportene er publisert fra {published}, men avslutningen feilet"
        else:
            text = (
                f"Databasen er publisert fra {published}, men rapportene for HR i {reports} ble "
                "ikke oppdatert og er fortsatt forrige kjørings; neste kjøring lager dem"
            )
        super().__init__(f"{text}: {reason}.")


def call(stage: str, fn: Callable[..., Any], *args: Any, label: str | None = None, **kwargs: Any):
    """The default stage hook: call the step directly."""
    return fn(*args, **kwargs)


StageHook = Callable[..., Any]


@contextmanager
def one_night_at_a_time(warehouse_dir: Path) -> Iterator[None]:
    """Hold the warehouse's run lock for the whole night; a second run refuses at once.

    Taken before anything is written or removed in the warehouse folder: two nights on one
    warehouse would otherwise build into the same private files and publish one's database with
    the other's reports. The operating system releases the lock when the process ends, however.
    """
    with filemodes.exclusive_lock(
        Path(warehouse_dir) / LOCK_FILE,
        f"En annen kjøring bruker allerede {warehouse_dir}; vent til den er ferdig og prøv igjen "
        "(bare én kjøring om gangen per database).",
    ):
        yield


def run_night(
    raw_dir: Path,
    warehouse_dir: Path,
    as_of: dt.date | None = None,
    mask_threshold: int | None = None,
    municipality_name: str | None = None,
    profile_path: Path | None = None,
    plan_path: Path | None = None,
    force: bool = False,
    on_stage: StageHook = call,
    measure: run_context.Measure = run_context.unmeasured,
    artifacts: Callable[..., Any] | None = None,
    settings: Settings | None = None,
) -> NightlySummary:
    """Read every export under raw_dir, validate, load, compute, publish analytics.duckdb and
    deliver HR's reports; skip all of it when nothing changed since the last publish.

    What is not given comes from settings (read from the environment once, here, when the caller
    has none): the masking threshold, the municipality's name, the profile, and the plan
    (plan.yaml, SICKLEAVE_PLAN_PATH; without a plan file the indicator tables are not built).
    `artifacts(status_rows, markdown, analytics_path, quarter)` is called at the end of every
    night when given (the flow's Prefect artifacts).
    """
    settings = settings or Settings()
    profile = load_profile(profile_path or settings.profile)
    if plan_path is None and settings.plan_path.exists():
        plan_path = settings.plan_path
    ctx = run_context.RunContext(
        Path(raw_dir),
        Path(warehouse_dir),
        as_of or dt.date.today(),
        settings.mask_threshold if mask_threshold is None else mask_threshold,
        settings.municipality_name if municipality_name is None else municipality_name,
        settings.duckdb_memory_limit,
    )
    check_directories(ctx.raw_dir, ctx.warehouse_dir)
    with one_night_at_a_time(ctx.warehouse_dir):
        for leftover in run_context.remove_leftovers(ctx):
            log.warning("fjernet %s, etterlatt av en avbrutt kjøring", leftover.name)
        recover_broken_database(ctx)
        # Before the fingerprint: a night that minimises an export reads the minimised file.
        retention.apply_retention(
            ctx.raw_dir,
            ctx.rejected_dir,
            profile,
            settings.raw_retention_days,
            ctx.started_at,
        )
        previous_run = fp.read_last_run(ctx.warehouse_dir)
        # Before the quiet-night check: a lost key is said on every night until one publishes.
        night_key = open_night_key(ctx.warehouse_dir, settings)
        warnings = [night_key.warning] if night_key.warning else []
        for warning in warnings:
            log.warning(warning)
        fingerprint = on_stage("fingerprint", fingerprint_inputs, ctx, profile.path, plan_path)
        if not force and unchanged_since_last_run(ctx, fingerprint):
            summary = NightlySummary(ctx.run_id, ctx.as_of, ctx.analytics_path, 0, 0, 0, 0, 0, True)
            summary.warnings = warnings
            finish_night(ctx, summary, [], [], previous_run, settings, artifacts)
            return summary
        summary, loaded, findings = _compute(
            ctx, profile, plan_path, fingerprint, on_stage, measure, night_key
        )
        summary.warnings = warnings
        try:
            finish_night(ctx, summary, loaded, findings, previous_run, settings, artifacts)
        except Exception as exc:
            raise AfterPublishFailed(ctx, exc, reports_done=True) from exc
        return summary


def _compute(ctx, profile, plan_path, fingerprint, on_stage, measure, night_key) -> tuple:
    """The night proper, once the quiet-night check said there is work to do."""
    from pipeline import discovery
    from pipeline.action_lists import write_night_action_lists
    from pipeline.findings import ERROR
    from pipeline.plan import load_plan
    from pipeline.stages import deliver, load, publish, transform

    loaded, extra, findings = _read_inputs(
        ctx, profile, plan_path, fingerprint, on_stage, measure, night_key.key
    )
    load_findings = on_stage(
        "load", load, ctx, profile, plan_path, loaded, extra, measure, label="last inn"
    )
    quality = on_stage(
        "transform", transform, ctx, plan_path, load_findings, measure, label="beregn"
    )
    findings += quality
    with measure("publish"):
        path = on_stage("publish", publish, ctx, findings, loaded)
    record_night_key(ctx.warehouse_dir, night_key)  # the warehouse is now this key's
    summary = NightlySummary(
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        analytics_path=path,
        files_read=discovery.files_read(fingerprint["raw_files"], profile),
        files_rejected=sum(1 for lf in loaded if lf.rejected_reason),
        rows_loaded=sum(lf.rows_loaded for lf in loaded),
        findings=len(findings),
        errors=sum(1 for f in findings if f.severity == ERROR),
    )
    # From here the database is published: the record says so at once, and says whether the
    # reports followed, so a night whose reports failed is never taken for a quiet one; every
    # failure from here says what is published now.
    try:
        figures = record_publish(ctx, summary, fingerprint, delivered=False)
        municipality = load_plan(plan_path).municipality if plan_path else None
        with measure("deliver"):
            summary.reports_dir = on_stage(
                "deliver", deliver, path, ctx.warehouse_dir.parent / "reports", municipality
            )
    except Exception as exc:
        raise AfterPublishFailed(ctx, exc, reports_done=False) from exc
    try:
        record_publish(ctx, summary, fingerprint, delivered=True, figures=figures)
        # The leaders' lists: made while the night still holds the exports' Ressursnr.
        on_stage("deliver", write_night_action_lists, ctx, loaded, label="handlingslister")
    except Exception as exc:
        raise AfterPublishFailed(ctx, exc, reports_done=True) from exc
    return summary, loaded, findings


def _read_inputs(ctx, profile, plan_path, fingerprint, on_stage, measure, key: bytes) -> tuple:
    """Read, validate and protect every input: the Agresso files one by one (organisation first,
    it says which units exist; each content once, by the digests the fingerprint took), then
    NAV, the reference series and the manual measurements.
    Returns the loaded files, the extra staging frames and the findings."""
    from pipeline import cost, discovery, history, intake, rejected_files
    from pipeline.action_lists import follow_up_sources
    from pipeline.stages import read_file, read_manual, read_nav, read_references

    with measure("read"):
        files = discovery.discover(
            ctx.raw_dir,
            profile,
            discovery.AGRESSO_SOURCES + cost.account_sources(profile) + follow_up_sources(profile),
        )
        loaded = discovery.unexpected_files(ctx.raw_dir, profile)
    digests = fp.digests(fingerprint, ctx.raw_dir)

    def read_all(source: str, units: set[str] | None) -> list[run_context.LoadedFile]:
        def read_one(path: Path, digest: str) -> run_context.LoadedFile:
            return on_stage(
                "read",
                read_file,
                path,
                source,
                profile,
                key,
                units,
                digest,
                measure,
                label=f"les {source}: {path.name}",
            )

        return discovery.read_each_content_once(files[source], source, digests, read_one)

    org = read_all("organisation", None)
    units = intake.known_units_from(org)
    loaded += org + read_all("employments", units) + read_all("absences", units)
    for source in cost.account_sources(profile):  # the accounts, for the cost of sick leave
        loaded += read_all(source, units)
    for source in follow_up_sources(profile):  # the optional follow-up export
        loaded += read_all(source, None)
    with measure("read"):
        history.settle_history(loaded, archive.read_record(ctx.raw_dir), ctx.started_at, profile)
        for lf in loaded:
            if lf.rejected_reason:
                rejected_files.move_rejected(lf, ctx.rejected_dir, ctx.run_id)
        findings = [f for lf in loaded for f in lf.findings]
        nav_frame, nav_findings = on_stage(
            "read", read_nav, ctx.raw_dir, profile, label="les NAV-diagnoser"
        )
        references, reference_findings = on_stage(
            "read", read_references, ctx.raw_dir, label="les referansetall"
        )
        extra = {"stg_nav_diagnosis": nav_frame, "reference_series": references}
        extra["stg_accounts"] = cost.accounts_staging_frame(loaded, profile)
        findings += nav_findings + reference_findings
        if plan_path:
            extra["manual_measurements"], manual_findings = on_stage(
                "read",
                read_manual,
                ctx.raw_dir,
                plan_path,
                profile,
                label="les manuelle målinger",
            )
            findings += manual_findings
    return loaded, extra, findings


# --- the bookends: is there anything to do, and what is published now -------------------------


def fingerprint_inputs(ctx: run_context.RunContext, profile_path: Path, plan_path: Path | None):
    """Fingerprint of the night's inputs (raw files, as-of, profile, the plan the night uses,
    code and schemas, settings). Every raw file is hashed here, once a night; contents the
    archive has not seen before are entered in its record (data/raw/.arkiv.json) first, so the
    fingerprint says which export is newer as well."""

    def first_seen_in_load_log():
        from pipeline import history

        return history.first_seen_in_load_log(ctx.analytics_path)

    manifest = fp.raw_manifest(ctx.raw_dir)
    record = archive.record_arrivals(
        ctx.raw_dir,
        [(f["path"], f["sha256"]) for f in manifest],
        ctx.started_at,
        earlier=first_seen_in_load_log,
    )
    return fp.input_fingerprint(
        ctx.raw_dir,
        ctx.as_of,
        profile_path,
        plan_path,
        settings={
            "mask_threshold": ctx.mask_threshold,
            "municipality_name": ctx.municipality_name,
        },
        manifest=manifest,
        first_seen=record,
    )


def published_run_id(analytics_path: Path) -> str | None:
    """The run whose database is published (its load log), or None when there is none."""
    from pipeline.database_files import connect

    if not analytics_path.is_file():
        return None
    con = connect(analytics_path, read_only=True)
    try:
        row = con.execute("SELECT max(run_id) FROM load_log").fetchone()
    finally:
        con.close()
    return row[0] if row else None


def file_stamp(path: Path) -> dict[str, int]:
    """Size and modification time of the published file: a database truncated or replaced
    behind the night's back no longer matches the record (copying it back is a change too)."""
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def recover_broken_database(ctx: run_context.RunContext) -> None:
    """A published database that cannot be opened (zero bytes, truncated, overwritten) is removed
    so this night publishes a new one from the archive; it held nothing that is not rebuilt."""
    import duckdb

    path = ctx.analytics_path
    if not path.exists():
        return
    try:
        published_run_id(path)
    except (duckdb.Error, UnicodeDecodeError) as exc:
        if "lock" in str(exc).lower():
            return
        log.warning(
            "%s kan ikke leses (%s): den fjernes og bygges på nytt fra inndatamappen.",
            path.name,
            str(exc).splitlines()[0][:120],
        )
        path.unlink()


def unchanged_since_last_run(ctx: run_context.RunContext, fingerprint: dict[str, Any]) -> bool:
    """True (and logged as "ingen endringer") when the last publish saw exactly these inputs, its
    reports followed, and the published database is still that publish's."""
    last_run = fp.read_last_run(ctx.warehouse_dir)
    if fp.is_unchanged(fingerprint, last_run, ctx.analytics_path):
        if not last_run.get("reports_delivered", False):
            log.info("rapportene fulgte ikke forrige publisering: lager alt på nytt.")
            return False
        if last_run.get("analytics_file") != file_stamp(ctx.analytics_path) or (
            published_run_id(ctx.analytics_path) != last_run.get("run_id")
        ):
            log.info("den publiserte databasen er ikke den siste kjøringen registrerte: beregner.")
            return False
        log.info(
            "ingen endringer i inndata siden kjøring %s (%d filer): hopper over lesing og "
            "beregning; publiserte tall er uendret.",
            last_run.get("run_id"),
            len(fingerprint["raw_files"]),
        )
        return True
    if last_run and not ctx.analytics_path.is_file():
        log.info("%s mangler: beregner alt på nytt.", ctx.analytics_path.name)
    else:
        log.info(
            "endringer siden forrige kjøring: %s",
            "; ".join(fp.changed_parts(fingerprint, last_run)),
        )
    return False


def record_publish(
    ctx: run_context.RunContext,
    summary: NightlySummary,
    fingerprint: dict[str, Any],
    delivered: bool,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Write last_run.json: what is published now (the run, its fingerprint, counts, figures) and
    whether HR's reports followed it. Returns the headline figures."""
    from pipeline import night_report

    if figures is None:
        figures = night_report.latest_figures(ctx.analytics_path)
    fp.write_last_run(
        ctx.warehouse_dir,
        {
            "run_id": ctx.run_id,
            "started_at": ctx.started_at.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "as_of": ctx.as_of.isoformat(),
            "reports_delivered": delivered,
            "analytics_file": file_stamp(ctx.analytics_path),
            "reports_dir": str(summary.reports_dir) if summary.reports_dir else None,
            "summary": {
                "files_read": summary.files_read,
                "files_rejected": summary.files_rejected,
                "rows_loaded": summary.rows_loaded,
                "findings": summary.findings,
                "errors": summary.errors,
            },
            "headline": figures,
            "fingerprint": fingerprint,
        },
    )
    return figures


def finish_night(
    ctx,
    summary,
    loaded: list,
    findings: list[Finding],
    previous_run: dict | None,
    settings: Settings,
    artifacts=None,
) -> None:
    """The rejected-files alert for a night that published; the night's artifacts when a caller
    keeps them (the Prefect flow), for quiet nights too, against the publish before this night."""
    rejected = [(lf.path.name, lf.rejected_reason) for lf in loaded if lf.rejected_reason]
    urls = settings.alert_url_list
    alert_night_warnings(urls, ctx.as_of, ctx.run_id, summary.warnings)
    if not summary.skipped:
        alert_rejected_files(urls, ctx.as_of, ctx.run_id, rejected, summary.files_read)
    if artifacts is None:
        return
    from pipeline import night_report
    from pipeline.follow_up_report import night_follow_up

    figures = (
        night_report.latest_figures(ctx.analytics_path) if ctx.analytics_path.is_file() else None
    )
    markdown = night_report.summary_markdown(
        night=f"{ctx.started_at.astimezone():%d.%m.%Y}",
        run_id=ctx.run_id,
        as_of=f"{ctx.as_of:%d.%m.%Y}",
        skipped=summary.skipped,
        files_read=summary.files_read,
        rejected=rejected,
        rows_loaded=summary.rows_loaded,
        findings=findings,
        current=figures,
        previous=(previous_run or {}).get("headline"),
        previous_run=previous_run,
        warnings=summary.warnings,
        follow_up=night_follow_up(ctx.analytics_path),
    )
    artifacts(
        night_report.status_table(figures) if figures else [],
        markdown,
        ctx.analytics_path,
        figures["quarter"] if figures else None,
        ctx.validation_report_path,
        getattr(summary, "reports_dir", None),
    )
