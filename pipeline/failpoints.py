"""Failpoints for fault tests: SICKLEAVE_CRASH_AT=<point> kills the process at that point with
SIGKILL, the way a power cut or an OOM kill would, so tests can prove that a run killed anywhere
leaves the published state intact and the next run recovers on its own. Unset in normal use."""

from __future__ import annotations

import os
import signal

ENV = "SICKLEAVE_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
