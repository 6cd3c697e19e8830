"""Failpoints for fault tests: SICKLEAVE_CRASH_AT=<point> kills the process at that point with
SIGKILL, the way a power cut or an OOM kill would, so tests can prove that a run killed anywhere
leaves the published state intact and the next run recovers on its own.
SICKLEAVE_PAUSE_AT=<point>[:<seconds>] waits there instead (default an hour), so a test can
interrupt a run, or start another, in the middle of that step. Unset in normal use."""

from __future__ import annotations

import os
import signal
import time

ENV = "SICKLEAVE_CRASH_AT"
PAUSE_ENV = "SICKLEAVE_PAUSE_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    point, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if point == name:
        time.sleep(float(seconds or 3600))  # a signal handler that raises ends the wait
