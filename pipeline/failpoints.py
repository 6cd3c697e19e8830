"""Failpoints for fault tests: SICKLEAVE_CRASH_AT=<point> kills the process at that point with
SIGKILL, the way a power cut or an OOM kill would, so tests can prove that a run killed anywhere
leaves the published state intact and the next run recovers on its own.
SICKLEAVE_PAUSE_AT=<point>[:<seconds>] waits there instead (default an hour), so a test can
interrupt a run, or start another, in the middle of that step; <point>:query waits inside a
DuckDB query on the step's connection, where a signal interrupts the query rather than Python.
A pause says so on stderr («failpoint: pause at <point>»). Unset in normal use."""

from __future__ import annotations

import os
import signal
import sys
import time

ENV = "SICKLEAVE_CRASH_AT"
PAUSE_ENV = "SICKLEAVE_PAUSE_AT"


# A query that runs for hours on one thread; a signal ends it.
ENDLESS_QUERY = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)"


def crash_point(name: str, con=None) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    point, _, how = os.environ.get(PAUSE_ENV, "").partition(":")
    if point != name:
        return
    print(f"failpoint: pause at {name}", file=sys.stderr, flush=True)
    if how == "query" and con is not None:
        con.execute("SET threads = 1")
        con.execute(ENDLESS_QUERY)
    else:
        time.sleep(float(how or 3600))  # a signal handler that raises ends the wait
