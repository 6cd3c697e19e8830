"""One archive holding every poison input beside the sample: the night publishes the sample's own
figures, each poison entry has its one finding, and the process stays within the memory bound.

Each input here once stopped or fooled the night (an Excel reader allocating 512 GiB, a zip bomb,
a million-field line, a million-column header, a million duplicates, a stray «;» shifting every
column, a row from 1900, a 252-character name, a folder, a pipe and links among the exports, a
byte-order mark mid-file, a Windows-1252 line in a UTF-8 file, 1e-300). The big ones are made in
tmp by the test; nothing large is committed.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile

import duckdb
import pandas as pd
import pytest

from tests.sample_files import ORGANISATION, absences, write_sample

pytestmark = pytest.mark.integration

AS_OF = "2014-06-30"
MART_TABLES = ["sick_leave_quarterly", "sick_leave_periods", "indicator_status", "quarters"]
MEMORY_BOUND_KIB = 2 * 1024 * 1024  # 2 GiB, as ru_maxrss counts on Linux
LONG_NAME = "fravaer_" + "x" * 240 + ".csv"

# Every poison entry (path under raw/) and the one rule its one finding has.
EXPECTED = {
    "agresso/fravaer_xfd.xlsx": "excel_too_large",
    "agresso/fravaer_bombe.xlsx": "excel_too_large",
    "agresso/fravaer_semikolon.csv": "field_count",
    "agresso/fravaer_kolonner.csv": "too_many_columns",
    "agresso/fravaer_kopier.csv": "duplicate_row",
    "agresso/fravaer_fritekst.csv": "field_count",
    "agresso/fravaer_1900.csv": "date_outside_window",
    "agresso/fravaer_1990.csv": "date_outside_window",
    "agresso/fravaer_tall.csv": "number_unparseable",
    "agresso/fravaer_bom.csv": "bom_inside_file",
    "agresso/organisasjon_blandet.csv": "encoding_mixed",
    f"agresso/{LONG_NAME}": "wrong_delimiter",
    "agresso/ansettelser_lenke.csv": "not_regular_file",
    "nav/gammel.csv": "not_regular_file",
    "nav/kø.csv": "not_regular_file",
    "ssb/lenke.csv": "not_regular_file",
}


def sample_absences_with(*extra_lines: str) -> str:
    """The sample's absences plus extra lines: the good rows of such a newer export are exactly
    the sample's (it replaces the sample's rows for its period with the same rows), so the
    published figures stay the sample's whenever the extra lines are kept out."""
    return absences() + "".join(line + "\r\n" for line in extra_lines)


def far_cell_workbook() -> bytes:
    """The sample's absences as a workbook with one more cell, at XFD1048576."""
    buffer = io.BytesIO()
    frame = pd.read_csv(io.StringIO(absences()), sep=";", dtype=str, keep_default_na=False)
    frame.to_excel(buffer, index=False)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>',
                )
            zf.writestr(part.filename, data)
    return out.getvalue()


def write_deflate_bomb(path) -> None:
    """A ~6 MB workbook whose sheet unpacks to 1.2 GB (blank space inside an XML comment)."""
    block = b"<!--" + b" " * (1 << 20) + b"-->"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><dimension ref="A1:E4"/>')
            for _ in range(1200):
                sheet.write(block)
            sheet.write(b"<sheetData/></worksheet>")


def write_poison(raw, outside) -> None:
    agresso, nav, ssb = raw / "agresso", raw / "nav", raw / "ssb"
    for folder in (nav, ssb):
        folder.mkdir(parents=True, exist_ok=True)
    lines = absences().split("\r\n")
    (agresso / "fravaer_xfd.xlsx").write_bytes(far_cell_workbook())
    write_deflate_bomb(agresso / "fravaer_bombe.xlsx")
    (agresso / "fravaer_semikolon.csv").write_bytes(
        sample_absences_with("10001;EGM;02.06.2014;02.06.2014;;" + ";" * 1_000_000).encode()
    )
    header = lines[0] + "".join(f";Kolonne{i}" for i in range(1_000_000))
    (agresso / "fravaer_kolonner.csv").write_bytes(
        (header + "\r\n" + "\r\n".join(lines[1:])).encode("cp1252")
    )
    with open(agresso / "fravaer_kopier.csv", "wb") as handle:
        handle.write(absences().encode())
        handle.write(((lines[1] + "\r\n") * 1_000_000).encode())
    with_text = [lines[0] + ";Fraværstekst"] + [line + ";" for line in lines[1:] if line]
    with_text.insert(1, "10001;EGM;02.06.2014;02.06.2014;;;Egenmelding; vondt i ryggen")
    (agresso / "fravaer_fritekst.csv").write_bytes(("\r\n".join(with_text) + "\r\n").encode())
    (agresso / "fravaer_1900.csv").write_bytes(
        sample_absences_with("10001;EGM;02.01.1900;02.01.1900;;").encode()
    )
    (agresso / "fravaer_1990.csv").write_bytes(
        sample_absences_with("10002;SYK;01.01.1990;31.12.2019;;").encode()
    )
    (agresso / "fravaer_tall.csv").write_bytes(
        sample_absences_with("10003;SYK;02.06.2014;06.06.2014;1e-300;").encode()
    )
    bom = absences().encode().split(b"\r\n")
    bom[2] = b"\xef\xbb\xbf" + bom[2]  # two exports pasted together
    (agresso / "fravaer_bom.csv").write_bytes(b"\r\n".join(bom))
    (agresso / "organisasjon_blandet.csv").write_bytes(
        ORGANISATION.encode("utf-8")
        + "9999;Bøler skole;30;Oppvekst og kultur;;;\r\n".encode("cp1252")
    )
    (agresso / LONG_NAME).write_bytes(absences().replace(";", ",").encode())
    (agresso / "ansettelser_lenke.csv").symlink_to(outside)
    (nav / "gammel.csv").mkdir()
    (nav / "gammel.csv" / "fravaer.csv").write_text("gammel kopi\r\n", encoding="utf-8")
    os.mkfifo(nav / "kø.csv")
    (ssb / "lenke.csv").symlink_to(outside)


def run_measured(raw, warehouse) -> tuple[subprocess.CompletedProcess, int, float]:
    """`sickleave run` in its own process (group); returns it, its peak RSS (KiB, the process
    itself) and its wall time."""
    rss_file = warehouse.parent / f"{warehouse.name}.maxrss"
    code = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['sickleave', 'run', '--raw-dir', {str(raw)!r}, '--warehouse-dir',"
        f" {str(warehouse)!r}, '--as-of', {AS_OF!r}]\n"
        "try:\n"
        "    runpy.run_module('pipeline.cli', run_name='__main__')\n"
        "finally:\n"
        f"    open({str(rss_file)!r}, 'w').write(\n"
        "        str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=900)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    elapsed = time.perf_counter() - started
    result = subprocess.CompletedProcess(process.args, process.returncode, output, "")
    return result, int(rss_file.read_text()), elapsed


def published(warehouse) -> tuple[dict, pd.DataFrame]:
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        marts = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in MART_TABLES}
        findings = con.execute("SELECT * FROM validation_findings").df()
    finally:
        con.close()
    return marts, findings


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("poison")
    outside = root / "utenfor.csv"
    outside.write_text("Ressursnr;Arbeidssted\r\n99999;2010\r\n", encoding="utf-8")
    clean_raw = write_sample(root / "clean" / "raw")
    clean = run_measured(clean_raw, root / "clean" / "warehouse")
    poison_raw = write_sample(root / "poison" / "raw")
    write_poison(poison_raw, outside)
    poison = run_measured(poison_raw, root / "poison" / "warehouse")
    return root, clean, poison


def test_the_night_publishes_the_samples_figures(nights):
    root, (clean, _, _), (poison, _, _) = nights
    assert clean.returncode == 0, clean.stdout[-3000:]
    assert poison.returncode == 0, poison.stdout[-3000:]
    clean_marts, _ = published(root / "clean" / "warehouse")
    poison_marts, _ = published(root / "poison" / "warehouse")
    assert clean_marts["sick_leave_quarterly"]  # not two empty databases
    assert poison_marts == clean_marts


def test_every_poison_entry_has_its_one_finding(nights):
    root, _, (poison, _, _) = nights
    assert poison.returncode == 0, poison.stdout[-3000:]
    _, clean_findings = published(root / "clean" / "warehouse")
    _, findings = published(root / "poison" / "warehouse")
    by_file = findings.groupby("file")["rule"].apply(sorted).to_dict()
    for entry, rule in EXPECTED.items():
        name = entry.split("/")[-1]
        assert by_file.get(name) == [rule], (entry, by_file.get(name))
    # The sample's own files say what they said in a clean night, nothing more.
    sample = clean_findings["file"].unique().tolist()
    assert sorted(findings[findings["file"].isin(sample)]["rule"]) == sorted(clean_findings["rule"])
    [copies] = findings[findings["file"] == "fravaer_kopier.csv"].itertuples()
    assert "Gjelder 1\u00a0000\u00a0000 linjer" in copies.message


def test_whole_file_rejections_are_moved_and_odd_entries_left_for_a_person(nights):
    root, _, _ = nights
    raw, rejected = root / "poison" / "raw", root / "poison" / "rejected"
    for entry, rule in EXPECTED.items():
        if rule in {"excel_too_large", "too_many_columns", "wrong_delimiter"}:
            assert not (raw / entry).exists(), entry
    reasons = {p.read_text(encoding="utf-8") for p in (rejected / "agresso").glob("*.grunn.txt")}
    assert any(f"Fil: {LONG_NAME}\n" in reason for reason in reasons)
    assert all(len(p.name.encode()) <= 255 for p in (rejected / "agresso").iterdir())
    for entry in ["agresso/ansettelser_lenke.csv", "nav/gammel.csv", "nav/kø.csv", "ssb/lenke.csv"]:
        assert os.path.lexists(raw / entry), entry


def test_memory_and_time_stay_within_bounds(nights):
    _, (_, clean_rss, clean_time), (poison, poison_rss, poison_time) = nights
    assert poison.returncode == 0, poison.stdout[-3000:]
    print(
        f"clean night {clean_time:.0f} s, {clean_rss / 1024:.0f} MiB; "
        f"poison night {poison_time:.0f} s, {poison_rss / 1024:.0f} MiB"
    )
    assert poison_rss < MEMORY_BOUND_KIB
    # The poison costs seconds (reading a million lines twice over), not minutes.
    assert poison_time < clean_time + 120
