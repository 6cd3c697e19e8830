"""Region benchmark: the region night on a real Prefect server with 1 and with 2 process workers.

    uv run python -m benchmarks.region --preset sample --scale 0.3 --runs 3
    uv run python -m benchmarks.region --preset vestfold --runs 3      # the 14 of Vestfold

The region is generated once into benchmarks/data/ (sample.region). A Prefect server is started on
a free localhost port with its home in a temporary folder; `sickleave serve --region` registers
the deployments. For each number of workers W, W workers are started and the municipality queue's
concurrency limit is set to W (one night per worker at a time), then the region night is run
`--runs` times, each from empty municipality outputs (a full night, never a quiet one); its wall
time is measured from the trigger to the region's run being finished, and each municipality's
night from its flow run's start and end times on the server. Every process started is stopped.

The extrapolation to all 357 municipalities fits a municipality's night as a + b x employees over
the measured nights (least squares) and divides the country's nights among the workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
DATA_DIR = ROOT / "benchmarks" / "data"
AS_OF = "2014-06-30"
# Norway's municipalities and their employees (the country preset of benchmarks.run).
NORWAY_MUNICIPALITIES, NORWAY_EMPLOYEES = 357, 500_000


def extrapolate(nights: list[tuple[int, float]], workers: int) -> dict:
    """Fit seconds = a + b x employees over measured (employees, seconds) nights and estimate the
    whole country: 357 nights of together 500 000 employees, shared by the workers."""
    n = len(nights)
    mean_x = sum(x for x, _ in nights) / n
    mean_y = sum(y for _, y in nights) / n
    spread = sum((x - mean_x) ** 2 for x, _ in nights)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in nights) / spread if spread else 0.0
    # Small municipalities differ by noise more than by size: a night never gets faster with
    # more employees, so a falling fit counts as flat (every night the mean).
    slope = max(slope, 0.0)
    intercept = mean_y - slope * mean_x
    total = NORWAY_MUNICIPALITIES * intercept + slope * NORWAY_EMPLOYEES
    return {
        "seconds_per_night": round(intercept, 2),
        "seconds_per_1000_employees": round(slope * 1000, 3),
        "country_night_seconds": round(total, 1),
        "country_wall_seconds_with_workers": round(total / workers, 1),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "SICKLEAVE_ALERT_URLS": "",
        }
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    """SIGINT to the process group (a worker stops its flow runs with it), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for_health(api_url: str, server: subprocess.Popen, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(api_url + "/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(1)
    raise SystemExit("the Prefect server did not start")


def sickleave(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    return done.stdout


def set_concurrency(region_path: Path, workers: int) -> None:
    text = region_path.read_text(encoding="utf-8")
    lines = [
        f"concurrency: {workers}" if line.startswith("concurrency:") else line
        for line in text.splitlines()
    ]
    region_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def clear_outputs(region) -> None:
    """Every night from scratch: no warehouse, reports or region left from the run before."""
    for municipality in region.municipalities:
        for folder in (municipality.warehouse_dir, municipality.reports_dir):
            shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(region.output_dir, ignore_errors=True)


def municipality_nights(api_url: str, parent_id: str) -> list[dict]:
    """The nightly runs the region's run started (the region's run is their parent)."""
    import httpx

    answer = httpx.post(
        f"{api_url}/flow_runs/filter",
        json={"flow_runs": {"parent_flow_run_id": {"any_": [parent_id]}}, "limit": 200},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def run_region(region, region_path: Path, api_url: str, env: dict) -> dict:
    clear_outputs(region)
    started = time.monotonic()
    sickleave(["region-run", "--region", str(region_path), "--as-of", AS_OF], env)
    wall = time.monotonic() - started
    import httpx

    query = {"flows": {"name": {"any_": ["sickleave-region"]}}, "sort": "START_TIME_DESC",
             "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "limit": 1}
    [parent] = httpx.post(f"{api_url}/flow_runs/filter", json=query, timeout=30).json()
    nights = {}
    for run in municipality_nights(api_url, parent["id"]):
        number = run["name"].split()[0]
        began = dt.datetime.fromisoformat(run["start_time"])
        seconds = (dt.datetime.fromisoformat(run["end_time"]) - began).total_seconds()
        nights[number] = {"state": run["state_type"], "seconds": round(seconds, 2)}
    return {"wall_seconds": round(wall, 2), "nights": nights}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["sample", "vestfold"], default="sample")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    options = parser.parse_args(argv)

    from pipeline.region.config import load_region
    from sample.region import PRESETS, generate_region

    folder = DATA_DIR / f"region-{options.preset}-{options.scale:g}"
    region_path = folder / "region.yaml"
    if not region_path.exists():
        generate_region(folder, options.preset, options.scale)
    employees = {
        m.number: max(20, round(m.employees * options.scale)) for m in PRESETS[options.preset]
    }

    home = Path(tempfile.mkdtemp(prefix="region-bench-"))
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = environment(home, api_url)
    server = start(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)],
        environment(home),
        home / "server.log",
    )
    results = {"preset": options.preset, "scale": options.scale, "employees": employees,
               "load_average_start": os.getloadavg()[0], "by_workers": {}}
    try:
        wait_for_health(api_url, server)
        for workers in options.workers:
            set_concurrency(region_path, workers)
            sickleave(["serve", "--region", str(region_path)], env)
            region = load_region(region_path)
            pool = [
                start([sys.executable, "-m", "prefect", "worker", "start", "--pool",
                       region.work_pool], env, home / f"worker-{workers}-{n}.log")
                for n in range(workers)
            ]
            try:
                runs = [run_region(region, region_path, api_url, env) for _ in range(options.runs)]
            finally:
                for worker in pool:
                    stop(worker)
            walls = [r["wall_seconds"] for r in runs]
            measured = [(employees[number], night["seconds"]) for r in runs
                        for number, night in r["nights"].items()]
            results["by_workers"][workers] = {
                "runs": runs,
                "wall_median": statistics.median(walls),
                "wall_min": min(walls),
                "wall_max": max(walls),
                "extrapolation": extrapolate(measured, workers),
            }
            print(f"{workers} worker(s): region night {statistics.median(walls):.1f} s "
                  f"(median of {len(walls)}, {min(walls):.1f}-{max(walls):.1f})", flush=True)
    finally:
        stop(server)
        shutil.rmtree(home, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()[0]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"region-{options.preset}-{options.scale:g}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for workers, result in results["by_workers"].items():
        guess = result["extrapolation"]
        print(f"{workers} worker(s): a night = {guess['seconds_per_night']} s + "
              f"{guess['seconds_per_1000_employees']} s per 1 000 employees; all 357 "
              f"municipalities ≈ {guess['country_wall_seconds_with_workers'] / 60:.0f} min")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
