"""The regional report (HTML, Norwegian, one self-contained page): each municipality and each of
its common sectors against the region, ranked, with the change from a year before, NAV's ±10 %
rule, the national figure, and funnel charts so that a small municipality's noise is not read as
a signal. Read only from region.duckdb (sums of what the municipalities published)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipeline import filemodes
from pipeline.deliver.charts import _inline_svg
from pipeline.sample_marker import SAMPLE_NOTICE
from pipeline.vocabulary import norwegian_count, norwegian_number, quarter_label

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Two-sided normal quantiles of the funnel's limits: 95 % and 99.8 %.
Z_95, Z_998 = 1.959964, 3.090232
SIGNAL_WORDS = {"higher": "Høyere", "lower": "Lavere", "same": "Omtrent likt"}
STATUS_WORDS = {
    "included": "med",
    "failed": "nattkjøringen feilet",
    "missing": "ingen publiserte tall",
    "other_as_of": "tallene gjelder en annen dato",
}


def funnel_limits(region_rate_pct: float, persons: float, z: float) -> tuple[float, float]:
    """The limits (in percent) around the regional rate within which a group of this many persons
    falls by chance with the given z: p ± z·√(p(1−p)/n), each person one observation (absence is
    clustered by person, so the workdays would give far too narrow limits)."""
    p = region_rate_pct / 100
    half = z * math.sqrt(p * (1 - p) / persons)
    return max(0.0, (p - half) * 100), min(100.0, (p + half) * 100)


def funnel_position(rate_pct: float, region_rate_pct: float, persons: float) -> str:
    """Where a group lies in the funnel: 'outside_998', 'outside_95' or 'inside'."""
    low, high = funnel_limits(region_rate_pct, persons, Z_998)
    if not low <= rate_pct <= high:
        return "outside_998"
    low, high = funnel_limits(region_rate_pct, persons, Z_95)
    return "inside" if low <= rate_pct <= high else "outside_95"


@dataclass(frozen=True)
class RegionReport:
    region_name: str
    quarter: str
    region: dict
    municipalities: pd.DataFrame
    sectors: pd.DataFrame  # common sectors against the region
    by_sector: dict[str, pd.DataFrame]  # common sector code -> its municipalities
    sector_names: dict[str, str]
    members: pd.DataFrame
    # (scope_level, municipality_number, sector_code) -> (rate, NAV's signal) over four quarters
    four_quarters: dict[tuple, tuple]
    is_sample_data: bool
    mask_threshold: int


def read_report(database: Path, quarter: str | None = None) -> RegionReport:
    con = duckdb.connect(str(database), read_only=True)
    try:
        info = con.execute("SELECT * FROM region_run_info").fetchdf().iloc[0]
        quarter = quarter or _report_quarter(con, info["as_of"])
        comparison = con.execute(
            "SELECT * FROM region_comparison WHERE period_type = 'quarter' AND period = ? "
            "ORDER BY scope_level, sector_code, rank NULLS LAST, municipality_name",
            [quarter],
        ).fetchdf()
        # NAV judges the last four quarters: the same comparison over the four ending here.
        four = con.execute(
            "SELECT scope_level, municipality_number, sector_code, sick_leave_pct, nav_signal "
            "FROM region_comparison WHERE period_type = 'rolling_four_quarters' AND period = ?",
            [quarter],
        ).fetchall()
        region = con.execute(
            "SELECT q.persons, q.sick_leave_pct, q.parts, q.parts_masked, n.sick_leave_pct "
            "AS national_pct FROM region_sick_leave_quarterly AS q "
            "LEFT JOIN region_national AS n USING (quarter) "
            "WHERE q.scope_level = 'region' AND q.quarter = ?",
            [quarter],
        ).fetchdf()
        members = con.execute(
            "SELECT * FROM region_municipalities ORDER BY municipality_name"
        ).fetchdf()
    finally:
        con.close()
    by_level = {level: frame for level, frame in comparison.groupby("scope_level")}
    per_sector = by_level.get("municipality_sector", comparison.iloc[0:0])
    sectors = by_level.get("sector", comparison.iloc[0:0])
    return RegionReport(
        region_name=str(info["region_name"]),
        quarter=quarter,
        region=region.iloc[0].to_dict() if len(region) else {},
        municipalities=by_level.get("municipality", comparison.iloc[0:0]),
        sectors=sectors,
        by_sector={code: frame for code, frame in per_sector.groupby("sector_code")},
        sector_names=dict(zip(sectors["sector_code"], sectors["sector_name"], strict=True)),
        members=members,
        four_quarters={(level, number, sector): (pct, signal)
                       for level, number, sector, pct, signal in four},
        is_sample_data=bool(info["is_sample_data"]),
        mask_threshold=int(info["mask_threshold"]),
    )


def _report_quarter(con: duckdb.DuckDBPyConnection, as_of) -> str:
    """The latest complete quarter with regional figures (else the latest quarter; with no
    figures at all, the as-of date's quarter)."""
    row = con.execute(
        "SELECT quarter FROM region_sick_leave_quarterly WHERE scope_level = 'region' "
        "ORDER BY is_complete DESC, quarter DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else f"{as_of.year}K{(as_of.month - 1) // 3 + 1}"


def funnel_svg(frame: pd.DataFrame, reference_pct, label_column: str, title: str, key: str) -> str:
    """Rate against persons for the unmasked groups, with the 95 % and 99.8 % limits around the
    reference rate; empty text when there is nothing to draw."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    shown = frame[frame["sick_leave_pct"].notna() & frame["persons"].notna()]
    if shown.empty or reference_pct is None or pd.isna(reference_pct):
        return ""
    reference = float(reference_pct)
    persons = shown["persons"].astype(float)
    rates = shown["sick_leave_pct"].astype(float)
    # The limits from half the smallest group to a little past the largest: below that they fan
    # out to the whole axis and squeeze the points together.
    smallest = max(2.0, float(persons.min()) / 2)
    n = pd.Series(np.geomspace(smallest, float(persons.max()) * 1.15, 200))
    with rc_context({"svg.fonttype": "none", "font.size": 9}):
        fig = Figure(figsize=(7.5, 3.6))
        ax = fig.add_subplot()
        for z, style, name in [(Z_95, "--", "95 %-grense"), (Z_998, ":", "99,8 %-grense")]:
            limits = [funnel_limits(reference, x, z) for x in n]
            ax.plot(n, [lo for lo, _ in limits], style, color="#7f7f7f", linewidth=1, label=name)
            ax.plot(n, [hi for _, hi in limits], style, color="#7f7f7f", linewidth=1)
        ax.axhline(reference, color="#1f4e79", linewidth=1.2, label="Regionen")
        ax.scatter(persons, rates, color="#c00000", s=18, zorder=3)
        for x, y, name in zip(persons, rates, shown[label_column], strict=True):
            ax.annotate(str(name), (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
        ax.set_xlabel("Personer")
        ax.set_ylabel("Sykefravær, prosent")
        ax.set_title(title, fontsize=9)
        ax.grid(color="#e3e3e3", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper right", frameon=False, fontsize=7)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline_svg(buffer.getvalue(), title, key)


def _pct(value) -> str:
    if value is None or pd.isna(value):
        return "skjult"
    return f"{norwegian_number(Decimal(str(value)))} %"


def _pp(value) -> str:
    if value is None or pd.isna(value):
        return "–"
    number = Decimal(str(value))
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    return f"{sign}{norwegian_number(abs(number))}"


def _key(value):
    return None if value is None or pd.isna(value) else value


def _rows(frame: pd.DataFrame, label_column: str, reference_pct, four: dict) -> list[dict]:
    rows = []
    for _, r in frame.iterrows():
        key = (r["scope_level"], _key(r["municipality_number"]), _key(r["sector_code"]))
        four_pct, four_signal = four.get(key, (None, None))
        masked = bool(r["is_masked"])
        position = ""
        if not masked and reference_pct is not None and not pd.isna(reference_pct):
            position = funnel_position(float(r["sick_leave_pct"]), float(reference_pct),
                                       float(r["persons"]))
        rows.append(
            {
                "name": r[label_column],
                "persons": "skjult" if masked else norwegian_count(int(r["persons"])),
                "rate": _pct(r["sick_leave_pct"]),
                "ratio": "–" if masked else f"{norwegian_number(Decimal(str(r['ratio_pct'])))} %",
                "signal": r["nav_signal"] if not masked else "masked",
                "signal_word": SIGNAL_WORDS.get(r["nav_signal"], "skjult"),
                "rank": "–" if masked else f"{int(r['rank'])} av {int(r['ranked'])}",
                "trend": _pp(r["trend_pp"]),
                "national": _pct(r["national_pct"]) if not pd.isna(r["national_pct"]) else "–",
                "four": _pct(four_pct) if four_signal or four_pct is not None else "–",
                "four_signal": four_signal or "masked",
                "four_word": SIGNAL_WORDS.get(four_signal, "–"),
                "funnel": {"outside_998": "utenfor 99,8 %", "outside_95": "utenfor 95 %",
                           "inside": "innenfor"}.get(position, "–"),
            }
        )
    return rows


def render(report: RegionReport) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    region_pct = report.region.get("sick_leave_pct")
    sector_sections = []
    for code, frame in report.by_sector.items():
        reference = frame["reference_pct"].dropna()
        reference_pct = reference.iloc[0] if len(reference) else None
        name = report.sector_names.get(code, code)
        sector_sections.append(
            {
                "name": name,
                "reference": _pct(reference_pct),
                "rows": _rows(frame, "municipality_name", reference_pct, report.four_quarters),
                "chart": funnel_svg(frame, reference_pct, "municipality_name",
                                    f"{name}: kommunene mot sektoren i regionen", f"f-{code}"),
            }
        )
    members = [
        {"name": m["municipality_name"], "number": m["municipality_number"],
         "status": STATUS_WORDS.get(m["status"], m["status"]), "included": bool(m["is_included"]),
         "unmapped": m["unmapped_sectors"] or ""}
        for _, m in report.members.iterrows()
    ]
    return environment.get_template("region_report.html.j2").render(
        region_name=report.region_name,
        quarter=quarter_label(report.quarter),
        quarter_code=report.quarter,
        sample_notice=SAMPLE_NOTICE if report.is_sample_data else None,
        region_rate=_pct(region_pct),
        national_rate=_pct(report.region.get("national_pct")),
        region_persons=norwegian_count(int(report.region["persons"]))
        if report.region.get("persons") is not None and not pd.isna(report.region["persons"])
        else "–",
        municipalities=_rows(
            report.municipalities, "municipality_name", region_pct, report.four_quarters
        ),
        municipality_chart=funnel_svg(report.municipalities, region_pct, "municipality_name",
                                      "Kommunene mot regionen", "f-kommuner"),
        sectors=_rows(report.sectors, "sector_name", region_pct, report.four_quarters),
        sector_sections=sector_sections,
        members=members,
        mask_threshold=report.mask_threshold,
        css=(TEMPLATES / "region_report.css").read_text(encoding="utf-8"),
    )


def write_region_report(database: Path, out_dir: Path, quarter: str | None = None) -> Path:
    """Write regionrapport_<quarter>.html beside region.duckdb (atomically); return its path."""
    report = read_report(database, quarter)
    out_dir = filemodes.make_dir(out_dir, shared=True)
    path = out_dir / f"regionrapport_{report.quarter}.html"
    return filemodes.write_text(path, render(report), shared=True)
