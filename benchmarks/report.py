"""The README's measured tables, written from the benchmark's result files.

    uv run python -m benchmarks.report            # print the tables
    uv run python -m benchmarks.report --write    # replace them in README.md

The tables sit in README.md between `<!-- benchmark:NAME -->` and `<!-- /benchmark:NAME -->`
markers; --write replaces what is between each pair, so the README always shows the figures of the
result files next to it (benchmarks/results/), never figures typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
PRESETS = [
    ("municipality", 1, "municipality, 450 employees, 1 year"),
    ("municipality", 5, "municipality, 5 years"),
    ("city", 1, "city, 50 000 employees, 1 year"),
    ("city", 5, "city, 5 years"),
    ("country", 1, "country, 500 000 employees, 1 year"),
    ("country", 5, "country, 5 years"),
]
STAGES = [
    ("startup", "start-up (imports, Great Expectations)"),
    ("read", "read"),
    ("validate", "validate"),
    ("protect", "protect"),
    ("load", "load"),
    ("transform", "transform"),
    ("publish", "publish"),
    ("deliver", "deliver"),
]


def _load(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _s(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def _wall(summary: dict) -> str:
    return f"{_s(summary['median'])} s ({_s(summary['min'])}–{_s(summary['max'])})"


def _gib(mib: float) -> str:
    return f"{mib / 1024:.1f} GiB"


def presets_table() -> str:
    lines = [
        "| preset | rows in | whole run | peak | × floor | naive baseline | × naive | measured |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for preset, years, label in PRESETS:
        result = _load(f"{preset}-{years}y.json")
        if result is None:
            lines.append(f"| {label} | – | not measured | | | | | |")
            continue
        total = result["total"]["wall_s"]["median"]
        floor = result["floor"]["wall_s"]["median"]
        naive = result.get("naive")
        if naive is None:
            naive_text, ratio = "not run at this scale", "–"
        elif "did_not_finish" in naive:
            reason = naive["did_not_finish"]
            naive_text = "out of memory" if "memory" in reason.lower() else "did not finish"
            ratio = "–"
        else:
            naive_wall = naive["total"]["wall_s"]
            naive_text = f"{_s(naive_wall)} s, {_gib(naive['total']['peak_mib'])}"
            ratio = f"{total / naive_wall:.2f}"
        machine = result["machine"]
        start = machine.get("load_average_at_start")
        load = f"load {start:.1f}→" if start is not None else "load at end "
        load += f"{machine['load_average_at_end']:.1f}"
        lines.append(
            f"| {label} | {_n(result['rows_total'])} | {_wall(result['total']['wall_s'])} | "
            f"{_gib(result['total']['peak_mib'])} | {total / floor:.0f} | {naive_text} | {ratio} | "
            f"{result['measured_at'][:16].replace('T', ' ')}, {load} |"
        )
    return "\n".join(lines)


def stages_table() -> str:
    measured = [(p, y, label) for p, y, label in PRESETS if _load(f"{p}-{y}y.json")]
    results = [_load(f"{p}-{y}y.json") for p, y, _ in measured]
    heads = [f"{p} {y} y" for p, y, _ in measured]
    lines = [
        "| stage | " + " | ".join(heads) + " |",
        "|---|" + "---:|" * len(heads),
    ]
    for stage, label in STAGES:
        cells = []
        for result in results:
            figures = result["stages"].get(stage)
            cells.append(
                f"{_s(figures['wall_s']['median'])} / {figures['peak_mib'] / 1024:.1f}"
                if figures
                else "–"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    floor = [_s(r["floor"]["wall_s"]["median"]) for r in results]
    lines.append("| floor (DuckDB `read_csv`) | " + " | ".join(floor) + " |")
    rvp = []
    for result in results:
        part = sum(result["stages"][s]["wall_s"]["median"] for s in ("read", "validate", "protect"))
        rvp.append(f"{part / result['floor']['wall_s']['median']:.0f} ×")
    lines.append("| read + validate + protect, × floor | " + " | ".join(rvp) + " |")
    cost = [
        f"{r['cost_models']['added_to_transform_pct']['median']:.1f} %"
        if "cost_models" in r
        else "–"
        for r in results
    ]
    lines.append("| cost models, added to the rest of the transform | " + " | ".join(cost) + " |")
    return "\n".join(lines)


def slowest_models_table(count: int = 8) -> str:
    lines = ["| preset | slowest SQL models (median seconds) |", "|---|---|"]
    for preset, years, _ in PRESETS:
        result = _load(f"{preset}-{years}y.json")
        if not result or "models" not in result or preset == "municipality":
            continue
        slowest = sorted(result["models"].items(), key=lambda item: -item[1])[:count]
        text = ", ".join(f"`{name}` {seconds:.1f}" for name, seconds in slowest)
        lines.append(f"| {preset} {years} y | {text} |")
    return "\n".join(lines)


def small_runs_table() -> str:
    result = _load("small-runs.json")
    if result is None:
        return "(not measured)"
    rows = [
        (
            "forced_run",
            "`sickleave run --force` (no `PREFECT_API_URL`)",
            "in-process",
            "≤ 6 s",
        ),
        (
            "quiet_night",
            "quiet night (nothing changed), `sickleave run`",
            "in-process",
            "≤ 1.5 s",
        ),
        (
            "quiet_night_under_server",
            "quiet night under a running Prefect server, from `POST /deployments/{id}/"
            "create_flow_run` to the run's final state",
            "Prefect flow",
            "≤ 5 s",
        ),
    ]
    lines = [
        "| run | mode | wall time, median (min–max) | CPU time | peak memory | target |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for key, label, mode, target in rows:
        figures = result.get(key)
        if not figures:
            continue
        cpu = f"{figures['cpu_s']['median']:.1f} s" if "cpu_s" in figures else "–"
        peak = f"{figures['peak_mib']['median'] / 1024:.2f} GiB" if "peak_mib" in figures else "–"
        lines.append(
            f"| {label}, median of {figures['runs']} | {mode} | {_wall(figures['wall_s'])} | "
            f"{cpu} | {peak} | {target} |"
        )
    machine = result["machine"]
    lines.append("")
    lines.append(
        f"Measured {result['measured_at'][:16].replace('T', ' ')} UTC, load average "
        f"{machine['load_average_before']:.1f} before and {machine['load_average_after']:.1f} "
        f"after, {machine['cpus']} cores (`benchmarks/results/small-runs.json`)."
    )
    return "\n".join(lines)


TABLES = {
    "presets": presets_table,
    "stages": stages_table,
    "models": slowest_models_table,
    "small-runs": small_runs_table,
}


def write(readme: Path = README) -> list[str]:
    """Replace every marked table in the README; the names of those replaced."""
    text = readme.read_text(encoding="utf-8")
    done = []
    for name, make in TABLES.items():
        pattern = re.compile(
            rf"(<!-- benchmark:{name} -->\n)(?:.*?\n)?(<!-- /benchmark:{name} -->)", re.DOTALL
        )
        if pattern.search(text):
            table = make()
            text = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), text)
            done.append(name)
    readme.write_text(text, encoding="utf-8")
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace the tables in README.md")
    args = parser.parse_args(argv)
    if args.write:
        print("replaced:", ", ".join(write()) or "nothing (no markers)")
        return
    for name, make in TABLES.items():
        print(f"<!-- benchmark:{name} -->\n{make()}\n<!-- /benchmark:{name} -->\n")


if __name__ == "__main__":
    main()
