"""Night after night: new, corrected, smaller and bad exports arrive in the archive, and every
night publishes exactly what one clean run over the same archive publishes.

The municipality is small enough to count by hand: eight employees, 100 % each, four in unit 100
(sector 1) and four in unit 200 (sector 2), employed since 2012. Every absence is one
doctor-certified working day at 100 %, so a quarter's lost workdays are the number of absence
rows in it. A month's export has two rows (on the first working day from the 5th and from the
15th); a corrected month has three (from the 3rd or 4th, the 12th and the 20th or 24th), which
covers the two days it corrects.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import holidays
import pandas as pd
import pytest

from pipeline import archive, steps
from pipeline import fingerprint as fp
from pipeline.profile import DEFAULT_PROFILE, PROJECT_ROOT, load_profile

PROFILE = load_profile()
KEY = b"k" * 32
NORWAY = holidays.Norway(years=range(2012, 2016))

ORGANISATION = """Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato
100;Enhet A;1;Sektor En;;;
200;Enhet B;2;Sektor To;;;
"""
# A new snapshot of the organisation: unit 100 renamed, unit 300 new in sector 2.
ORGANISATION_JUNE = """Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato
100;Enhet A ny;1;Sektor En;;;
200;Enhet B;2;Sektor To;;;
300;Enhet C;2;Sektor To;;;
"""
EMPLOYMENTS = "Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato\n" + "".join(
    f"{1000 + p};{100 if p <= 4 else 200};100;01.01.2012;\n" for p in range(1, 9)
)
EMPLOYMENTS_JUNE = (
    "Ressursnr;Arbeidssted;Stillingsprosent;Fra dato;Til dato\n"
    "1009;300;100;02.06.2014;\n"
    "1010;300;100;02.06.2014;\n"
)
ABSENCE_HEADER = "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted\n"
MONTH_DAYS = (5, 15)


def workday(year: int, month: int, day: int) -> dt.date:
    """The first working day (Monday-Friday, no public holiday) on or after the date."""
    date = dt.date(year, month, day)
    while date.weekday() >= 5 or date in NORWAY:
        date += dt.timedelta(days=1)
    return date


def rows(year: int, month: int, days=MONTH_DAYS) -> list[str]:
    out = []
    for i, day in enumerate(days):
        date = workday(year, month, day)
        person = 1001 + (month + 3 * i) % 8
        out.append(f"{person};SYK;{date:%d.%m.%Y};{date:%d.%m.%Y};;\n")
    return out


def absences(lines: list[str]) -> str:
    return ABSENCE_HEADER + "".join(lines)


def month(year: int, m: int, days=MONTH_DAYS) -> str:
    return absences(rows(year, m, days))


YEAR_2013 = absences([line for m in range(1, 13) for line in rows(2013, m)])
# Everything up to July 2014 again, cut after 8 rows (sorted by person): a truncated full export.
TRUNCATED = absences(
    sorted(
        [line for m in range(1, 13) for line in rows(2013, m)]
        + [line for m in range(1, 8) for line in rows(2014, m)]
    )[:8]
)
BAD = month(2014, 4).replace(";", ",")  # saved with the wrong separator: rejected whole


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.replace("\n", "\r\n").encode("cp1252"))


# --- plain functions -----------------------------------------------------------------------


def load_files(tmp_path: Path, files: dict[str, str], first_seen: dict[str, dt.datetime]):
    """Read the files as the night does and settle their history with the given first-seen
    times (by file name; a naive time is one the load log kept)."""
    folder = tmp_path / "agresso"
    loaded = []
    for name, text in files.items():
        write(folder, name, text)
        source = "absences" if name.startswith("fravaer") else "employments"
        loaded.append(steps.read_and_validate(folder / name, source, PROFILE, KEY, {"100", "200"}))
    seen = {
        lf.content_sha256: first_seen[lf.path.name] for lf in loaded if lf.path.name in first_seen
    }
    now = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
    steps.settle_history(loaded, seen, now, PROFILE)
    return {lf.path.name: lf for lf in loaded}


def staged(loaded: dict[str, steps.LoadedFile]) -> pd.DataFrame:
    by_source: dict[str, list] = {}
    for lf in loaded.values():
        by_source.setdefault(lf.source, []).append(lf)
    return steps.staging_frames(by_source, PROFILE)["stg_absences"]


def test_a_first_seen_time_without_time_zone_orders_with_one_that_has_it(tmp_path):
    """The load log keeps UTC without a zone; tonight's time has one. Comparing them raised
    TypeError in staging_frames on every night after a second export of a source."""
    loaded = load_files(
        tmp_path,
        {"fravaer.csv": month(2014, 1), "fravaer_korrigert.csv": month(2014, 1, (3, 12, 20))},
        {"fravaer.csv": dt.datetime(2026, 12, 1, 2, 0)},  # fravaer_korrigert.csv: new tonight
    )
    frame = staged(loaded)
    assert frame["source_file"].tolist() == ["fravaer_korrigert.csv"] * 3
    assert loaded["fravaer.csv"].rows_superseded == 2
    assert loaded["fravaer_korrigert.csv"].first_seen_at.tzinfo is not None


def test_a_month_after_a_year_loads_and_replaces_that_month_only(tmp_path):
    """Three rows for March 2013 after a 24-row export of 2013: judged against the two rows the
    year export has in March, not its 24 (the old rule rejected it as under half)."""
    loaded = load_files(
        tmp_path,
        {"fravaer_2013.csv": YEAR_2013, "fravaer_2013-03.csv": month(2013, 3, (4, 12, 20))},
        {
            "fravaer_2013.csv": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "fravaer_2013-03.csv": dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        },
    )
    correction = loaded["fravaer_2013-03.csv"]
    assert (correction.outcome, correction.rows_loaded, correction.findings) == ("loaded", 3, [])
    frame = staged(loaded)
    march = frame[frame["from_date"].dt.month == 3]
    assert march["source_file"].tolist() == ["fravaer_2013-03.csv"] * 3
    assert (frame["source_file"] == "fravaer_2013.csv").sum() == 22
    assert loaded["fravaer_2013.csv"].rows_superseded == 2


def test_a_truncated_full_export_is_rejected_and_the_older_rows_stay(tmp_path):
    """A re-export of 2013 that lost most of its rows (cut after 8 of 24): rows in its own
    period under half of what the older export holds there: rejected whole, replaces nothing."""
    cut = absences(sorted(rows_2013 := YEAR_2013.splitlines(keepends=True)[1:])[:8])
    assert len(rows_2013) == 24
    loaded = load_files(
        tmp_path,
        {"fravaer.csv": YEAR_2013, "fravaer_ny.csv": cut},
        {
            "fravaer.csv": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "fravaer_ny.csv": dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        },
    )
    truncated = loaded["fravaer_ny.csv"]
    assert truncated.outcome == "rejected" and truncated.frame is None
    [finding] = truncated.findings
    assert finding.rule == "row_count_collapsed" and finding.line is None
    # Its 8 rows start between 07.01.2013 and 07.10.2013: January to September (2 rows each) and
    # 07.10 of the year export are in that period, 19 rows.
    assert finding.message.startswith(
        "Filen har 8 rader med «Fra dato» fra 07.01.2013 til 07.10.2013, men eldre uttrekk av "
        "samme kilde har 19 rader i den samme perioden: under halvparten."
    )
    assert staged(loaded)["source_file"].tolist() == ["fravaer.csv"] * 24


def test_newer_means_first_seen_by_the_archive_then_the_period_never_the_name_alone(tmp_path):
    """fravaer-korrigert.csv sorts before fravaer.csv by name; the record says it came later."""
    files = {"fravaer.csv": month(2014, 1), "fravaer-korrigert.csv": month(2014, 1, (3, 12, 20))}
    night_one = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    night_two = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    by_record = load_files(
        tmp_path / "a", files, {"fravaer.csv": night_one, "fravaer-korrigert.csv": night_two}
    )
    assert set(staged(by_record)["source_file"]) == {"fravaer-korrigert.csv"}
    # Seen the same night (or no record): the export reaching later is newer, whatever its name.
    same_night = {"fravaer.csv": night_one, "fravaer-februar.csv": night_one}
    later = load_files(
        tmp_path / "b",
        {"fravaer.csv": month(2014, 2), "fravaer-februar.csv": month(2014, 2, (10, 24))},
        same_night,
    )
    frame = staged(later)
    # fravaer.csv covers 05.02-17.02, fravaer-februar.csv 10.02-24.02: the later one wins the
    # days they share and the 05.02 row (outside its period) stays.
    assert sorted(frame["source_file"]) == ["fravaer-februar.csv"] * 2 + ["fravaer.csv"]


def test_the_archive_record_keeps_first_seen_times_and_adds_only_new_contents(tmp_path):
    first = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)
    second = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    record = archive.record_arrivals(tmp_path, [("agresso/a.csv", "aa")], first)
    assert record == {"aa": first}
    stamp = (tmp_path / archive.RECORD_FILE).stat().st_mtime_ns
    assert archive.record_arrivals(tmp_path, [("agresso/kopi.csv", "aa")], second) == record
    assert (tmp_path / archive.RECORD_FILE).stat().st_mtime_ns == stamp  # nothing new, no write
    earlier = {"bb": dt.datetime(2026, 10, 1, 2, 0)}  # from a load log: UTC without a zone
    record = archive.record_arrivals(
        tmp_path,
        [("agresso/a.csv", "aa"), ("agresso/b.csv", "bb"), ("agresso/c.csv", "cc")],
        second,
        earlier=lambda: earlier,
    )
    assert record == {
        "aa": first,
        "bb": dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC),
        "cc": second,
    }
    assert archive.read_record(tmp_path) == record


def test_a_thousand_copies_of_one_export_are_read_once(tmp_path, monkeypatch):
    folder = tmp_path / "agresso"
    write(folder, "fravaer.csv", month(2014, 1))
    for i in range(999):
        shutil.copyfile(folder / "fravaer.csv", folder / f"fravaer_kopi{i:03d}.csv")
    parsed = []
    real = steps.read_source_file
    monkeypatch.setattr(
        steps, "read_source_file", lambda path, *a: parsed.append(path.name) or real(path, *a)
    )
    manifest = fp.raw_manifest(tmp_path)
    digests = fp.digests({"raw_files": manifest}, tmp_path)
    paths = steps.discover(tmp_path, PROFILE, ["absences"])["absences"]
    loaded = steps.read_each_content_once(
        paths,
        "absences",
        digests,
        lambda path, digest: steps.read_and_validate(path, "absences", PROFILE, KEY, None, digest),
    )
    assert parsed == ["fravaer.csv"]
    assert [lf.outcome for lf in loaded].count("duplicate") == 999
    copy = loaded[1]
    assert (copy.rows_loaded, copy.duplicate_of) == (0, "fravaer.csv")
    assert copy.findings[0].rule == "file_duplicate"


def test_fingerprint_covers_schemas_and_leaves_hidden_files_out(tmp_path):
    package, schemas = tmp_path / "pkg", tmp_path / "schemas"
    (package / "sql").mkdir(parents=True)
    (schemas / "expectations").mkdir(parents=True)
    (package / "sql" / "a.sql").write_text("SELECT 1", encoding="utf-8")
    suite = schemas / "expectations" / "absences.yaml"
    suite.write_text("file_level: []\n", encoding="utf-8")
    before = fp.code_sha256(package, schemas)
    suite.write_text("file_level: [x]\n", encoding="utf-8")
    assert fp.code_sha256(package, schemas) != before

    raw = tmp_path / "raw"
    write(raw / "agresso", "fravaer.csv", month(2014, 1))
    write(raw / "ssb", "ssb.csv", "x\n")
    write(raw / "nav", "nav.csv", "x\n")
    for hidden in [raw / ".gitkeep", raw / "agresso" / ".gitkeep", raw / archive.RECORD_FILE]:
        hidden.write_text("", encoding="utf-8")
    manifest = fp.raw_manifest(raw)
    assert [f["path"] for f in manifest] == ["agresso/fravaer.csv", "nav/nav.csv", "ssb/ssb.csv"]
    write(raw, "notat.txt", "x\n")  # in no folder a reader looks in
    assert steps.files_read(fp.raw_manifest(raw), PROFILE) == 3


def test_fingerprint_hashes_the_plan_the_night_uses(tmp_path, monkeypatch):
    """SICKLEAVE_PLAN_PATH's plan, not the project's plan.yaml: an edit there is a change."""
    from pipeline.night import fingerprint_inputs

    plan = tmp_path / "min_plan.yaml"
    plan.write_text((PROJECT_ROOT / "plan.yaml").read_text("utf-8"), encoding="utf-8")
    raw = tmp_path / "raw"
    write(raw / "agresso", "fravaer.csv", month(2014, 1))
    ctx = steps.RunContext(raw, tmp_path / "warehouse", dt.date(2014, 1, 31))
    before = fingerprint_inputs(ctx, DEFAULT_PROFILE, plan)
    plan.write_text(plan.read_text("utf-8").replace("2014: 7.0", "2014: 9.9"), encoding="utf-8")
    after = fingerprint_inputs(ctx, DEFAULT_PROFILE, plan)
    assert after["digest"] != before["digest"]
    assert fp.changed_parts(after, {"fingerprint": before}) == ["plan.yaml"]
    # The archive's record was written on the way: the file's first-seen time is in it.
    [entry] = after["raw_files"]
    assert entry["first_seen_at"] == ctx.started_at.isoformat()
    assert archive.read_record(raw) == {entry["sha256"]: ctx.started_at}


# --- a year of nights (the night as every caller runs it) -----------------------------------

# (label, as-of, new files in data/raw/agresso)
NIGHTS = [
    (
        "januar",
        "2014-01-31",
        {
            "organisasjon.csv": ORGANISATION,
            "ansettelser.csv": EMPLOYMENTS,
            "fravaer_2013.csv": YEAR_2013,
            "fravaer_2014-01.csv": month(2014, 1),
        },
    ),
    ("februar", "2014-02-28", {"fravaer_2014-02.csv": month(2014, 2)}),
    (
        "mars med rettet februar og mars 2013",
        "2014-03-31",
        {
            "fravaer_2014-03.csv": month(2014, 3),
            "fravaer_2014-02-rettet.csv": month(2014, 2, (3, 12, 24)),
            "fravaer_2013-03.csv": month(2013, 3, (4, 12, 20)),
        },
    ),
    ("stille natt", "2014-03-31", {}),
    ("bare planen endret", "2014-03-31", {}),
    (
        "april, en kopi og en feil fil",
        "2014-04-30",
        {
            "fravaer_2014-04.csv": month(2014, 4),
            "fravaer_2014-04_kopi.csv": month(2014, 4),
            "fravaer_feil.csv": BAD,
        },
    ),
    ("mai", "2014-05-31", {"fravaer_2014-05.csv": month(2014, 5)}),
    (
        "juni med ny organisasjon",
        "2014-06-30",
        {
            "organisasjon_2014-06.csv": ORGANISATION_JUNE,
            "ansettelser_2014-06.csv": EMPLOYMENTS_JUNE,
            "fravaer_2014-06.csv": month(2014, 6),
        },
    ),
    (
        "juli og et avkuttet fullt uttrekk",
        "2014-07-31",
        {
            "fravaer_2014-07.csv": month(2014, 7),
            "fravaer_alt.csv": TRUNCATED,
        },
    ),
    ("august", "2014-08-31", {"fravaer_2014-08.csv": month(2014, 8)}),
    ("september", "2014-09-30", {"fravaer_2014-09.csv": month(2014, 9)}),
    ("oktober", "2014-10-31", {"fravaer_2014-10.csv": month(2014, 10)}),
    ("november", "2014-11-30", {"fravaer_2014-11.csv": month(2014, 11)}),
    ("desember", "2014-12-31", {"fravaer_2014-12.csv": month(2014, 12)}),
]
# Columns that say which run published a table, not what it holds.
RUN_COLUMNS = {
    "load_log": {"run_id", "run_started_at", "first_seen_at"},
    "validation_findings": {"run_id"},
    "run_info": {"run_id", "run_started_at"},
}


def differences(night: Path, clean: Path, run_columns=RUN_COLUMNS) -> dict[str, tuple]:
    """Tables whose rows differ between two published databases (EXCEPT ALL both ways), with
    the number of rows only in the first and only in the second; tables in one only too."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{night}' AS night (READ_ONLY)")
        con.execute(f"ATTACH '{clean}' AS clean (READ_ONLY)")

        def tables(db):
            return {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [db]
                ).fetchall()
            }

        found = {}
        names = tables("night")
        for name in names ^ tables("clean"):
            found[name] = ("only in one database",)
        for name in sorted(names & tables("clean")):
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = 'night' "
                    "AND table_name = ? ORDER BY column_index",
                    [name],
                ).fetchall()
                if r[0] not in run_columns.get(name, set())
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            counts = [
                con.execute(
                    f"SELECT count(*) FROM (SELECT {select} FROM {a}.{name} "
                    f"EXCEPT ALL SELECT {select} FROM {b}.{name})"
                ).fetchone()[0]
                for a, b in (("night", "clean"), ("clean", "night"))
            ]
            if counts != [0, 0]:
                found[name] = tuple(counts)
        return found
    finally:
        con.close()


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def lost(analytics: Path, quarter: str, scope_level: str = "municipality", code: str = "") -> int:
    [(value,)] = query(
        analytics,
        "SELECT lost_workdays FROM sick_leave_quarterly WHERE quarter = ? AND scope_level = ? "
        f"{'AND scope_code = ?' if code else ''}",
        [quarter, scope_level] + ([code] if code else []),
    )
    return int(value)


def log_of(analytics: Path) -> dict[str, tuple]:
    rows = query(
        analytics, "SELECT file, outcome, rows_loaded, rows_superseded FROM load_log ORDER BY file"
    )
    return {r[0]: r[1:] for r in rows}


def counting(monkeypatch, module, name: str, calls: list) -> None:
    real = getattr(module, name)

    def wrapped(path, *args, **kwargs):
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.integration
def test_a_year_of_nights_publishes_what_one_clean_run_over_the_archive_publishes(
    tmp_path, monkeypatch
):
    from pipeline.night import run_night as nightly

    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    (raw / "agresso").mkdir(parents=True)
    for keep in (raw / ".gitkeep", raw / "agresso" / ".gitkeep"):
        keep.write_text("", encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text((PROJECT_ROOT / "plan.yaml").read_text("utf-8"), encoding="utf-8")
    settings = {"mask_threshold": 1, "municipality_name": "Testkommune", "plan_path": plan}

    def night_checks(label: str, summary, analytics: Path, inputs: int) -> None:
        log = log_of(analytics)
        if label == "januar":
            assert lost(analytics, "2013K1") == 6 and lost(analytics, "2014K1") == 2
        if label == "februar":
            assert lost(analytics, "2014K1") == 4
        if label.startswith("mars"):
            # Corrected February: 3 rows replace the 2 of the first export, January and March
            # stay; corrected March 2013 (a month after a year): its 3 rows replace 2 of 24.
            assert lost(analytics, "2014K1") == 2 + 3 + 2
            assert lost(analytics, "2013K1") == 2 + 2 + 3
            assert lost(analytics, "2013K2") == 6
            assert log["fravaer_2014-02.csv"] == ("loaded", 0, 2)
            assert log["fravaer_2014-02-rettet.csv"] == ("loaded", 3, 0)
            assert log["fravaer_2014-01.csv"] == ("loaded", 2, 0)
            assert log["fravaer_2013.csv"] == ("loaded", 22, 2)
            assert log["fravaer_2013-03.csv"] == ("loaded", 3, 0)
        if label == "stille natt":
            assert summary.skipped and summary.files_read == 0
        else:
            assert not summary.skipped, label
            assert summary.files_read == inputs, label  # .gitkeep is no input
        if label == "bare planen endret":
            assert query(
                analytics,
                "SELECT DISTINCT target FROM indicator_status WHERE indicator_id = "
                "'sykefravaer_kommunen' AND period = '2014K1'",
            ) == [(Decimal("9.9"),)]
        if label.startswith("april"):
            assert summary.files_rejected == 1
            assert log["fravaer_feil.csv"][0] == "rejected"
            assert log["fravaer_2014-04_kopi.csv"] == ("duplicate", 0, 0)
            assert not (raw / "agresso" / "fravaer_feil.csv").exists()
            assert lost(analytics, "2014K2") == 2
        if label.startswith("juni"):
            names = query(
                analytics,
                "SELECT DISTINCT scope_name FROM sick_leave_quarterly WHERE scope_code = '100'",
            )
            assert names == [("Enhet A ny",)]
            assert query(
                analytics,
                "SELECT persons FROM sick_leave_quarterly WHERE quarter = '2014K2' "
                "AND scope_level = 'unit' AND scope_code = '300'",
            ) == [(2,)]
        if label.startswith("juli"):
            assert summary.files_rejected == 1
            assert log["fravaer_alt.csv"][0] == "rejected"
            assert lost(analytics, "2014K3") == 2
        if label == "desember":
            assert [lost(analytics, f"2014K{q}") for q in (1, 2, 3, 4)] == [7, 6, 6, 6]

    for index, (label, as_of, files) in enumerate(NIGHTS):
        for name, text in files.items():
            write(raw / "agresso", name, text)
        if label == "bare planen endret":
            text = plan.read_text("utf-8").replace("2014: 7.0", "2014: 9.9", 1)
            plan.write_text(text, encoding="utf-8")
        inputs = len(fp.raw_manifest(raw))
        exports = [p.name for p in (raw / "agresso").iterdir() if not p.name.startswith(".")]
        # The clean run: a fresh warehouse over a copy of the archive as this night found it.
        clean_raw = tmp_path / f"clean{index}" / "raw"
        shutil.copytree(raw, clean_raw)
        hashed, parsed = [], []
        with monkeypatch.context() as patch:
            counting(patch, fp, "file_sha256", hashed)
            counting(patch, steps, "file_digest", hashed)
            counting(patch, steps, "read_source_file", parsed)
            summary = nightly(
                raw_dir=raw,
                warehouse_dir=warehouse,
                as_of=dt.date.fromisoformat(as_of),
                **settings,
            )
        if not summary.skipped:
            # Each Agresso file hashed once a night; a copy of a content is never parsed.
            assert sorted(n for n in hashed if n in exports) == sorted(exports), label
            assert "fravaer_2014-04_kopi.csv" not in parsed
        analytics = warehouse / "analytics.duckdb"
        night_checks(label, summary, analytics, inputs)
        clean = nightly(
            raw_dir=clean_raw,
            warehouse_dir=tmp_path / f"clean{index}" / "warehouse",
            as_of=dt.date.fromisoformat(as_of),
            **settings,
        )
        assert differences(analytics, clean.analytics_path) == {}, label

    # The databases deleted: a rebuild from the archive alone (its record included) publishes
    # exactly the last night's tables, load log and first-seen times included.
    rebuilt = nightly(
        raw_dir=raw,
        warehouse_dir=tmp_path / "rebuilt",
        as_of=dt.date(2014, 12, 31),
        force=True,
        **settings,
    )
    only_run = {**RUN_COLUMNS, "load_log": {"run_id", "run_started_at"}}
    assert differences(analytics, rebuilt.analytics_path, only_run) == {}
    record = archive.read_record(raw)
    by_name = {
        lf: when
        for lf, when in zip(
            ["fravaer_2014-02.csv", "fravaer_2014-02-rettet.csv"],
            [
                record[fp.file_sha256(raw / "agresso" / n)]
                for n in ["fravaer_2014-02.csv", "fravaer_2014-02-rettet.csv"]
            ],
            strict=True,
        )
    }
    assert by_name["fravaer_2014-02.csv"] < by_name["fravaer_2014-02-rettet.csv"]
