"""The leaders' action lists: what each list holds (checked by hand against the dates in
tests/test_follow_up.py), who gets which, the files' modes, the messages, and that no list, name
or identity number reaches a file, message, log or the published database."""

from __future__ import annotations

import datetime as dt
import logging
import stat
from types import SimpleNamespace

import duckdb
import pandas as pd

from pipeline import action_lists
from pipeline.action_lists import LeaderAlertSettings, write_action_lists
from pipeline.night import run_night
from tests.test_follow_up import P3_ACTIVITIES, warehouse

NUMBERS = {"P1": "20001", "P2": "20002", "P3": "20003", "P4": "20004", "P5": "20005"}
LOADED = [SimpleNamespace(resource_numbers=NUMBERS)]


def read_list(path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it with the right letters
    return pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig").to_dict("records")


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def build_lists(tmp_path, **kwargs):
    con = warehouse(tmp_path / "wh", "2014-03-10", follow_up=P3_ACTIVITIES)
    con.close()
    out = tmp_path / "handlingslister"
    result = write_action_lists(
        tmp_path / "wh" / "internal.duckdb",
        out,
        LOADED,
        "run1",
        as_of=dt.date(2014, 3, 10),
        **kwargs,
    )
    return out, result


def test_each_leader_gets_the_next_7_days_and_the_overdue(tmp_path):
    out, result = build_lists(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["HR.csv", "leder-leder.u1@kommune.no.csv"]
    rows = read_list(out / "leder-leder.u1@kommune.no.csv")
    got = [
        (r["Ressursnr"], r["Første fraværsdag"], r["Forfallsdato"], r["Frist"], r["Status"])
        for r in rows
    ]
    assert sorted(got) == sorted(
        [
            # P1 (Friday 7 March): contact due Sunday, told and due Monday 10 March = today
            ("20001", "07.03.2014", "09.03.2014", "10.03.2014", "Frist nå"),
            ("20001", "07.03.2014", "11.03.2014", "11.03.2014", "Kommer innen 7 dager"),
            # P2 (graded, nothing registered): four activities overdue, no dialogue meeting 1
            (
                "20002",
                "06.01.2014",
                "08.01.2014",
                "08.01.2014",
                "Forfalt: aktivitet ikke registrert",
            ),
            (
                "20002",
                "06.01.2014",
                "10.01.2014",
                "10.01.2014",
                "Forfalt: aktivitet ikke registrert",
            ),
            (
                "20002",
                "06.01.2014",
                "02.02.2014",
                "03.02.2014",
                "Forfalt: aktivitet ikke registrert",
            ),
            (
                "20002",
                "06.01.2014",
                "02.03.2014",
                "03.03.2014",
                "Forfalt: aktivitet ikke registrert",
            ),
            # P3: only the activity requirement is missing
            (
                "20003",
                "06.01.2014",
                "02.03.2014",
                "03.03.2014",
                "Forfalt: aktivitet ikke registrert",
            ),
        ]
    )
    assert list(rows[0]) == action_lists.COLUMNS  # no name, diagnosis or absence code column
    # HR: every overdue one (P4's case ended, so nothing of it is listed)
    hr = read_list(out / "HR.csv")
    assert sorted(r["Ressursnr"] for r in hr) == ["20002"] * 4 + ["20003"]
    assert (result.leaders, result.rows, result.overdue) == (1, 7, 5)


def test_lists_are_owner_only_and_replaced_each_night(tmp_path):
    out, _ = build_lists(tmp_path)
    (out / "leder-gammel@kommune.no.csv").write_text("last night")
    out, _ = build_lists(tmp_path)
    assert mode(out) == 0o700
    assert {mode(p) for p in out.iterdir()} == {0o600}
    assert not (out / "leder-gammel@kommune.no.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_one_message_per_leader_and_one_to_hr(tmp_path):
    sent = []

    def send(urls, title, body, failure=True):
        sent.append((urls, title, body))
        return True

    settings = LeaderAlertSettings(
        leader_alerts=True,
        leader_alert_url="json://mail.kommune.no/?to={leder}",
        hr_alert_urls="json://hr.kommune.no/",
    )
    _, result = build_lists(tmp_path, settings=settings, send=send)
    assert result.messages_sent == 2
    assert sorted(urls[0] for urls, _, _ in sent) == [
        "json://hr.kommune.no/",
        "json://mail.kommune.no/?to=leder.u1@kommune.no",
    ]
    leader_body = next(b for u, _, b in sent if "leder.u1" in u[0])
    assert leader_body.count("- Ressursnr") == 7
    assert "Ressursnr 20001 (enhet U1, første fraværsdag 07.03.2014)" in leader_body


def test_no_message_when_turned_off_or_nothing_to_do(tmp_path):
    sent = []
    _, result = build_lists(tmp_path, settings=LeaderAlertSettings(), send=sent.append)
    assert sent == [] and result.messages_sent == 0
    lists = action_lists.split_lists(
        pd.DataFrame(columns=["person_key", "leader", "action_status"])
    )
    assert lists == {}


# --- the whole night on files ----------------------------------------------------------------

IDENTITY_NUMBER = "25025202182"
NAME = "Kari Nordmann"


def write_exports(raw):
    agresso = raw / "agresso"
    agresso.mkdir(parents=True)
    (agresso / "organisasjon.csv").write_bytes(
        "Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato;Leder\r\n"
        "2010;Sykehjemmet;20;Helse;;;;leder.2010@kommune.no\r\n"
        "3010;Skolen;30;Oppvekst;;;;\r\n".encode("cp1252")
    )
    employments = ["Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato;Navn;Fødselsnr"]
    absences = ["Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted;Navn;Fødselsnr"]
    for i in range(12):
        unit = "2010" if i < 6 else "3010"
        employments.append(f"{30001 + i};{unit};100;01.01.2013;;{NAME};")
        absences.append(
            f"{30001 + i};SYK;{3 + i:02d}.03.2014;31.03.2014;;;{NAME};{IDENTITY_NUMBER}"
        )
    (agresso / "ansettelser.csv").write_bytes(("\r\n".join(employments) + "\r\n").encode("cp1252"))
    (agresso / "fravaer.csv").write_bytes(("\r\n".join(absences) + "\r\n").encode("cp1252"))
    follow_up = raw / "oppfolging"
    follow_up.mkdir()
    (follow_up / "oppfolging.csv").write_bytes(
        "\ufeffRessursnr;Aktivitet;Dato\r\n"
        "30001;KONTAKT;05.03.2014\r\n"  # on time (day 3 = 05.03)
        "30002;BLOMST;06.03.2014\r\n"  # an unknown code: a finding, the rest loads
        "30003;KONTAKT;31.02.2014\r\n".encode("utf-8")  # no such date
    )


def test_the_night_writes_lists_and_nothing_person_level_leaks(tmp_path, caplog):
    raw, wh = tmp_path / "raw", tmp_path / "warehouse"
    write_exports(raw)
    with caplog.at_level(logging.INFO):
        run_night(raw, wh, dt.date(2014, 3, 10), mask_threshold=1)
    lists = tmp_path / "handlingslister"
    assert mode(lists) == 0o700 and {mode(p) for p in lists.iterdir()} == {0o600}
    assert sorted(p.name for p in lists.iterdir()) == ["HR.csv", "leder-leder.2010@kommune.no.csv"]
    listed = set()
    for path in lists.iterdir():
        text = path.read_bytes().decode("utf-8-sig")
        assert NAME not in text and IDENTITY_NUMBER not in text
        listed |= {r["Ressursnr"] for r in read_list(path)}
    # the unit with a leader: its six persons (30001's contact is registered, its other
    # milestones are not); the school has no leader, so HR has its cases, those begun by the
    # as-of date (sick leave from 3 + i March: 30007 and 30008)
    leader_list = read_list(lists / "leder-leder.2010@kommune.no.csv")
    assert {r["Ressursnr"] for r in leader_list} == {str(30001 + i) for i in range(6)}
    assert listed == {str(30001 + i) for i in range(8)}
    con = duckdb.connect(str(wh / "analytics.duckdb"), read_only=True)
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "core_follow_up_actions" not in tables and "follow_up_status" in tables
        for table in tables:
            text = con.execute(f"SELECT * FROM {table}").df().astype(str).to_string()
            assert not any(number in text for number in listed), table
            assert NAME not in text and IDENTITY_NUMBER not in text, table
        findings = con.execute(
            'SELECT file, line, "column", rule FROM validation_findings '
            "WHERE file = 'oppfolging.csv' ORDER BY line"
        ).fetchall()
    finally:
        con.close()
    assert findings == [
        ("oppfolging.csv", 3, "Aktivitet", "activity_code_unknown"),
        ("oppfolging.csv", 4, "Dato", findings[1][3]),
    ]
    assert not any(number in caplog.text for number in listed)
    assert NAME not in caplog.text and IDENTITY_NUMBER not in caplog.text
    for report in (tmp_path / "reports").rglob("*"):
        if report.is_file():
            data = report.read_bytes()
            assert not any(n.encode() in data for n in listed), report
