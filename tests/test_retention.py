"""Storage limitation (pipeline/retention.py): after SICKLEAVE_RAW_RETENTION_DAYS an export keeps
only what the pipeline reads, rejected files are deleted, and the archive still rebuilds the same
published tables."""

import datetime as dt
import hashlib
import json
import shutil
import stat

import duckdb

from pipeline import archive, cli, retention
from pipeline.profile import load_profile
from sample.municipality import generate_municipality

NOW = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
HEADER = "Ressursnr;Fraværskode;Fra dato;Til dato;Fraværsprosent;Arbeidssted;Fraværstekst;Navn;Fødselsnr;Adresse"  # noqa: E501
TINY = (
    HEADER + "\r\n"
    '10001;SYK;02.01.2014;10.01.2014;50;3080;"Kneskade; operert";Kari Nordmann;01017012345;Storgata 1\r\n'  # noqa: E501
    "\r\n"
    "10002;EGM;06.01.2014;07.01.2014;;3080;Migrene; igjen;Ola Hansen;02028054321;Lillegata 2\r\n"
    "10003;BARN;08.01.2014;08.01.2014;;;;Per Berg;03039011111;\r\n"
)


def write_export(raw, name: str, text: str, first_seen: dt.datetime) -> str:
    path = raw / "agresso" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("cp1252")
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    record = archive.read_record(raw)
    record[digest] = first_seen
    archive.write_record(raw, record, {digest: f"agresso/{name}"})
    return digest


def test_an_export_past_retention_keeps_only_what_the_pipeline_reads(tmp_path):
    raw = tmp_path / "raw"
    arrived = NOW - dt.timedelta(days=91)
    original = write_export(raw, "fravaer.csv", TINY, arrived)
    recent = write_export(raw, "fravaer_ny.csv", TINY.replace("10003", "10004"), NOW)

    done = retention.apply_retention(raw, tmp_path / "rejected", load_profile(), 90, NOW)

    assert [p.name for p in done.minimised] == ["fravaer.csv"]
    path = raw / "agresso" / "fravaer.csv"
    # Line 2 kept (the quoted ";" was one field), line 3 blank as it was, line 4 (an unquoted
    # ";" in the free text: one field too many, quarantined) stays a line with one too many.
    assert path.read_bytes().decode("cp1252") == (
        HEADER + "\n"
        "10001;SYK;02.01.2014;10.01.2014;50;3080;;;;\n"
        ";;;;;;;;;\n"
        ";;;;;;;;;;\n"
        "10003;BARN;08.01.2014;08.01.2014;;;;;;\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The minimised content is as old as the export it came from; the new export is untouched.
    minimised = hashlib.sha256(path.read_bytes()).hexdigest()
    record = archive.read_record(raw)
    assert record[minimised] == arrived and record[original] == arrived
    assert archive.minimised_digests(raw) == {minimised}
    assert "Kari" in (raw / "agresso" / "fravaer_ny.csv").read_text(encoding="cp1252")
    assert recent in record

    # A second night finds nothing more to do.
    again = retention.apply_retention(raw, tmp_path / "rejected", load_profile(), 90, NOW)
    assert again.minimised == [] and hashlib.sha256(path.read_bytes()).hexdigest() == minimised


def test_rejected_files_are_deleted_after_retention(tmp_path):
    rejected = tmp_path / "rejected" / "agresso"
    rejected.mkdir(parents=True)
    (rejected / "run1_fravaer.csv").write_text("Navn,Fødselsnr\nKari,01017012345\n")
    (rejected / "run1_fravaer.csv.grunn.txt").write_text("Årsak: feil skilletegn\n")
    profile = load_profile()

    kept = retention.apply_retention(tmp_path / "raw", tmp_path / "rejected", profile, 1, NOW)
    assert kept.deleted == [] and len(list(rejected.iterdir())) == 2  # moved there today

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    gone = retention.apply_retention(tmp_path / "raw", tmp_path / "rejected", profile, 1, later)
    names = sorted(p.name for p in gone.deleted)
    assert names == ["run1_fravaer.csv", "run1_fravaer.csv.grunn.txt"]
    assert list(rejected.iterdir()) == []


# --- the night itself, on the sample ----------------------------------------------------------

PLANTED_NAME, PLANTED_ID, PLANTED_TEXT = "Zyxwvu Plantesen", "29029912345", "Plantet kneskade"


def plant(path, line_no: int, values: dict[int, str]) -> None:
    """Put distinctive values into fields of one line of a sample export (cp1252, ';')."""
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    fields = lines[line_no - 1].split(";")
    for index, value in values.items():
        fields[index] = value
    lines[line_no - 1] = ";".join(fields)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))


def personal_values(raw) -> set[str]:
    """Every name and identity number in the sample's person exports (and the planted text)."""
    values = {PLANTED_TEXT}
    for name in ("ansettelser.csv", "fravaer.csv"):
        lines = (raw / "agresso" / name).read_bytes().decode("cp1252").splitlines()
        header = lines[0].split(";")
        for line in lines[1:]:
            fields = line.split(";")
            if len(fields) == len(header):
                values |= {fields[header.index("Navn")], fields[header.index("Fødselsnr")]}
    return {v for v in values if v}


def files_holding(folder, values: set[str]) -> dict[str, set[str]]:
    """Which of the values occur in which file under the folder (every file's bytes, as UTF-8
    and as Windows-1252: databases, reports, logs, the archive and its record included)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = {v for v in values if v.encode("utf-8") in data or v.encode("cp1252") in data}
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def published(path) -> dict[str, list]:
    """Every published table's rows, without what names the run (ids, times, content digests)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        out = {}
        for table in tables:
            columns = [
                c[0]
                for c in con.execute(f'DESCRIBE "{table}"').fetchall()
                if c[0] not in {"run_id", "run_started_at", "content_sha256"}
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = con.execute(f'SELECT {select} FROM "{table}" ORDER BY ALL').fetchall()
        return out
    finally:
        con.close()


def test_after_retention_nothing_personal_is_left_and_rebuild_publishes_the_same(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("SICKLEAVE_RAW_RETENTION_DAYS", "90")
    data = tmp_path / "data"
    raw, warehouse = data / "raw", data / "warehouse"
    generate_municipality(raw, employees=60)
    absences = raw / "agresso" / "fravaer.csv"
    plant(absences, 2, {6: PLANTED_TEXT, 7: PLANTED_NAME, 8: PLANTED_ID})
    employments = raw / "agresso" / "ansettelser.csv"
    header = employments.read_bytes().decode("cp1252").split("\r\n")[0].split(";")
    plant(
        employments, 2, {header.index("Navn"): PLANTED_NAME, header.index("Fødselsnr"): PLANTED_ID}
    )
    with absences.open("ab") as out:  # free text with a ";": the line is quarantined
        out.write(f"10001;EGM;02.01.2013;02.01.2013;;;vondt; {PLANTED_TEXT};x;y\r\n".encode())
    folders = {"raw_dir": raw, "warehouse_dir": warehouse, "as_of": "2014-06-30"}
    cli.run(**folders, force=False)

    # A corrected January 2013 arrives a night later (the replacement rule needs its time), and
    # an export HR saved with the wrong delimiter is rejected (moved to data/rejected).
    lines = absences.read_bytes().decode("cp1252").split("\r\n")
    rows = [x.split(";") for x in lines[1:] if x.count(";") == 8]
    january = [r for r in rows if r[2].endswith(".01.2013")]
    january[0][4] = "50"  # the correction: the first spell was half time
    corrected = [";".join(r) for r in january]
    (raw / "agresso" / "fravaer_rettet.csv").write_bytes(
        "\r\n".join([lines[0], *corrected, ""]).encode("cp1252")
    )
    (raw / "agresso" / "fravaer_feil.csv").write_text(
        f"Ressursnr,Navn,Fødselsnr\n10001,{PLANTED_NAME},{PLANTED_ID}\n", encoding="utf-8"
    )
    cli.run(**folders, force=False)
    assert list((data / "rejected").rglob("*fravaer_feil.csv"))
    cli.rebuild(**folders)  # the tables as every later night publishes them, originals and all
    values = personal_values(raw)
    assert len(values) > 100
    before = published(warehouse / "analytics.duckdb")
    assert any(PLANTED_ID in hits for hits in files_holding(data, values).values())
    assert any("rejected" in name for name in files_holding(data, {PLANTED_ID}))

    # Retention 0: the next night minimises every export and deletes the rejected files.
    monkeypatch.setenv("SICKLEAVE_RAW_RETENTION_DAYS", "0")
    cli.run(**folders, force=False)
    assert files_holding(data, values) == {}
    assert list((data / "rejected").rglob("*.csv*")) == []
    assert published(warehouse / "analytics.duckdb") == before

    # The databases and reports deleted: the minimised archive alone rebuilds the same tables.
    shutil.rmtree(warehouse)
    shutil.rmtree(data / "reports", ignore_errors=True)
    cli.rebuild(**folders)
    assert published(warehouse / "analytics.duckdb") == before
    assert files_holding(data, values) == {}
    record = json.loads((raw / ".arkiv.json").read_text(encoding="utf-8"))
    # the two absence exports, the employments and the follow-up export (its source may carry
    # names and identity numbers too)
    assert sum(1 for e in record["files"].values() if e.get("minimised_from")) == 4
