"""Alerts through Apprise (installed with Prefect) when a night needs a person: the run failed, or
an export was rejected and is missing from the figures.

Targets are Apprise URLs in SICKLEAVE_ALERT_URLS (comma-separated: e-mail, Teams, Slack, a JSON
webhook, ...); none set means no alerts. Messages are Norwegian and carry no personal data: file
names, counts and the pipeline's own sentences, never a value from a row, and for an unexpected
error only its kind (its text could quote data), with a link to the run's log when the night runs
under a Prefect server. Sending never fails the night: a failed alert is a warning in the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Sequence

from pipeline.errors import FileRejected, UserError
from pipeline.profile import ProfileError

logger = logging.getLogger("sickleave.alerts")

# Exceptions whose text the pipeline writes itself (one Norwegian sentence, no row values).
OWN_SENTENCES = (UserError, ProfileError, FileRejected)
UNTOUCHED = "De publiserte tallene er urørt: analytikere ser fortsatt forrige vellykkede kjøring."


def send_alert(urls: Sequence[str], title: str, body: str, failure: bool = True) -> bool:
    """Send one notification to every URL; True when all of them accepted it."""
    if not urls:
        return False
    import apprise

    notifier = apprise.Apprise()
    accepted = [url for url in urls if notifier.add(url)]
    if len(accepted) < len(urls):
        logger.warning(
            "%d av %d varslingsadresser i SICKLEAVE_ALERT_URLS er ugyldige og ble hoppet over.",
            len(urls) - len(accepted),
            len(urls),
        )
    if not accepted:
        return False
    kind = apprise.NotifyType.FAILURE if failure else apprise.NotifyType.WARNING
    sent = bool(notifier.notify(title=title, body=body, notify_type=kind))
    if not sent:
        logger.warning("Varselet «%s» kunne ikke sendes til alle mottakere.", title)
    return sent and len(accepted) == len(urls)


def run_link(flow_run_id: object = None) -> str | None:
    """The run's page in the Prefect UI, when the night runs as a flow under a server with a UI
    (never imports Prefect: a plain run has no page)."""
    if "prefect" not in sys.modules:
        return None
    from prefect.runtime import flow_run
    from prefect.settings import PREFECT_UI_URL

    flow_run_id = flow_run_id or flow_run.id
    base = PREFECT_UI_URL.value()
    return f"{str(base).rstrip('/')}/runs/flow-run/{flow_run_id}" if base and flow_run_id else None


def failed_run_message(
    run_name: str, when: dt.datetime, error: BaseException | None, link: str | None
) -> tuple[str, str]:
    """Title and body for a failed night; the last sentence says what is published now."""
    from pipeline.night import AfterPublishFailed

    if isinstance(error, AfterPublishFailed):
        cause, published = str(error), None  # its sentence says what is published now
    elif isinstance(error, OWN_SENTENCES):
        cause, published = str(error), UNTOUCHED
    elif error is not None:  # failed before publish: the previous publish stands
        cause = f"Uventet feil ({type(error).__name__}); se loggen for detaljer."
        published = UNTOUCHED
    else:
        cause = "Kjøringen stoppet uten feilmelding (prosessen ble avbrutt eller krasjet)."
        published = (
            "Hvilken kjøring som er publisert nå, står i last_run.json ved databasen; en kjøring "
            "som stopper før publisering endrer ingenting."
        )
    body = [f"Nattkjøringen «{run_name}» feilet {when:%d.%m.%Y kl. %H:%M}.", f"Årsak: {cause}"]
    if published:
        body.append(published)
    if link:
        body.append(f"Logg i Prefect: {link}")
    return "Sykefravær: nattkjøringen feilet", "\n".join(body)


def rejected_files_message(
    as_of: dt.date,
    run_id: str,
    rejected: Sequence[tuple[str, str]],
    files_read: int,
    link: str | None,
) -> tuple[str, str]:
    """Title and body for a night that published figures without some rejected files."""
    n = len(rejected)
    title = f"Sykefravær: {n} {'fil' if n == 1 else 'filer'} avvist i nattkjøringen"
    body = [
        f"Kjøring {run_id} (beregnet per {as_of:%d.%m.%Y}) leste {files_read} filer; "
        f"{n} ble avvist og er ikke med i tallene:",
        *(f"- {name}: {reason}" for name, reason in rejected),
        "Rett filen og legg den i inndatamappen igjen; neste natt leses den inn. "
        "Alle funn står i tabellen validation_findings.",
    ]
    if link:
        body.append(f"Kjøringen i Prefect: {link}")
    return title, "\n".join(body)


def alert_failed_run(
    urls: Sequence[str], run_name: str, error: BaseException | None, link: str | None = None
) -> None:
    """Tell the operators the night failed (when alerts are configured: urls not empty)."""
    if not urls:
        return
    title, body = failed_run_message(run_name, dt.datetime.now().astimezone(), error, link)
    send_alert(urls, title, body, failure=True)


def night_warnings_message(
    as_of: dt.date, run_id: str, warnings: Sequence[str], link: str | None
) -> tuple[str, str]:
    """Title and body for a night that ran but needs a person (a lost pseudonymisation key)."""
    body = [f"Kjøring {run_id} (beregnet per {as_of:%d.%m.%Y}):", *(f"- {w}" for w in warnings)]
    if link:
        body.append(f"Kjøringen i Prefect: {link}")
    return "Sykefravær: advarsel fra nattkjøringen", "\n".join(body)


def alert_night_warnings(
    urls: Sequence[str], as_of: dt.date, run_id: str, warnings: list[str]
) -> bool:
    """Send the night's warnings when there are any and alerts are configured."""
    if not warnings or not urls:
        return False
    title, body = night_warnings_message(as_of, run_id, warnings, run_link())
    sent = send_alert(urls, title, body, failure=True)
    if not sent:
        logger.warning("Varselet om nattens advarsler kunne ikke sendes; se loggen over.")
    return sent


def alert_rejected_files(
    urls: Sequence[str],
    as_of: dt.date,
    run_id: str,
    rejected: list[tuple[str, str]],
    files_read: int,
) -> bool:
    """Send the rejected-files alert when files were rejected and alerts are configured."""
    if not rejected or not urls:
        return False
    title, body = rejected_files_message(as_of, run_id, rejected, files_read, run_link())
    sent = send_alert(urls, title, body, failure=False)
    if sent:
        logger.info("Varsel om %d avviste filer sendt til %d mottakere.", len(rejected), len(urls))
    else:
        logger.warning("Varsel om avviste filer kunne ikke sendes; se loggen over.")
    return sent
