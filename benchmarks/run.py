"""Scale benchmark: the nightly pipeline's stages on a generated municipality of 450, 50 000 or
500 000 employees, against the floor (DuckDB's own CSV reader on the same files) and a naive
pandas baseline (every spell and employment expanded to one row per day).

    uv run python -m benchmarks.run --preset city --years 1 --runs 3
    uv run python -m benchmarks.run --all

The night is pipeline.night.run_night, the sequence the Prefect flow runs, here without Prefect:
startup (imports, the validation library), read, validate, protect, load, transform, publish.
Every measurement runs in a fresh Python process, so one run's memory does not show in the next;
the table gives the median of the runs with min and max. Peak memory per stage is the process's
resident high-water mark (VmHWM), reset before the stage through /proc/self/clear_refs (Linux).
Results are written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
DATA_DIR = ROOT / "benchmarks" / "data"  # generated inputs, git-ignored

PRESETS = {"municipality": 450, "city": 50_000, "country": 500_000}
HISTORY = {  # years of history -> (first day, last day); the as-of date is the last day
    1: (dt.date(2013, 7, 1), dt.date(2014, 6, 30)),
    5: (dt.date(2009, 7, 1), dt.date(2014, 6, 30)),
}
AGRESSO_FILES = ["organisasjon.csv", "ansettelser.csv", "fravaer.csv"]
STAGES = ["startup", "read", "validate", "protect", "load", "transform", "publish", "deliver"]
NAIVE_TIMEOUT_S = 600
NAIVE_MEMORY_LIMIT = 16 * 2**30  # the naive baseline must not take the machine down
# --- memory and time --------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """The process's resident-memory high-water mark (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Reset VmHWM to the current resident size (Linux: writing 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class Stages:
    """A measure hook for the night (pipeline.run_context.Measure): wall time summed and peak
    memory maxed per stage (a stage runs once per input file for read, validate and protect)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.peak: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        reset_peak_rss()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.wall[stage] = self.wall.get(stage, 0.0) + time.perf_counter() - started
            self.peak[stage] = max(self.peak.get(stage, 0.0), peak_rss_mib())


# --- inputs -----------------------------------------------------------------------------------


def data_dir(preset: str, years: int, root: Path = DATA_DIR) -> Path:
    return root / f"{preset}-{years}y"


def prepare(preset: str, years: int, root: Path = DATA_DIR) -> Path:
    """Generate the preset's exports once (deterministic: same seed, same bytes) and a UTF-8 copy
    of the three Agresso files for the floor (DuckDB cannot decode Windows-1252 offline)."""
    from sample.municipality import copy_reference_data, generate_municipality

    target = data_dir(preset, years, root)
    raw = target / "raw"
    if not (target / "ready").exists():
        shutil.rmtree(target, ignore_errors=True)
        start, end = HISTORY[years]
        generate_municipality(raw, employees=PRESETS[preset], start=start, end=end)
        copy_reference_data(raw)
        utf8 = target / "utf8"
        utf8.mkdir(parents=True)
        for name in AGRESSO_FILES:
            text = (raw / "agresso" / name).read_bytes().decode("cp1252")
            (utf8 / name).write_text(text, encoding="utf-8", newline="")
        (target / "ready").write_text(dt.datetime.now().isoformat())
    return target


def rows_in(target: Path) -> dict[str, int]:
    """Data rows per Agresso file (lines minus the header)."""
    counts = {}
    for name in AGRESSO_FILES:
        with open(target / "raw" / "agresso" / name, "rb") as handle:
            counts[name] = sum(1 for _ in handle) - 1
    return counts


# --- the pipeline, stage by stage (runs in the child process) ----------------------------------


def run_pipeline(raw_dir: Path, warehouse_dir: Path, as_of: dt.date, measure=None) -> dict:
    """The night itself (pipeline.night.run_night, the sequence the flow runs), without Prefect.

    Returns the published database's path and the run's counts. `measure` is the stage hook
    (pipeline.run_context.Measure); without it nothing is measured.
    """
    from pipeline import run_context
    from pipeline.night import run_night

    summary = run_night(
        Path(raw_dir),
        Path(warehouse_dir),
        as_of,
        force=True,
        measure=measure or run_context.unmeasured,
    )
    return {
        "analytics_path": str(summary.analytics_path),
        "rows_loaded": summary.rows_loaded,
        "findings": summary.findings,
    }


class ModelTimes(logging.Handler):
    """Collects the SQL project's per-model build times (pipeline.sqlproject logs each one at
    DEBUG level), so the transform can be split: which models take its time, and the cost
    models' share."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        name, seconds = record.args
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


def is_cost_model(name: str) -> bool:
    """The models issue «what sick leave costs» added: core_cost_*, core_accounts_* and the
    cost marts (pipeline/sql/marts/cost)."""
    from pipeline import sqlproject

    return name.startswith(("core_cost_", "core_accounts_")) or name in sqlproject.models(
        ("marts/cost",)
    )


def child_pipeline(target: Path, years: int) -> dict:
    """One measured run in this (fresh) process; the warehouse is new each time (a first night)."""
    stages = Stages()
    model_times = ModelTimes()
    sql_log = logging.getLogger("pipeline.sqlproject")
    sql_log.setLevel(logging.DEBUG)
    sql_log.addHandler(model_times)
    os.environ.setdefault("SICKLEAVE_PSEUDONYM_KEY", "benchmark-key-not-secret-0123456789abcdef")
    started = time.perf_counter()
    with stages("startup"):
        # What every run pays before it reads a byte: the project's modules and the validation
        # library (Great Expectations takes seconds to import).
        from pipeline import expectations, night  # noqa: F401

        expectations._context()
    with tempfile.TemporaryDirectory(prefix="night-", dir=target) as night:
        # The warehouse and HR's reports beside it, both thrown away after the run.
        warehouse = Path(night) / "warehouse"
        result = run_pipeline(target / "raw", warehouse, HISTORY[years][1], measure=stages)
    total = time.perf_counter() - started
    return {
        "stages": {s: {"wall_s": stages.wall[s], "peak_mib": stages.peak[s]} for s in stages.wall},
        "total": {"wall_s": total, "peak_mib": max(stages.peak.values())},
        "models": model_times.seconds,
        "rows_loaded": result["rows_loaded"],
        "findings": result["findings"],
    }


def child_warm_up(target: Path, years: int) -> dict:
    """Import what a run imports and read the inputs once (nothing is measured)."""
    from pipeline import expectations, night  # noqa: F401

    expectations._context()
    for path in sorted((target / "raw").rglob("*")):
        if path.is_file():
            path.read_bytes()
    return {}


def child_floor(target: Path) -> dict:
    """DuckDB's own reader on the UTF-8 copies of the three files: a count over read_csv each."""
    import duckdb

    con = duckdb.connect()
    walls = {}
    reset_peak_rss()
    for name in AGRESSO_FILES:
        path = str(target / "utf8" / name).replace("'", "''")
        started = time.perf_counter()
        con.execute(
            f"SELECT count(*) FROM read_csv('{path}', delim = ';', header = true, "
            "dateformat = '%d.%m.%Y', decimal_separator = ',')"
        ).fetchone()
        walls[name] = time.perf_counter() - started
    return {"files": walls, "total": {"wall_s": sum(walls.values()), "peak_mib": peak_rss_mib()}}


def child_naive(target: Path, years: int) -> dict:
    """The straightforward pandas approach: one row per person, employment and day."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (NAIVE_MEMORY_LIMIT, NAIVE_MEMORY_LIMIT))
    from benchmarks.naive import naive_quarterly

    start, end = HISTORY[years]
    started = time.perf_counter()
    figures = naive_quarterly(target / "raw" / "agresso", start, end)
    return {
        "total": {"wall_s": time.perf_counter() - started, "peak_mib": peak_rss_mib()},
        "sick_leave_pct": figures,
    }


# --- the parent: fresh processes, medians, the table --------------------------------------------


def measure_in_child(kind: str, target: Path, years: int, timeout: float | None = None) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON (or why it did not finish)."""
    command = [sys.executable, "-m", "benchmarks.run", "--child", kind, "--target", str(target)]
    command += ["--years", str(years)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # An installed system keeps compiled bytecode; without it every run would compile the
        # libraries' sources again (seconds). Keep the cache beside the generated data.
        env["PYTHONPYCACHEPREFIX"] = str(DATA_DIR / "bytecode")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"did_not_finish": f"over {timeout:.0f} s", "wall_s": time.perf_counter() - started}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit code " + str(done.returncode)])[-1]
        return {"did_not_finish": last[:200], "wall_s": time.perf_counter() - started}
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def benchmark(preset: str, years: int, runs: int, naive: bool, root: Path = DATA_DIR) -> dict:
    """Measure one preset: the pipeline, the floor and (when asked) the naive baseline."""
    print(f"[{preset}, {years} year(s)] preparing inputs ...", flush=True)
    target = prepare(preset, years, root)
    load_at_start = os.getloadavg()[0]
    rows = rows_in(target)
    warm = measure_in_child("warm-up", target, years)  # the bytecode and file system caches
    if "did_not_finish" in warm:
        raise RuntimeError(f"the warm-up run failed: {warm['did_not_finish']}")
    pipeline_runs, floor_runs = [], []
    for run in range(runs):
        print(f"[{preset}, {years} year(s)] run {run + 1}/{runs}", flush=True)
        pipeline_runs.append(measure_in_child("pipeline", target, years))
        floor_runs.append(measure_in_child("floor", target, years))
    failed = [r for r in pipeline_runs + floor_runs if "did_not_finish" in r]
    if failed:
        raise RuntimeError(f"a measured run failed: {failed[0]['did_not_finish']}")
    measured = [s for s in STAGES if all(s in r["stages"] for r in pipeline_runs)]
    result = {
        "preset": preset,
        "employees": PRESETS[preset],
        "years": years,
        "history": [d.isoformat() for d in HISTORY[years]],
        "rows": rows,
        "rows_total": sum(rows.values()),
        "runs": runs,
        "stages": {
            stage: {
                "wall_s": summary([r["stages"][stage]["wall_s"] for r in pipeline_runs]),
                "peak_mib": max(r["stages"][stage]["peak_mib"] for r in pipeline_runs),
            }
            for stage in measured
        },
        "total": {
            "wall_s": summary([r["total"]["wall_s"] for r in pipeline_runs]),
            "peak_mib": max(r["total"]["peak_mib"] for r in pipeline_runs),
        },
        "models": {
            name: statistics.median(r["models"].get(name, 0.0) for r in pipeline_runs)
            for name in sorted(pipeline_runs[0]["models"])
        },
        "cost_models": cost_share(pipeline_runs),
        "floor": {
            "wall_s": summary([r["total"]["wall_s"] for r in floor_runs]),
            "peak_mib": max(r["total"]["peak_mib"] for r in floor_runs),
            "files": {
                name: statistics.median(r["files"][name] for r in floor_runs)
                for name in AGRESSO_FILES
            },
        },
        "machine": {**machine(), "load_average_at_start": load_at_start},
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if naive:
        print(f"[{preset}, {years} year(s)] naive baseline (at most {NAIVE_TIMEOUT_S} s)")
        result["naive"] = measure_in_child("naive", target, years, timeout=NAIVE_TIMEOUT_S)
    return result


def cost_share(pipeline_runs: list[dict]) -> dict:
    """What the cost models add to the transform: their build time over the rest of the
    transform's, per run, as the median (and min, max) of the runs."""
    added, cost_s = [], []
    for run in pipeline_runs:
        cost = sum(s for name, s in run["models"].items() if is_cost_model(name))
        rest = run["stages"]["transform"]["wall_s"] - cost
        cost_s.append(cost)
        added.append(100 * cost / rest)
    return {"wall_s": summary(cost_s), "added_to_transform_pct": summary(added)}


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_end": os.getloadavg()[0],
    }


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _fmt_wall(s: dict) -> str:
    return f"{s['median']:8.2f} ({s['min']:.2f}–{s['max']:.2f})"


def table(result: dict) -> str:
    """The result as a text table: stage, wall median (min–max), peak MiB, rows/s, ratios."""
    rows = result["rows_total"]
    floor = result["floor"]["wall_s"]["median"]
    naive = result.get("naive", {})
    naive_wall = naive.get("total", {}).get("wall_s")
    lines = [
        f"{result['preset']}: {_n(result['employees'])} employees, {result['years']} year(s), "
        f"{_n(rows)} rows in 3 files, median of {result['runs']} runs",
        f"{'stage':<10} {'wall s median (min–max)':>28} {'peak MiB':>9} {'rows/s':>11} "
        f"{'x floor':>8} {'x naive':>8}",
    ]

    def line(name: str, wall: dict, peak: float) -> str:
        median = wall["median"]
        rate = f"{rows / median:11,.0f}".replace(",", " ") if median > 0 else " " * 11
        vs_naive = f"{median / naive_wall:8.3f}" if naive_wall else f"{'–':>8}"
        return (
            f"{name:<10} {_fmt_wall(wall):>28} {peak:9.0f} {rate} {median / floor:8.1f} {vs_naive}"
        )

    for stage in [s for s in STAGES if s in result["stages"]]:
        lines.append(
            line(stage, result["stages"][stage]["wall_s"], result["stages"][stage]["peak_mib"])
        )
    lines.append(line("whole run", result["total"]["wall_s"], result["total"]["peak_mib"]))
    lines.append(line("floor", result["floor"]["wall_s"], result["floor"]["peak_mib"]))
    if naive_wall:
        lines.append(line("naive", summary([naive_wall]), naive["total"]["peak_mib"]))
    elif "naive" in result:
        lines.append(f"{'naive':<10} did not finish ({naive.get('did_not_finish')})")
    else:
        lines.append(f"{'naive':<10} not run at this scale")
    if "cost_models" in result:
        cost = result["cost_models"]
        lines.append(
            f"cost models (in transform): {cost['wall_s']['median']:.2f} s, adding "
            f"{cost['added_to_transform_pct']['median']:.1f} % to the rest of the transform"
        )
        slowest = sorted(result["models"].items(), key=lambda item: -item[1])[:5]
        lines.append("slowest models: " + ", ".join(f"{n} {s:.2f} s" for n, s in slowest))
    return "\n".join(lines)


def save(result: dict, results_dir: Path = RESULTS_DIR) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result['preset']}-{result['years']}y.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=list(PRESETS))
    parser.add_argument("--years", type=int, choices=list(HISTORY), default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="every preset, one and five years")
    parser.add_argument(
        "--naive",
        choices=["auto", "always", "never"],
        default="auto",
        help="auto: the naive baseline up to the largest scale it finished within the time limit",
    )
    parser.add_argument(
        "--child", choices=["pipeline", "floor", "naive", "warm-up"], help=argparse.SUPPRESS
    )
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run = {
            "pipeline": child_pipeline,
            "floor": lambda t, y: child_floor(t),
            "naive": child_naive,
            "warm-up": child_warm_up,
        }
        print(json.dumps(run[args.child](args.target, args.years)))
        return
    if not args.all and not args.preset:
        parser.error("give --preset or --all")
    plan = [(p, y) for y in HISTORY for p in PRESETS] if args.all else [(args.preset, args.years)]
    naive_ok = {years: args.naive != "never" for years in HISTORY}
    for preset, years in plan:
        result = benchmark(preset, years, args.runs, naive=naive_ok[years])
        if args.naive == "auto" and "did_not_finish" in result.get("naive", {}):
            naive_ok[years] = False  # larger scales of the same history will not finish either
        print(table(result), flush=True)
        print(f"-> {save(result)}\n", flush=True)


if __name__ == "__main__":
    main()
