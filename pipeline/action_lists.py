"""The leaders' action lists (handlingslister): per leader, the ongoing sick-leave cases that reach
a milestone in the coming 7 days and those whose follow-up activity is overdue, with the
person's own Ressursnr so the leader knows whom it is about.

The warehouse holds only pseudonyms and is never made reversible: the lists are made during the
night, while the absence exports' own Ressursnr are in memory (LoadedFile.resource_numbers, kept
for the run only), and are written only into an owner-only folder (0700, files 0600) that is
replaced as a whole each night. Never a name, identity number, diagnosis or absence code; never
in analytics.duckdb, the reports or the log (which counts them and says nothing more).

Optionally each leader gets one message a night through Apprise when there is something to do
(SICKLEAVE_LEADER_ALERTS=true), and HR one with every overdue activity.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline import alerts, filemodes

log = logging.getLogger("sickleave.night")

ACTION_LISTS_DIR = "handlingslister"  # beside the warehouse and the reports: data/handlingslister
HR_LIST = "HR"  # cases without a leader, and every overdue activity
STATUS_LABELS = {
    "due_soon": "Kommer innen 7 dager",
    "due_now": "Frist nå",
    "overdue": "Forfalt: aktivitet ikke registrert",
}
COLUMNS = [
    "Ressursnr",
    "Enhet",
    "Første fraværsdag",
    "Stoppunkt",
    "Forfallsdato",
    "Frist",
    "Status",
]
# Sources whose Ressursnr are kept in memory for the night's lists: every case starts there.
KEEPS_RESOURCE_NUMBERS = {"absences"}


class LeaderAlertSettings(BaseSettings):
    """SICKLEAVE_LEADER_ALERTS=true turns the messages on. SICKLEAVE_LEADER_ALERT_URL is an
    Apprise URL with {leder} where the leader's address goes (e.g.
    mailtos://user:pass@smtp.kommune.no?to={leder}); SICKLEAVE_HR_ALERT_URLS are HR's Apprise
    URLs (comma-separated; empty: SICKLEAVE_ALERT_URLS)."""

    model_config = SettingsConfigDict(env_prefix="SICKLEAVE_")

    leader_alerts: bool = False
    leader_alert_url: str = ""
    hr_alert_urls: str = ""
    alert_urls: str = ""

    @property
    def hr_urls(self) -> list[str]:
        text = self.hr_alert_urls or self.alert_urls
        return [u.strip() for u in text.split(",") if u.strip()]


@dataclass
class ActionListsResult:
    folder: Path
    leaders: int  # lists written for leaders (HR's not counted)
    rows: int
    overdue: int
    messages_sent: int = 0


def night_resource_numbers(loaded: Iterable) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for lf in loaded:
        numbers.update(getattr(lf, "resource_numbers", None) or {})
    return numbers


def read_actions(internal_path: Path) -> pd.DataFrame:
    """The night's actions from the internal warehouse (pseudonymised)."""
    con = duckdb.connect(str(internal_path), read_only=True)
    try:
        return con.execute(
            """
            SELECT n.person_key, a.leader, a.unit_code, a.case_from, a.milestone_no,
                a.label, a.due_date, a.deadline, a.action_status
            FROM core_follow_up_actions AS a JOIN core_persons AS n USING (person_id)
            ORDER BY a.due_date, a.case_from, a.milestone_no, n.person_key
            """
        ).df()
    finally:
        con.close()


def list_frame(rows: pd.DataFrame, numbers: dict[str, str]) -> pd.DataFrame:
    """One list as HR and leaders read it: Norwegian headers, dates dd.mm.yyyy."""

    def day(values: pd.Series) -> pd.Series:
        return pd.to_datetime(values).dt.strftime("%d.%m.%Y")

    return pd.DataFrame(
        {
            "Ressursnr": rows["person_key"].map(numbers).fillna("ukjent"),
            "Enhet": rows["unit_code"].fillna(""),
            "Første fraværsdag": day(rows["case_from"]),
            "Stoppunkt": rows["label"],
            "Forfallsdato": day(rows["due_date"]),
            "Frist": day(rows["deadline"]),
            "Status": rows["action_status"].map(STATUS_LABELS),
        },
        columns=COLUMNS,
    )


def file_name(leader: str) -> str:
    """A leader's list file: the address or id with anything but letters, digits, @ . - _ made _."""
    return "leder-" + re.sub(r"[^\w@.-]", "_", leader.strip())[:120] + ".csv"


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # HR's habit: ';' separated, UTF-8 with BOM (Excel opens it with the right letters).
    return frame.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8-sig")


def list_files(
    actions: pd.DataFrame, lists: dict[str, pd.DataFrame], numbers: dict[str, str]
) -> dict[str, bytes]:
    """Each list's CSV file, the same bytes csv_bytes(list_frame(rows)) gives list by list, made
    from one formatting of all the night's actions: a country has thousands of leaders, and
    formatting each one's few rows on its own costs milliseconds a list."""
    if actions.empty:
        return {name: csv_bytes(list_frame(rows, numbers)) for name, rows in lists.items()}
    formatted = list_frame(actions, numbers)
    text = formatted.to_csv(sep=";", index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    header, body = lines[0], lines[1:-1]  # the text ends with a line break
    if len(body) != len(formatted):  # a value with a line break: format list by list
        return {name: csv_bytes(list_frame(rows, numbers)) for name, rows in lists.items()}
    position = pd.Series(range(len(formatted)), index=formatted.index)
    return {
        name: "\r\n".join([header, *(body[i] for i in position.loc[rows.index]), ""]).encode(
            "utf-8-sig"
        )
        for name, rows in lists.items()
    }


def split_lists(actions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows per list: each leader's own cases; HR's: cases without a leader and every overdue."""
    lists: dict[str, pd.DataFrame] = {}
    led = actions[actions["leader"].notna()]
    for leader, rows in led.groupby("leader", sort=True):
        lists[str(leader)] = rows
    hr = actions[actions["leader"].isna() | (actions["action_status"] == "overdue")]
    if len(hr):
        lists[HR_LIST] = hr
    return lists


def write_action_lists(
    internal_path: Path,
    out_dir: Path,
    loaded: Iterable,
    run_id: str,
    settings: LeaderAlertSettings | None = None,
    send: Callable[..., bool] | None = None,
    as_of: dt.date | None = None,
) -> ActionListsResult:
    """Write every leader's list (and HR's) into a new owner-only folder and swap it in for last
    night's; then, when turned on, one message per leader with something to do, and HR's."""
    actions = read_actions(internal_path)
    numbers = night_resource_numbers(loaded)
    lists = split_lists(actions)
    out_dir = Path(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}.{run_id}.new")
    shutil.rmtree(staging, ignore_errors=True)
    filemodes.make_dir(staging)
    files = list_files(actions, lists, numbers)
    for name, content in files.items():
        target = staging / ("HR.csv" if name == HR_LIST else file_name(name))
        filemodes.write_bytes(target, content)
    _swap(staging, out_dir, run_id)
    result = ActionListsResult(
        out_dir,
        leaders=sum(1 for name in lists if name != HR_LIST),
        rows=len(actions),
        overdue=int((actions["action_status"] == "overdue").sum()),
    )
    settings = settings or LeaderAlertSettings()
    if settings.leader_alerts:
        send = send or alerts.send_alert
        result.messages_sent = send_messages(lists, numbers, settings, send, as_of)
    log.info(
        "handlingslister: %d ledere, %d punkter (%d forfalt), %d meldinger sendt",
        result.leaders,
        result.rows,
        result.overdue,
        result.messages_sent,
    )
    return result


def _swap(staging: Path, out_dir: Path, run_id: str) -> None:
    """Last night's folder aside, the new one in place, the old one removed."""
    previous = out_dir.with_name(f".{out_dir.name}.{run_id}.old")
    if out_dir.exists():
        os.rename(out_dir, previous)
    os.rename(staging, out_dir)
    shutil.rmtree(previous, ignore_errors=True)


def message_body(rows: pd.DataFrame, numbers: dict[str, str], as_of: dt.date | None) -> str:
    frame = list_frame(rows, numbers)
    when = f" per {as_of:%d.%m.%Y}" if as_of else ""
    lines = [f"Oppfølging av sykmeldte{when}: {len(frame)} punkt(er) å følge opp."]
    lines += [
        f"- Ressursnr {r['Ressursnr']} (enhet {r['Enhet']}, første fraværsdag "
        f"{r['Første fraværsdag']}): {r['Stoppunkt']}; forfaller {r['Forfallsdato']}, "
        f"frist {r['Frist']}. {r['Status']}."
        for _, r in frame.iterrows()
    ]
    lines.append("Registrer det som er gjort i personalsystemet; listen lages på nytt hver natt.")
    return "\n".join(lines)


def send_messages(
    lists: dict[str, pd.DataFrame],
    numbers: dict[str, str],
    settings: LeaderAlertSettings,
    send: Callable[..., bool],
    as_of: dt.date | None,
) -> int:
    """One message per leader with a list (never an empty one), HR's with the overdue ones and the
    cases without a leader. Returns how many were accepted; a failure is counted in the log only
    (the message itself is never logged: it names persons by Ressursnr)."""
    sent = 0
    for name, rows in lists.items():
        if name == HR_LIST:
            urls = settings.hr_urls
            title = "Sykefravær: forfalt oppfølging og saker uten leder"
        elif settings.leader_alert_url:
            urls = [settings.leader_alert_url.replace("{leder}", name)]
            title = "Sykefravær: oppfølging av dine sykmeldte"
        else:
            urls = []
        if not urls or rows.empty:
            continue
        if send(urls, title, message_body(rows, numbers, as_of), failure=False):
            sent += 1
    if sent < sum(1 for rows in lists.values() if len(rows)):
        log.warning("Noen meldinger om oppfølging ble ikke sendt (mangler adresse eller feilet).")
    return sent


def follow_up_sources(profile) -> list[str]:
    """The optional follow-up export, when the profile describes one."""
    return [name for name in ("follow_up",) if name in profile.sources]


def write_night_action_lists(ctx, loaded: Iterable) -> ActionListsResult:
    """The night's step: lists from the internal warehouse into data/handlingslister."""
    return write_action_lists(
        ctx.internal_path,
        ctx.warehouse_dir.parent / ACTION_LISTS_DIR,
        loaded,
        ctx.run_id,
        as_of=ctx.as_of,
    )
