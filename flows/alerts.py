"""The flow's failure hook: the night's alerts themselves live in pipeline.alerts (a plain run
sends them too); under Prefect the message links to the run's page in the UI."""

from __future__ import annotations

from pipeline.alerts import alert_failed_run as alert_failed_night
from pipeline.alerts import (  # noqa: F401 - the alert functions, for callers of this module
    alert_rejected_files,
    failed_run_message,
    rejected_files_message,
    run_link,
    send_alert,
)
from pipeline.settings import Settings


def _state_error(state) -> BaseException | None:
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # the result itself may be unreadable after a crash
        return None
    return result if isinstance(result, BaseException) else None


def alert_failed_run(flow, flow_run, state) -> None:
    """Prefect hook (on_failure, on_crashed): tell the operators the night failed."""
    # A hook is an entry point of its own: the settings are read here, once.
    urls = Settings().alert_url_list
    alert_failed_night(urls, flow_run.name, _state_error(state), run_link(flow_run.id))
