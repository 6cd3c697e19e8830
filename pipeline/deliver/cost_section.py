"""The gevinstrapport's cost section: what sick leave cost the whole municipality per quarter
(sick_leave_cost_quarterly), in a table and a chart of net cost against the plan's cost goal.

The goal line comes from the plan's first whole-municipality indicator in kroner
(sick_leave_cost_kr): with a base year, the net cost that meets the goal is the base year's same
quarter less the quarter's share of the target (indicator_status: net cost + reduction − target);
without one, the target itself. Masked quarters stay «skjult», missing ones «–», never 0.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import numpy as np

from pipeline.deliver.charts import _inline_svg
from pipeline.vocabulary import (
    MASKED_TEXT,
    NO_DATA_TEXT,
    Quarter,
    norwegian_count,
    norwegian_number,
)

# The table's rows: (column of sick_leave_cost_quarterly, label).
COST_ROWS = [
    ("pay_lost_kr", "Tapt lønn"),
    ("employer_period_cost_kr", "Arbeidsgiverperioden (lønn med sosiale kostnader)"),
    ("social_costs_kr", "Sosiale kostnader"),
    ("expected_refund_kr", "Forventet refusjon fra NAV"),
    ("net_cost_kr", "Netto kostnad"),
    ("nav_estimate_kr", "NAVs kostnadsestimat (vises ved siden av)"),
    ("substitute_pay_kr", "Lønn til vikarer, bokført"),
    ("booked_refund_kr", "Refusjon, bokført"),
    ("refund_gap_r4q_kr", "Refusjonsgap, siste fire kvartaler"),
    ("pay_coverage_pct", "Lønnsdekning %"),
]
_NET = "#1f4e79"
_GOAL = "#c00000"


@dataclass(frozen=True)
class CostSection:
    quarters: list[str]
    values: dict[str, list[Decimal | None]]  # column -> one value per quarter
    masked: list[bool]
    goal: list[Decimal | None]  # the net cost that meets the goal, per quarter
    goal_name: str | None
    flagged: list[bool]  # refund gap over rolling four quarters flagged


def load_cost_section(con: duckdb.DuckDBPyConnection, quarters: list[str]) -> CostSection | None:
    """The whole municipality's cost per quarter for the report's quarters, or None when the
    database has no cost marts (published before them)."""
    if not _has_table(con, "sick_leave_cost_quarterly"):
        return None
    columns = [c for c, _ in COST_ROWS]
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT quarter, {', '.join(columns)}, is_masked, is_refund_gap_flagged "
            "FROM sick_leave_cost_quarterly WHERE scope_level = 'municipality'"
        ).fetchall()
    }
    empty = (None,) * len(columns) + (False, False)
    found = [rows.get(q, empty) for q in quarters]
    goal_name, goals = _goal(con, quarters)
    return CostSection(
        quarters=quarters,
        values={c: [r[i] for r in found] for i, c in enumerate(columns)},
        masked=[bool(r[len(columns)]) for r in found],
        goal=goals,
        goal_name=goal_name,
        flagged=[bool(r[len(columns) + 1]) for r in found],
    )


def _goal(con: duckdb.DuckDBPyConnection, quarters: list[str]) -> tuple[str | None, list]:
    if not _has_table(con, "indicator_status") or not _has_table(con, "plan_indicators"):
        return None, [None] * len(quarters)
    found = con.execute(
        "SELECT indicator_id, name, baseline_year FROM plan_indicators "
        "WHERE measure = 'sick_leave_cost_kr' AND scope_level = 'municipality' "
        "ORDER BY sort_order LIMIT 1"
    ).fetchone()
    if found is None:
        return None, [None] * len(quarters)
    indicator_id, name, baseline_year = found
    rows = dict(
        (r[0], r[1:])
        for r in con.execute(
            "SELECT s.period, s.value, s.target, c.net_cost_kr "
            "FROM indicator_status AS s JOIN sick_leave_cost_quarterly AS c "
            "ON c.quarter = s.period AND c.scope_level = 'municipality' "
            "WHERE s.indicator_id = ? AND s.period_type = 'quarter'",
            [indicator_id],
        ).fetchall()
    )
    goals = []
    for quarter in quarters:
        value, target, net = rows.get(quarter, (None, None, None))
        if target is None:
            goals.append(None)
        elif baseline_year is None:
            goals.append(target)
        else:
            goals.append(None if value is None or net is None else net + value - target)
    return name, goals


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[
            0
        ]
    )


def whole_kroner(value) -> str:
    """1234567.49 -> '1 234 567' (half up, as the kroner amounts are rounded for HR)."""
    return norwegian_count(int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def cost_table(section: CostSection) -> dict:
    """Headings and rows for the template: whole kroner with spaces between thousands (the
    coverage with one decimal), «skjult» for a masked quarter, «–» for no figure."""
    headings = [Quarter.parse(q).short_label for q in section.quarters]
    rows = []
    for column, label in COST_ROWS:
        cells = []
        for value, masked in zip(section.values[column], section.masked, strict=True):
            if masked:
                cells.append(MASKED_TEXT)
            elif value is None:
                cells.append(NO_DATA_TEXT)
            elif column.endswith("_pct"):
                cells.append(norwegian_number(Decimal(value)))
            else:
                cells.append(whole_kroner(value))
        rows.append({"label": label, "cells": cells, "is_total": column == "net_cost_kr"})
    flagged = [
        Quarter.parse(q).short_label
        for q, f in zip(section.quarters, section.flagged, strict=True)
        if f
    ]
    return {"headings": headings, "rows": rows, "flagged": flagged}


def cost_chart_svg(section: CostSection) -> str:
    """Net cost per quarter (bars) against the goal (a dashed step line), as an inline SVG."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    net = _floats(section.values["net_cost_kr"], section.masked)
    goal = _floats(section.goal, [False] * len(section.goal))
    x = np.arange(len(section.quarters))
    rc = {
        "svg.fonttype": "none",
        "svg.hashsalt": "kostnad",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
        "font.size": 9,
    }
    with rc_context(rc):
        fig = Figure(figsize=(6.6, 2.9))
        ax = fig.subplots()
        ax.bar(x, np.nan_to_num(net), color=_NET, width=0.6, label="Netto kostnad")
        if np.isfinite(goal).any():
            ax.stairs(
                goal,
                np.arange(len(x) + 1) - 0.5,
                baseline=None,
                color=_GOAL,
                linestyle="--",
                linewidth=1.6,
                label="Målet (kostnad som når målet)",
            )
        for xi, value in zip(x, net, strict=True):
            text = norwegian_count(round(value / 1000)) if np.isfinite(value) else NO_DATA_TEXT
            ax.annotate(
                text,
                (xi, value if np.isfinite(value) else 0),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                fontsize=8,
                color=_NET,
            )
        top = np.nanmax(np.concatenate([net, goal, [1.0]]))
        ax.set_ylim(0, top * 1.25)
        ax.set_xticks(x, [Quarter.parse(q).chart_label for q in section.quarters])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: norwegian_count(round(v / 1000))))
        ax.set_ylabel("Tusen kroner")
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncols=2, fontsize=8)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline_svg(buffer.getvalue(), "Netto kostnad ved sykefravær per kvartal", "kostnad")


def _floats(values, masked) -> np.ndarray:
    return np.array(
        [np.nan if v is None or m else float(v) for v, m in zip(values, masked, strict=True)],
        dtype=float,
    )
