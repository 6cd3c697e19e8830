"""Small runs, as a user meets them: the sample municipality (450 employees) through the installed
`sickleave` command, whole process, in fresh processes.

    uv run python -m benchmarks.small [--runs 3] [--quiet-runs 5] [--no-server]

- forced: `sickleave run --force` without PREFECT_API_URL (the night in-process), median of --runs;
- quiet: `sickleave run` when nothing changed since the last publish, median of --quiet-runs;
- quiet under a server: a real `prefect server start` and `sickleave serve`; each run is created
  through the REST API (`POST /deployments/{id}/create_flow_run`) and timed from that request to
  the run's final state, as an operator's «run now» in the UI; median of --quiet-runs.

Wall time, CPU time (user + sys) and peak resident memory of each process come from the
operating system (os.wait4). The result goes to benchmarks/results/small-runs.json with the
machine's load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

from benchmarks.region import free_port, stop  # the region benchmark's server helpers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "small-runs.json"
SICKLEAVE = Path(sys.executable).parent / "sickleave"  # the installed command
AS_OF = "2014-06-30"
KEY = "benchmark-key-not-secret-0123456789abcdef"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def environment(home: Path, **extra: str) -> dict[str, str]:
    """No Prefect server unless given; a fixed pseudonym key; Prefect's home in the temp folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SICKLEAVE_"))}
    env.update(
        {
            "PREFECT_HOME": str(home / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "SICKLEAVE_PSEUDONYM_KEY": KEY,
        }
    )
    env.update(extra)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> dict:
    """One process: wall seconds, CPU seconds (user + sys) and peak resident MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.read()[-2000:]!r}")
    process.stderr.close()
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }


def summary(runs: list[dict]) -> dict:
    out = {"runs": len(runs)}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out


def run_command(raw: Path, warehouse: Path, force: bool) -> list[str]:
    command = [str(SICKLEAVE), "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)]
    return command + ["--as-of", AS_OF] + (["--force"] if force else [])


def wait_until(check, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise RuntimeError(f"gave up waiting for {what}")


def timed_flow_run(api: str, deployment_id: str) -> dict:
    """Create a run of the deployment through the REST API; seconds until its final state."""
    started = time.perf_counter()
    for _ in range(60):  # a server busy with its own services answers 503 for a moment
        created = httpx.post(
            f"{api}/deployments/{deployment_id}/create_flow_run", json={}, timeout=10
        )
        if created.status_code != 503:
            break
        time.sleep(0.5)
    created.raise_for_status()
    run_id = created.json()["id"]

    def final() -> dict | None:
        state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]
        return state if state and state["type"] in FINAL else None

    deadline = time.monotonic() + 600
    while (state := final()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("a flow run did not finish in 10 minutes")
        time.sleep(0.05)
    if state["type"] != "COMPLETED":
        raise RuntimeError(f"a flow run ended {state['type']}: {state.get('message')}")
    return {"wall_s": time.perf_counter() - started}


def quiet_under_server(raw: Path, warehouse: Path, home: Path, runs: int) -> dict:
    """Start a Prefect server and `sickleave serve`, then time runs created through the API."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = environment(home, PREFECT_API_URL=api)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        stdout=open(home / "server.log", "wb"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    serving = None
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(api + "/health", timeout=5) as answer:
                    return answer.status == 200
            except OSError:
                return False

        wait_until(healthy, "the Prefect server")
        serving = subprocess.Popen(
            [str(SICKLEAVE), "serve", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)],
            env=env,
            cwd=home,
            stdout=open(home / "serve.log", "wb"),  # noqa: SIM115 - the process owns it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def deployment() -> str | None:
            answer = httpx.get(f"{api}/deployments/name/sickleave-nightly/nightly", timeout=10)
            return answer.json()["id"] if answer.status_code == 200 else None

        deployment_id = wait_until(deployment, "`sickleave serve` to register")

        # The first run under the server computes (its as-of date is today); then nights are quiet.
        timed_flow_run(api, deployment_id)
        return summary([timed_flow_run(api, deployment_id) for _ in range(runs)])
    finally:
        if serving is not None:
            stop(serving)
        stop(server)


def measure(runs: int, quiet_runs: int, with_server: bool) -> dict:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="small-runs-") as folder:
        home = Path(folder)
        raw, warehouse = home / "raw", home / "warehouse"
        env = environment(home)
        subprocess.run(
            [str(SICKLEAVE), "generate", "--raw-dir", str(raw)],
            env=env,
            cwd=home,
            check=True,
            capture_output=True,
        )
        timed(run_command(raw, warehouse, force=True), env, home)  # warm the file cache
        forced = [timed(run_command(raw, warehouse, True), env, home) for _ in range(runs)]
        quiet = [timed(run_command(raw, warehouse, False), env, home) for _ in range(quiet_runs)]
        result = {
            "forced_run": summary(forced),
            "quiet_night": summary(quiet),
        }
        if with_server:
            result["quiet_night_under_server"] = quiet_under_server(
                raw, warehouse, home, quiet_runs
            )
    result["machine"] = {
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
    }
    result["measured_at"] = dt.datetime.now().isoformat(timespec="seconds")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quiet-runs", type=int, default=5)
    parser.add_argument("--no-server", action="store_true", help="leave out the Prefect server")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.quiet_runs, not args.no_server)
    for name in ("forced_run", "quiet_night", "quiet_night_under_server"):
        if name in result:
            figures = result[name]
            line = ", ".join(
                f"{key} {v['median']:.2f} ({v['min']:.2f}–{v['max']:.2f})"
                for key, v in figures.items()
                if isinstance(v, dict)
            )
            print(f"{name}: median of {figures['runs']}: {line}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
