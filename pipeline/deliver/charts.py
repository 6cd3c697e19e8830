"""One chart per rate indicator (matplotlib, as inline SVG): its quarters against the year's target
and, for the municipality's sick leave, SSB's national figure."""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal

import numpy as np
import pandas as pd

from pipeline.deliver.model import PlanReport
from pipeline.vocabulary import GAP_WORDS, Quarter, norwegian_number

_MEASURED = "#1f4e79"
_TARGET = "#c00000"
_NATIONAL = "#7f7f7f"


def has_national_line(ind) -> bool:
    """Only the whole municipality's sick leave has SSB's national figure beside it."""
    return ind.measure == "sick_leave_pct" and ind.scope_level == "municipality"


def indicator_chart_svg(report: PlanReport, indicator_id: str) -> str:
    """One rate indicator's quarters against the year's target (a step line) and, for the whole
    municipality's sick leave, SSB's national figure, as an inline SVG element. Masked and missing
    quarters are gaps labelled «skjult» / «ingen data», never points at 0."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    ind = report.indicators.set_index("indicator_id").loc[indicator_id]
    quarters = report.chart_quarters
    points = (
        report.quarterly[report.quarterly["indicator_id"] == indicator_id]
        .set_index("period")
        .reindex(quarters)
    )
    values = _floats(points["value"])
    targets = _floats(points["target"])
    statuses = points["status"].where(points["status"].notna(), "no_data").to_numpy()
    national = None
    if has_national_line(ind):
        national = pd.Series(report.national, dtype=float).reindex(quarters).to_numpy()
    x = np.arange(len(quarters))
    rc = {
        "svg.fonttype": "none",  # text stays text: sharp, searchable, and small
        "svg.hashsalt": indicator_id,  # the same page for the same figures
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
        "font.size": 9,
    }
    with rc_context(rc):
        fig = Figure(figsize=(6.6, 2.9))
        ax = fig.subplots()
        drawn = [values]
        if national is not None and np.isfinite(national).any():
            ax.plot(
                x,
                national,
                color=_NATIONAL,
                linestyle=":",
                marker="s",
                markersize=3,
                linewidth=1.4,
                label="Hele landet (SSB)",
            )
            drawn.append(national)
        if np.isfinite(targets).any():
            ax.stairs(
                targets,
                np.arange(len(quarters) + 1) - 0.5,
                baseline=None,
                color=_TARGET,
                linestyle="--",
                linewidth=1.6,
                label="Årets mål",
            )
            drawn.append(targets)
        ax.plot(
            x,
            values,
            color=_MEASURED,
            marker="o",
            markersize=4.5,
            linewidth=2,
            label=ind["scope_name"] if isinstance(ind["scope_name"], str) else "Målt verdi",
        )
        top = max((np.nanmax(a) for a in drawn if np.isfinite(a).any()), default=0.0)
        top = max(top * 1.3, 1.0)
        ax.set_ylim(0, top)
        ax.set_xlim(-0.5, len(quarters) - 0.5)
        for xi, value, status in zip(x, values, statuses, strict=True):
            if np.isfinite(value):
                ax.annotate(
                    norwegian_number(Decimal(str(value))),
                    (xi, value),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=8,
                    color=_MEASURED,
                    # readable where the label falls on the target or national line
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                    zorder=5,
                )
            else:
                ax.axvspan(xi - 0.5, xi + 0.5, color="#f1f1f1", zorder=0)
                ax.text(
                    xi,
                    0.04,
                    GAP_WORDS.get(status, "ingen data"),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    style="italic",
                    color="#666666",
                )
        ax.set_xticks(x, [Quarter.parse(q).chart_label for q in quarters])
        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda v, _: norwegian_number(Decimal(str(round(v, 6)))))
        )
        ax.set_ylabel("Prosent")
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", frameon=False, ncols=3, fontsize=8)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline_svg(
        buffer.getvalue(), f"{ind['name']}: utvikling per kvartal mot målet", indicator_id
    )


def _floats(column: pd.Series) -> np.ndarray:
    return column.astype(float).to_numpy()


def _inline_svg(svg: str, label: str, prefix: str) -> str:
    """matplotlib's SVG file as an element for an HTML page: no XML prolog, no metadata, no
    namespace URLs (an HTML parser knows an <svg> element without them), and every id prefixed
    so the charts on one page never share one (matplotlib numbers them per figure)."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return svg.replace("<svg", f"<svg role='img' aria-label='{html.escape(label, quote=True)}'", 1)
