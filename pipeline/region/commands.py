"""The region's commands (`sickleave region-generate`, `region-run`, `region-build`) and what
`sickleave serve --region` does. Nothing heavy is imported before a command runs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import UserError

RegionFile = Annotated[
    Path, typer.Option("--region", help="Regionfilen (region.yaml) med kommunene.")
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Beregningsdato ÅÅÅÅ-MM-DD (standard: i dag).")
]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        message = f"«{text}» er ikke en dato på formen ÅÅÅÅ-MM-DD (f.eks. 2014-06-30)."
        raise UserError(message) from None


def _api_url() -> str:
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url:
        raise UserError(
            "PREFECT_API_URL er ikke satt. Start Prefect-serveren (prefect server start) og sett "
            "PREFECT_API_URL=http://127.0.0.1:4200/api."
        )
    return api_url


def register_region_command(region_path: Path, cron: str, timezone: str) -> None:
    """`sickleave serve --region`: the work pool, its queues and both deployments, then the
    commands that start the workers."""
    from pipeline.region.config import load_region
    from pipeline.settings import configure_prefect_environment

    region = load_region(region_path)
    api_url = _api_url()
    configure_prefect_environment()
    from flows.deploy import wait_for_server
    from flows.region import register_region

    wait_for_server(api_url)
    register_region(region, region.schedule_cron or cron, region.schedule_timezone or timezone)
    typer.echo(
        f"Regionen «{region.name}» ({len(region.municipalities)} kommuner) er registrert på "
        f"arbeidspoolen {region.work_pool}, høyst {region.concurrency} kommuner om gangen, "
        f"«{region.schedule_cron or cron}» ({region.schedule_timezone or timezone})."
    )
    typer.echo(f"Start to eller flere arbeidere: prefect worker start --pool {region.work_pool}")


def add_region_commands(app: typer.Typer) -> None:
    @app.command("region-generate")
    def region_generate(
        out: Annotated[Path, typer.Option("--out", help="Mappe for eksempelregionen.")],
        preset: Annotated[
            str, typer.Option(help="sample (tre kommuner) eller vestfold (fjorten kommuner).")
        ] = "sample",
        scale: Annotated[float, typer.Option(help="Gang hver kommunes størrelse med dette.")] = 1.0,
    ) -> None:
        """Lag en eksempelregion: kommuner av ulik størrelse og regionfilen region.yaml."""
        from sample.region import PRESETS, generate_region

        if preset not in PRESETS:
            raise UserError(f"«{preset}» er ingen eksempelregion; bruk sample eller vestfold.")
        path = generate_region(out, preset, scale)
        typer.echo(f"Eksempelregion med {len(PRESETS[preset])} kommuner skrevet til {path}.")

    @app.command("region-run")
    def region_run(
        region: RegionFile,
        as_of: AsOf = None,
        wait: Annotated[
            bool, typer.Option("--wait/--no-wait", help="Vent til regionnatten er ferdig.")
        ] = True,
    ) -> None:
        """Start regionnatten nå på arbeidspoolen (krever sickleave serve --region først)."""
        from pipeline.region.config import load_region
        from pipeline.settings import configure_prefect_environment

        loaded = load_region(region)
        _api_url()
        configure_prefect_environment()
        from prefect.deployments import run_deployment

        from flows.region import REGION_DEPLOYMENT, region_night

        day = _date(as_of) or dt.date.today()
        run = run_deployment(
            f"{region_night.name}/{REGION_DEPLOYMENT}",
            parameters={"region_path": str(loaded.path), "as_of": day.isoformat()},
            timeout=None if wait else 0,
        )
        state = run.state.type.value if run.state else "?"
        typer.echo(f"Regionnatten «{run.name}» per {day:%d.%m.%Y}: {state}.")
        if wait:
            _print_outcome(loaded)
            if state != "COMPLETED":
                raise UserError(f"Regionnatten endte {state}; se kjøringen i Prefect.")

    @app.command("region-build")
    def region_build(region: RegionFile, as_of: AsOf = None) -> None:
        """Bygg region.duckdb og regionrapporten av det kommunene har publisert (uten Prefect)."""
        from pipeline.region.combine import build_region_database
        from pipeline.region.config import load_region
        from pipeline.region.report import write_region_report

        loaded = load_region(region)
        build = build_region_database(loaded, _date(as_of) or dt.date.today())
        report = write_region_report(build.path, loaded.output_dir)
        typer.echo(f"Regiondatabase: {build.path}")
        typer.echo(f"Regionrapport: {report}")
        for left_out in build.left_out:
            typer.echo(f"  Utelatt: {left_out.municipality.name} ({left_out.status}).")


def _print_outcome(region) -> None:
    from pipeline.region.combine import REGION_DB

    typer.echo(f"  Regiondatabase: {region.output_dir / REGION_DB}")
    for report in sorted(region.output_dir.glob("regionrapport_*.html")):
        typer.echo(f"  Regionrapport: {report}")
