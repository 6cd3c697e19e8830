"""The gevinstrapport as one self-contained HTML page: no scripts, fonts or links; inline charts."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import jinja2
from markupsafe import Markup

from pipeline.deliver.charts import has_national_line, indicator_chart_svg
from pipeline.deliver.cost_section import cost_chart_svg, cost_table
from pipeline.deliver.model import STATUS_COLOURS, STATUS_YEAR_TO_DATE, PlanReport, quarter_label
from pipeline.follow_up_report import FollowUpFigures, follow_up_section
from pipeline.sample_marker import SAMPLE_NOTICE
from pipeline.vocabulary import (
    MASKED_TEXT,
    NO_DATA_TEXT,
    STATUS_WORDS,
    norwegian_number,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
_LEGEND = [
    ("met", STATUS_WORDS["met"], "Nådd"),
    ("not_met", STATUS_WORDS["not_met"], "Ikke nådd"),
    ("no_target", STATUS_WORDS["no_target"], "Mål ikke satt for året"),
    ("masked", MASKED_TEXT, "for få personer til å vise tallet (personvern)"),
    ("no_data", NO_DATA_TEXT, "ingen tall for perioden"),
]


@functools.cache
def _environment() -> jinja2.Environment:
    # Autoescape: every name in the page comes from the organisation export or the plan.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_report_html(report: PlanReport, follow_up: FollowUpFigures | None = None) -> str:
    """The gevinstrapport as one self-contained page: no scripts, fonts, images or links to load;
    the CSS is inlined from templates/report.css and the charts are inline SVG."""
    label = quarter_label(report.quarter)
    rates = report.indicators[report.indicators["measure"].str.endswith("_pct")]
    charts = [
        {
            "id": ind.indicator_id,
            "name": ind.name,
            # matplotlib's own SVG, with our ids and label escaped in indicator_chart_svg
            "svg": Markup(indicator_chart_svg(report, ind.indicator_id)),
            "caption": _caption(report, ind),
        }
        for ind in rates.itertuples(index=False)
    ]
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=f"Gevinstrapport {label} – {report.municipality}",
            style=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
            is_sample_data=report.is_sample_data,
            sample_notice=SAMPLE_NOTICE,
            quarter=label,
            state="Kvartalet er avsluttet."
            if report.is_complete
            else "Kvartalet er ikke avsluttet: tallene er foreløpige.",
            computed=f" Beregnet per {report.as_of:%d.%m.%Y}." if report.as_of else "",
            legend=[
                {"status": s, "swatch": w, "text": x, "coloured": s in STATUS_COLOURS}
                for s, w, x in _LEGEND
            ],
            table_headings=[
                "Målindikator",
                "Mål",
                *(name for name, _, _ in report.columns),
                f"Mål {report.year}",
                STATUS_YEAR_TO_DATE,
            ],
            width=len(report.columns) + 4,
            rows=_table_rows(report),
            previous_year=report.year - 1,
            charts=charts,
            cost=_cost_context(report),
            follow_up=follow_up_section(follow_up),
        )
    )
    return page


def _caption(report: PlanReport, ind) -> str:
    """«Mål: maks 6,5 % i 2015.» (or «Mål ikke satt.»), and the national figure for the report
    quarter beside the municipality's own sick leave."""
    text = ind.target_text
    sentence = text[0].upper() + text[1:] + "." if text.startswith("mål") else f"Mål: {text}."
    national = report.national.get(report.quarter)
    if has_national_line(ind) and national is not None:
        sentence += (
            f" Hele landet {quarter_label(report.quarter)}: "
            f"{norwegian_number(Decimal(str(national)))} % (SSB tabell 12439)."
        )
    return sentence


def _table_rows(report: PlanReport) -> list[dict]:
    """One dict per indicator row of the plan table; `group` is set on the first row of a target
    group (the template writes the group's heading row above it)."""
    period_headings = [name for name, _, _ in report.columns]
    rows, group = [], None
    for ind in report.indicators.itertuples(index=False):
        first = ind.target_group_name != group
        group = ind.target_group_name
        target = ind.year_target
        rows.append(
            {
                "group": group if first else None,
                "id": ind.indicator_id,
                "name": ind.name,
                "target_text": ind.target_text,
                "cells": [
                    _value_cell(
                        report.values.at[ind.indicator_id, heading],
                        report.statuses.at[ind.indicator_id, heading],
                        heading,
                    )
                    for heading in period_headings
                ],
                "target_class": "num" if target is not None else "num no_data",
                "target": norwegian_number(target) if target is not None else NO_DATA_TEXT,
                "ytd_status": ind.ytd_status,
                "ytd_label": ind.ytd_status_label,
            }
        )
    return rows


def _value_cell(value, status: str, heading: str) -> dict:
    """A period cell: the number, or «skjult» when masked, «–» when there is no figure."""
    if status == "masked" or value is None:
        shown = MASKED_TEXT if status == "masked" else NO_DATA_TEXT
    else:
        shown = norwegian_number(value)
    return {
        "status": status,
        "heading": heading,
        "label": STATUS_WORDS.get(status, status),
        "shown": shown,
    }


def _cost_context(report: PlanReport) -> dict | None:
    """The cost section's table and chart, or None when the database has no cost figures."""
    if report.cost is None:
        return None
    return {
        **cost_table(report.cost),
        "svg": Markup(cost_chart_svg(report.cost)),
        "goal_name": report.cost.goal_name,
    }
