"""User errors end as one sentence on stderr and a non-zero exit, never a traceback."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import cli
from pipeline.privacy import load_or_create_key
from pipeline.settings import Settings


def sickleave(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_sentence(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Feil: "), result.stderr
    for word in words:
        assert word in lines[0]


def test_missing_input_folder(tmp_path):
    result = sickleave("run", "--raw-dir", str(tmp_path / "finnes-ikke"))
    assert_one_sentence(result, "Fant ikke mappen", "--raw-dir")


def test_as_of_date_in_the_wrong_form(tmp_path):
    assert_one_sentence(sickleave("run", "--as-of", "30.06.2014"), "ÅÅÅÅ-MM-DD")


def test_plan_with_a_typo_names_line_and_field(tmp_path):
    plan = tmp_path / "plan.yaml"
    text = Path("plan.yaml").read_text("utf-8").replace("direction: max", "direction: maks", 1)
    plan.write_text(text, encoding="utf-8")
    (tmp_path / "raw").mkdir()
    result = sickleave(
        "run",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--warehouse-dir",
        str(tmp_path / "wh"),
        env={"SICKLEAVE_PLAN_PATH": str(plan)},
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "linje" in result.stderr and "direction" in result.stderr and "maks" in result.stderr


def test_profile_with_a_typo(tmp_path):
    profile = tmp_path / "profil.yaml"
    text = Path("schemas/profiles/default.yaml").read_text("utf-8")
    profile.write_text(text.replace("EGM: self_certified", "EGM: selfcertified"), "utf-8")
    (tmp_path / "raw").mkdir()
    result = sickleave(
        "run",
        "--raw-dir",
        str(tmp_path / "raw"),
        "--warehouse-dir",
        str(tmp_path / "wh"),
        env={"SICKLEAVE_PROFILE": str(profile)},
    )
    assert_one_sentence(result, "EGM", "selfcertified")


def test_query_before_any_run(tmp_path):
    assert_one_sentence(
        sickleave("sql", "SELECT 1", "--warehouse-dir", str(tmp_path)), "sickleave run"
    )


def test_query_with_a_syntax_error_and_a_locked_database(tmp_path):
    database = tmp_path / "analytics.duckdb"
    writer = duckdb.connect(str(database))
    writer.execute("CREATE TABLE t AS SELECT 1 AS x")
    try:
        assert_one_sentence(sickleave("sql", "SELECT 1", "--warehouse-dir", str(tmp_path)), "låst")
    finally:
        writer.close()
    assert_one_sentence(
        sickleave("sql", "SELEC x FROM t", "--warehouse-dir", str(tmp_path)), "Spørringen feilet"
    )
    ok = sickleave("sql", "SELECT x FROM t", "--warehouse-dir", str(tmp_path))
    assert ok.returncode == 0 and "│" in ok.stdout


def test_pseudonym_key_is_created_once_with_owner_only_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("SICKLEAVE_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "nokkel" / "pseudonym.key"
    monkeypatch.setenv("SICKLEAVE_KEY_FILE", str(key_file))
    first = load_or_create_key(Settings())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert load_or_create_key(Settings()) == first and len(first) >= 32


def test_key_from_the_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SICKLEAVE_KEY_FILE", str(tmp_path / "k"))
    monkeypatch.setenv("SICKLEAVE_PSEUDONYM_KEY", "miljo-nokkel-0123456789abcdef0123456789")
    assert load_or_create_key(Settings()) == b"miljo-nokkel-0123456789abcdef0123456789"
    assert not (tmp_path / "k").exists()


# --- usage errors and help: Norwegian, one line, exit 2 --------------------------------------


def main_in_process(argv: list[str], capsys) -> tuple[int, str, str]:
    """The console script's entry point (pipeline.cli:main) with these arguments."""
    from pipeline.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as ended:
        code = ended.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_no_arguments_at_all_is_one_line_from_the_installed_command():
    result = sickleave()
    assert_one_sentence(result, "ingen kommando er gitt", "«sickleave --help»")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["finnes-ikke"], ["ukjent kommando «finnes-ikke»", "«sickleave --help»"]),
        (["run", "--bogus"], ["ukjent valg «--bogus»", "«sickleave run --help»"]),
        (["sql"], ["mangler argumentet SPØRRING", "«sickleave sql --help»"]),
        (["run", "--raw-dir"], ["valget --raw-dir trenger en verdi", "«sickleave run --help»"]),
        (
            ["generate", "--employees", "abc"],
            ["«abc» er ikke et heltall (valget --employees)", "«sickleave generate --help»"],
        ),
    ],
)
def test_usage_error_is_one_norwegian_line_and_exit_2(argv, words, capsys):
    code, out, err = main_in_process(argv, capsys)
    result = subprocess.CompletedProcess(argv, code, out, err)
    assert_one_sentence(result, *words)


COMMANDS = ["generate", "run", "rebuild", "serve", "demo", "sql", "report"]
ENGLISH = ["Usage", "Options", "Show this message", "Commands", "Arguments", "[OPTIONS]", "Try "]


@pytest.mark.parametrize("argv", [["--help"]] + [[c, "--help"] for c in COMMANDS])
def test_help_is_norwegian_with_no_line_break_in_a_sentence(argv, capsys):
    code, out, err = main_in_process(argv, capsys)
    assert code == 0 and err == ""
    assert out.startswith("Bruk: sickleave ")
    assert not [word for word in ENGLISH if word in out]
    assert "Vis denne hjelpen og avslutt." in out
    # Every line of prose ends a sentence (or introduces a list): the terminal wraps, we do not.
    for line in out.splitlines():
        if line.strip() and not line.startswith("Bruk: "):
            assert line.rstrip()[-1] in ".:)»", line


def test_an_empty_raw_folder_says_so_before_anything_heavy_is_imported(tmp_path):
    raw = tmp_path / "raw"
    (raw / "agresso").mkdir(parents=True)
    (raw / "agresso" / ".gitkeep").touch()
    probe = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        f"    main(['run', '--raw-dir', {str(raw)!r}, '--warehouse-dir', {str(tmp_path)!r}])\n"
        "finally:\n"
        "    heavy = {'great_expectations', 'prefect', 'pandas', 'duckdb', 'matplotlib'}\n"
        "    print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert_one_sentence(result, "ingen gyldige ansettelses- og fraværsfiler", str(raw))
    assert result.stdout.strip() == "[]"


def test_a_command_reads_its_settings_once_and_passes_them_down(tmp_path, monkeypatch):
    """demo on an empty raw folder generates the sample, then runs the night: both with the one
    Settings the command read (it used to read them three times)."""
    made, given = [], []

    class Counted(cli.Settings):
        def __init__(self, **values):
            super().__init__(**values)
            made.append(self)

    monkeypatch.setattr(cli, "Settings", Counted)
    monkeypatch.setattr(cli, "_generate", lambda settings, raw, *a: given.append(settings))
    monkeypatch.setattr(cli, "_run_night", lambda settings, *a, **k: given.append(settings))
    cli.demo(raw_dir=tmp_path / "raw", warehouse_dir=tmp_path / "warehouse")
    assert len(made) == 1
    assert given == [made[0], made[0]]
