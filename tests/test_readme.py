"""The README's promises, run as written: its commands, its SQL and the demo's shown output.

The README's fenced blocks are parsed (not copied here), so the test follows the README when it
changes. On a fresh sample made once, in a temporary copy of the project's empty data folders (the
commands run there as an analyst runs them from the project folder, `uv` pointed at the project;
SICKLEAVE_RAW_DIR and SICKLEAVE_WAREHOUSE_DIR send the defaults there too), so the repository's
own data/ is never touched:

- the demo: what scripts/demo.sh runs after installing (its `exec` line) must print the block the
  README shows under "The two commands", where `…` stands for any text within a line, and a line
  of `…` alone for any lines;
- every `sickleave` command of every bash block (Everyday use, Reports for HR, ...) exits 0;
- every SQL block exits 0: each query as an analyst pastes it (one paragraph, leading comment
  included, as the argument of `uv run sickleave sql`) and the whole block piped in; a block that
  ATTACHes analytics.duckdb is run as the README says, in the analyst's own database.

Deliberately not run:
- `bash scripts/demo.sh` and `bash scripts/test.sh` themselves: both install the locked
  environment (the demo's `exec` line is run instead; test.sh is what runs this test);
- `sickleave serve`: it runs until stopped (tests/test_operations.py runs it against a real
  Prefect server), and `sickleave region-run`, which needs a server and workers
  (tests/test_region_pool.py starts them);
- lines of bash blocks that are not `sickleave` commands (`prefect server start`, `systemctl`,
  ...): operations, followed in tests/test_operations.py and docs/operations.md;
- the architecture sketch and other blocks without a language: text, not commands (the demo's
  output block is compared, not run).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
README = PROJECT_ROOT / "README.md"
DEMO_SCRIPT = PROJECT_ROOT / "scripts" / "demo.sh"
# sickleave subcommands that run until stopped, or need a Prefect server with workers
# (region-run: tests/test_region_pool.py runs the region on a real server and two workers)
NOT_RUN = {"serve", "region-run"}
TIMEOUT = 900  # seconds; a run through Prefect's temporary server on a busy machine


@dataclass
class Block:
    language: str
    text: str
    line: int  # where the block starts in the README, for messages


def fenced_blocks(markdown: str) -> list[Block]:
    """Every ``` block of the README, in order, with its language (empty when none)."""
    blocks, current, language, start = [], None, "", 0
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.startswith("```"):
            if current is None:
                current, language, start = [], line[3:].strip(), number
            else:
                blocks.append(Block(language, "\n".join(current), start))
                current = None
        elif current is not None:
            current.append(line)
    assert current is None, f"README.md line {start}: a ``` block is never closed"
    return blocks


BLOCKS = fenced_blocks(README.read_text(encoding="utf-8"))


def shell_commands(block: Block) -> list[str]:
    """The block's lines, continuation lines joined."""
    return [line for line in block.text.replace("\\\n", " ").splitlines() if line.strip()]


def sickleave_commands() -> list[tuple[str, str]]:
    """(where, command) for every `sickleave` command of every bash block, except NOT_RUN."""
    commands = []
    for block in BLOCKS:
        if block.language not in ("bash", "sh", "shell", "console"):
            continue
        for command in shell_commands(block):
            words = shlex.split(command, comments=True)
            if "sickleave" not in words:
                continue  # the setup scripts, prefect, systemctl: see the module's docstring
            subcommand = words[words.index("sickleave") + 1 :][:1]
            if subcommand and subcommand[0] in NOT_RUN:
                continue
            commands.append((f"README.md line {block.line}", command))
    return commands


def sql_blocks() -> list[Block]:
    return [block for block in BLOCKS if block.language == "sql"]


def shown_demo_output() -> Block:
    """The block without a language that follows the block with `bash scripts/demo.sh`."""
    demo = next(i for i, b in enumerate(BLOCKS) if "scripts/demo.sh" in b.text)
    return next(b for b in BLOCKS[demo + 1 :] if not b.language)


def demo_command() -> str:
    """What scripts/demo.sh runs once the environment is installed: its `exec` line."""
    lines = [
        line for line in DEMO_SCRIPT.read_text("utf-8").splitlines() if line.startswith("exec ")
    ]
    assert len(lines) == 1, "scripts/demo.sh should end in one exec line"
    return lines[0].removeprefix("exec ").replace('"$@"', "").strip()


def shown_output_pattern(shown: str) -> re.Pattern:
    """The shown lines as a pattern over consecutive output lines: `…` is any text within a line,
    a line of `…` alone any number of lines."""
    parts = []
    for line in shown.splitlines():
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            text = line.rstrip()
            parts.append(
                "^" + r"[^\n]*?".join(re.escape(piece) for piece in text.split("…")) + r"[ \t]*\n"
            )
    return re.compile("".join(parts), re.MULTILINE)


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Site:
    root: Path  # the working folder commands run in; data/ below it
    env: dict[str, str]
    demo: subprocess.CompletedProcess

    def run(self, command: str | list[str], stdin: str | None = None):
        return subprocess.run(
            command,
            shell=isinstance(command, str),
            executable="/bin/bash" if isinstance(command, str) else None,
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The project's data folders as a fresh clone has them, in a temporary folder, and the demo
    run there once."""
    root = tmp_path_factory.mktemp("readme")
    repository_data = digests(PROJECT_ROOT / "data")
    shutil.copytree(
        PROJECT_ROOT / "data",
        root / "data",
        ignore=lambda folder, names: [
            n for n in names if (Path(folder) / n).is_file() and n != ".gitkeep"
        ],
    )
    env = {
        **os.environ,
        "UV_PROJECT": str(PROJECT_ROOT),  # `uv run` finds the project from the data's folder
        "UV_FROZEN": "1",  # exactly the locked environment, as the scripts use it
        "SICKLEAVE_RAW_DIR": str(root / "data" / "raw"),
        "SICKLEAVE_WAREHOUSE_DIR": str(root / "data" / "warehouse"),
    }
    env.pop("VIRTUAL_ENV", None)  # uv would warn that it differs from the project's .venv
    site = Site(root, env, subprocess.CompletedProcess([], 0))
    site.demo = site.run(demo_command())
    yield site
    assert digests(PROJECT_ROOT / "data") == repository_data, "the repository's data/ changed"


def test_shown_output_matches_with_wildcards_and_nothing_else():
    printed = (
        "12:00:01 | INFO | starting\n"
        "Ferdig (kjøring 9a8b7c, beregnet per 30.06.2014).\n"
        "  Valideringsrapport: /tmp/x/data/warehouse/validering.html\n"
        "Sykefravær 2014K2:\n"
        "  Hele kommunen: 8,4 %\n"
        "    Sentraladministrasjon: 11,4 %\n"
    )
    shown = (
        "Ferdig (kjøring …, beregnet per 30.06.2014).\n…\nSykefravær 2014K2:\n"
        "  Hele kommunen: 8,4 %"
    )
    assert shown_output_pattern(shown).search(printed)
    assert not shown_output_pattern(shown.replace("8,4", "7,6")).search(printed)
    # Without the `…` line the shown lines must follow each other in the output.
    assert not shown_output_pattern(shown.replace("\n…\n", "\n")).search(printed)
    # `…` inside a line never spans lines.
    assert not shown_output_pattern("Ferdig (kjøring …: 8,4 %").search(printed)


def test_the_readme_has_what_this_test_runs():
    """The extraction finds the blocks it is meant to find (else every test below is vacuous)."""
    commands = [command for _, command in sickleave_commands()]
    assert any(" generate" in c for c in commands) and any(" sql " in c for c in commands)
    assert any(" run " in c for c in commands) and any(" report" in c for c in commands)
    assert len(sql_blocks()) >= 2
    assert "Sykefravær" in shown_demo_output().text
    assert "sickleave demo" in demo_command()


@pytest.mark.integration
def test_the_demo_prints_what_the_readme_shows(site):
    assert site.demo.returncode == 0, site.demo.stderr[-3000:]
    shown = shown_demo_output()
    assert shown_output_pattern(shown.text).search(site.demo.stdout), (
        f"README.md line {shown.line} shows:\n{shown.text}\n\nthe demo printed:\n"
        f"{site.demo.stdout[-3000:]}"
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    ("where", "command"), sickleave_commands(), ids=lambda c: c.split("#")[0].strip()[:60]
)
def test_every_readme_command_runs(site, where, command):
    result = site.run(command)
    assert result.returncode == 0, f"{where}: {command}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.integration
@pytest.mark.parametrize("block", sql_blocks(), ids=lambda b: f"line {b.line}")
def test_every_readme_sql_block_runs(site, block):
    if re.search(r"^\s*ATTACH\b[^;]*analytics\.duckdb", block.text, re.I | re.M):
        run_in_own_database(site, block)
        return
    whole = site.run(["uv", "run", "sickleave", "sql"], stdin=block.text)
    assert whole.returncode == 0, f"README.md line {block.line}:\n{whole.stderr}"
    for query in paragraphs(block.text):
        pasted = site.run(["uv", "run", "sickleave", "sql", query])
        assert pasted.returncode == 0, f"README.md line {block.line}: {query}\n{pasted.stderr}"
        assert "┌" in pasted.stdout  # a result table, not just silence


def paragraphs(text: str) -> list[str]:
    """The queries of a block as an analyst copies them: one per paragraph."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def run_in_own_database(site: Site, block: Block) -> None:
    """The README's way for analysts who open the file themselves: their own database, the
    published one attached read-only (relative paths from the project folder, as shown)."""
    published = site.root / "data" / "warehouse" / "analytics.duckdb"
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    cwd = Path.cwd()
    os.chdir(site.root)
    try:
        con = duckdb.connect("mine.duckdb")
        con.execute(block.text)
        tables = con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = 'mine'"
        ).fetchall()
        con.close()
    finally:
        os.chdir(cwd)
    assert tables and all(rows > 0 for _, rows in tables), tables  # the analyst's own tables
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
