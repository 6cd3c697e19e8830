"""The `sickleave` command. User errors end as one sentence on stderr and exit 2, never a
traceback; help and usage errors are Norwegian (pipeline/cli_help.py).

`run`, `rebuild` and `demo` run the night in this process (pipeline.night) unless a Prefect
server is configured (PREFECT_API_URL) or --prefect is given: then the night runs as the Prefect
flow (flows/nightly.py), recorded in the server's UI. Prefect is not imported otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli_help import NorwegianGroup, exit_code, install_signal_handlers, report_failure
from pipeline.errors import UserError
from pipeline.plan import load_plan
from pipeline.settings import Settings, configure_prefect_environment, quiet_libraries

app = typer.Typer(
    cls=NorwegianGroup,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Sykefraværsstatistikk for kommuner: Agresso- og NAV-uttrekk til DuckDB.",
)

SAMPLE_AS_OF = dt.date(2014, 6, 30)  # the sample municipality's history ends here

RawDir = Annotated[Path | None, typer.Option("--raw-dir", help="Mappe med inndata (data/raw).")]
WarehouseDir = Annotated[
    Path | None, typer.Option("--warehouse-dir", help="Mappe for databasene (data/warehouse).")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Beregningsdato ÅÅÅÅ-MM-DD (standard: i dag).")
]
UsePrefect = Annotated[
    bool,
    typer.Option(
        "--prefect",
        help="Kjør natten som Prefect-flyt også uten PREFECT_API_URL (starter en midlertidig "
        "Prefect-server).",
    ),
]


def _parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"«{text}» er ikke en dato på formen ÅÅÅÅ-MM-DD (f.eks. 2014-06-30)."
        ) from None


def _run_night(
    settings: Settings,
    raw_dir: Path,
    warehouse_dir: Path,
    as_of: dt.date | None,
    force: bool = False,
    prefect: bool = False,
) -> None:
    """Check what a person can fix before anything heavy is imported, then run the night: as the
    Prefect flow under a configured server (or --prefect), else in this process."""
    from pipeline.preflight import check_directories, check_inputs_present
    from pipeline.profile import load_profile

    check_directories(raw_dir, warehouse_dir)
    profile = load_profile(settings.profile)
    plan_path = settings.plan_path if settings.plan_path.exists() else None
    if plan_path:
        load_plan(plan_path)  # a plan error is reported with line and field before anything runs
    check_inputs_present(raw_dir, profile)
    arguments = {
        "raw_dir": raw_dir,
        "warehouse_dir": warehouse_dir,
        "as_of": as_of,
        "plan_path": plan_path,
        "mask_threshold": settings.mask_threshold,
        "municipality_name": settings.municipality_name,
        "profile_path": settings.profile,
        "force": force,
    }
    if prefect or os.environ.get("PREFECT_API_URL"):
        if not os.environ.get("PREFECT_API_URL"):
            # The temporary server lives and dies with this process: when it is gone (the
            # process group was killed), retrying it for minutes helps nobody.
            os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "1")
        configure_prefect_environment()
        from flows.nightly import nightly  # Prefect is imported only when a flow runs

        summary = nightly(**arguments)
    else:
        summary = _run_in_process(arguments, settings)
    from pipeline.headline import print_headline

    if summary.skipped:
        typer.echo(
            "Ingen endringer i inndata siden forrige kjøring: ingenting er lest inn eller "
            "beregnet på nytt (bruk --force for å beregne likevel)."
        )
    print_headline(summary)


def _run_in_process(arguments: dict, settings: Settings):
    """The night in this process, its log on stderr; a failure alerts as the flow's would."""
    quiet_libraries()
    from pipeline.cli_help import log_to_stderr

    log_to_stderr()
    from pipeline.night import run_night

    try:
        return run_night(**arguments, settings=settings)
    except Exception as exc:
        from pipeline.alerts import alert_failed_run

        run_name = f"sickleave (per {arguments['as_of'] or dt.date.today():%d.%m.%Y})"
        alert_failed_run(settings.alert_url_list, run_name, exc)
        raise


@app.command()
def generate(
    raw_dir: RawDir = None,
    employees: Annotated[int, typer.Option(help="Antall ansatte i eksempelkommunen.")] = 450,
    seed: Annotated[
        int, typer.Option(help="Frø for tilfeldige tall (samme frø, samme filer).")
    ] = 74,
) -> None:
    """Lag Agresso-uttrekk (og NAV-fil) for en realistisk eksempelkommune."""
    _generate(Settings(), raw_dir, employees, seed)


def _generate(settings: Settings, raw_dir: Path | None, employees: int = 450, seed: int = 74):
    from pipeline.profile import load_profile
    from sample.municipality import copy_reference_data, generate_municipality

    raw = raw_dir or settings.raw_dir
    profile = load_profile(settings.profile)
    summary = generate_municipality(raw, employees=employees, seed=seed, profile=profile)
    typer.echo(f"Eksempelkommune med {employees} ansatte skrevet til {raw}:")
    for path in [*summary.paths, *copy_reference_data(raw)]:
        typer.echo(f"  {path}")


@app.command()
def run(
    raw_dir: RawDir = None,
    warehouse_dir: WarehouseDir = None,
    as_of: AsOf = None,
    force: Annotated[
        bool, typer.Option("--force", help="Beregn alt på nytt selv om inndata er uendret.")
    ] = False,
    prefect: UsePrefect = False,
) -> None:
    """Kjør nattjobben én gang: les, valider, last, beregn, publiser og lag rapportene.

    Uten PREFECT_API_URL kjøres natten i denne prosessen; med PREFECT_API_URL (eller --prefect)
    som Prefect-flyt, synlig i Prefect.
    """
    settings = Settings()
    _run_night(
        settings,
        raw_dir or settings.raw_dir,
        warehouse_dir or settings.warehouse_dir,
        _parse_date(as_of),
        force=force,
        prefect=prefect,
    )


@app.command()
def rebuild(
    raw_dir: RawDir = None,
    warehouse_dir: WarehouseDir = None,
    as_of: AsOf = None,
    prefect: UsePrefect = False,
) -> None:
    """Bygg databasene på nytt fra inndatamappen alene (som run --force).

    Inndatamappen er arkivet: alt som publiseres, beregnes fra filene der. Slettede eller
    ødelagte databaser gjenskapes med denne kommandoen; en tidligere natt med --as-of.
    """
    settings = Settings()
    _run_night(
        settings,
        raw_dir or settings.raw_dir,
        warehouse_dir or settings.warehouse_dir,
        _parse_date(as_of),
        force=True,
        prefect=prefect,
    )


@app.command()
def serve(
    raw_dir: RawDir = None,
    warehouse_dir: WarehouseDir = None,
    region: Annotated[
        Path | None,
        typer.Option(
            "--region",
            help="Registrer regionnatten for kommunene i denne regionfilen på en arbeidspool "
            "og avslutt (arbeiderne startes med prefect worker start).",
        ),
    ] = None,
) -> None:
    """Kjør nattjobben etter timeplan mot en Prefect-server (går til den stoppes).

    Tidspunkt: SICKLEAVE_SCHEDULE_CRON (standard «0 2 * * *») i SICKLEAVE_SCHEDULE_TIMEZONE
    (standard Europe/Oslo). Krever PREFECT_API_URL, f.eks. http://127.0.0.1:4200/api.
    """
    import os

    from pipeline.preflight import check_directories
    from pipeline.profile import load_profile

    serve_settings = Settings()
    if region is not None:  # many municipalities on a work pool (pipeline/region)
        from pipeline.region.commands import register_region_command

        register_region_command(
            region, serve_settings.schedule_cron, serve_settings.schedule_timezone
        )
        return
    raw = raw_dir or serve_settings.raw_dir
    warehouse = warehouse_dir or serve_settings.warehouse_dir
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url:
        # Without a server nothing is ever scheduled (the temporary server has no scheduler).
        raise UserError(
            "PREFECT_API_URL er ikke satt. Start Prefect-serveren (prefect server start) og sett "
            "PREFECT_API_URL=http://127.0.0.1:4200/api; se docs/operations.md."
        )
    check_directories(raw, warehouse)
    load_profile(serve_settings.profile)
    configure_prefect_environment()
    from flows.deploy import serve_nightly

    typer.echo(
        f"Nattjobben kjøres «{serve_settings.schedule_cron}» ({serve_settings.schedule_timezone})"
        f" på {raw}; følg kjøringene i Prefect ({api_url.removesuffix('/api')})."
    )
    serve_nightly(raw, warehouse, serve_settings, api_url)


@app.command()
def demo(
    raw_dir: RawDir = None, warehouse_dir: WarehouseDir = None, prefect: UsePrefect = False
) -> None:
    """Lag eksempelkommunen hvis data/raw er tom, og kjør nattjobben på den (per 30.06.2014)."""
    settings = Settings()
    raw = raw_dir or settings.raw_dir
    if not any(p.is_file() and not p.name.startswith(".") for p in raw.rglob("*")):
        typer.echo(f"{raw} er tom: lager eksempelkommunen først.")
        _generate(settings, raw)
    _run_night(
        settings, raw, warehouse_dir or settings.warehouse_dir, SAMPLE_AS_OF, prefect=prefect
    )


@app.command(
    # Unknown options are taken as the query: SQL starting with a `-- comment` is text.
    context_settings={"ignore_unknown_options": True},
    help=(
        "Kjør spørringer mot de publiserte tabellene i analytics.duckdb og vis resultatene.\n\n"
        "Bare lesende spørringer (SELECT, WITH, SHOW, DESCRIBE, SUMMARIZE, PIVOT, EXPLAIN); "
        "filer, andre databaser, utvidelser og innstillinger er stengt.\n\n"
        "Flere setninger skilt med semikolon kjøres etter tur, og resultatet av hver vises. "
        "SQL-teksten kan begynne med en kommentar (-- …) og gis som argument, med --file "
        "eller på standard inn."
    ),
)
def sql(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(
            help='SQL-tekst, f.eks. "SELECT * FROM quarters"; «-», eller ingen når SQL sendes '
            "inn med | eller <, leser standard inn.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Les SQL-teksten fra denne filen.")
    ] = None,
    warehouse_dir: WarehouseDir = None,
    max_rows: Annotated[int, typer.Option(help="Høyst så mange rader vises.")] = 200,
) -> None:
    from pipeline.analyst_sql import read_query, run_query
    from pipeline.warehouse import ANALYTICS_DB

    text = read_query(query, file)
    if text is None:  # nothing given and nothing piped in: the usage error of a missing argument
        from typer._click.exceptions import MissingParameter

        param = next(p for p in ctx.command.params if p.name == "query")
        raise MissingParameter(ctx=ctx, param=param)
    run_query((warehouse_dir or Settings().warehouse_dir) / ANALYTICS_DB, text, max_rows)


@app.command()
def report(
    quarter: Annotated[
        str | None,
        typer.Option(
            "--quarter", help="Kvartalet rapporten gjelder, f.eks. 2014K2 (standard: siste hele)."
        ),
    ] = None,
    warehouse_dir: WarehouseDir = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Mappe for rapportene (standard: data/reports ved siden av databasen)."
        ),
    ] = None,
) -> None:
    """Lag gevinstrapporten (Excel og HTML) og HR-uttrekk (CSV og Parquet) fra databasen."""
    from pipeline.deliver import write_deliverables
    from pipeline.warehouse import ANALYTICS_DB

    settings = Settings()
    warehouse = (warehouse_dir or settings.warehouse_dir).absolute()
    plan_path = settings.plan_path
    municipality = load_plan(plan_path).municipality if plan_path.exists() else None
    delivered = write_deliverables(
        warehouse / ANALYTICS_DB,
        out or warehouse.parent / "reports",
        report_quarter=quarter,
        municipality=municipality,
    )
    typer.echo(f"Gevinstrapport for {delivered.report_quarter} skrevet til {delivered.out_dir}:")
    for path in delivered.paths():
        typer.echo(f"  {path}")


# --- the region: many municipalities on one work pool (pipeline/region/commands.py) -------------
from pipeline.region.commands import add_region_commands  # noqa: E402 - after the app's commands

add_region_commands(app)


def main(argv: list[str] | None = None) -> None:
    install_signal_handlers()
    argv = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=argv, prog_name="sickleave", standalone_mode=False)
        sys.stdout.flush()  # a reader that went away shows here, not at interpreter exit
    except BaseException as exc:  # noqa: BLE001 - every failure ends as report_failure says
        sys.exit(report_failure(exc, argv))
    if isinstance(code, int) and code:
        sys.exit(exit_code(code))  # the framework turned an interrupt into a code


if __name__ == "__main__":
    main()
