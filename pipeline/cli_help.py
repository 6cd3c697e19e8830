"""The command line's Norwegian face: help texts, usage errors as one sentence, the log of an
in-process night on stderr, and what a failure or a signal ends as (exit code, one sentence).

Typer's own help and errors are English framework text; the command and option help written in
pipeline/cli.py is rendered here instead, one line per paragraph (the terminal wraps, no line
breaks in mid-sentence).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import signal
import sys

import typer
from typer._click import exceptions as click_errors
from typer.core import TyperCommand, TyperGroup

HELP_TEXT = "Vis denne hjelpen og avslutt."
METAVARS = {"int": "TALL", "float": "TALL", "Path": "MAPPE", "str": "TEKST"}
TYPE_WORDS = {"integer": "et heltall", "number": "et tall", "boolean": "ja eller nei"}
ARGUMENT_NAMES = {"query": "SPØRRING"}
OPTION_METAVARS = {"as_of": "DATO", "file": "FIL"}


def _paragraphs(text: str | None) -> list[str]:
    """A docstring's paragraphs, each joined to one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _param_rows(command, ctx) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    arguments, options = [], []
    for param in command.get_params(ctx):
        annotation = getattr(param.type_descriptor, "annotation", None)
        metavar = OPTION_METAVARS.get(param.name) or METAVARS.get(
            getattr(annotation, "__name__", ""), "VERDI"
        )
        help_text = HELP_TEXT if param.name == "help" else " ".join((param.help or "").split())
        if param.param_type_name == "argument":
            arguments.append((_argument_name(param), help_text))
            continue
        name = ", ".join(param.opts)
        if not getattr(param, "is_flag", False):
            name += f" {metavar}"
            if param.default not in (None, False) and not param.required:
                help_text = f"{help_text.rstrip('.')} (standard: {param.default})."
        options.append((name, help_text))
    return arguments, options


def _argument_name(param) -> str:
    return ARGUMENT_NAMES.get(param.name, param.name.upper())


def _table(title: str, rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    width = max(len(name) for name, _ in rows) + 2
    return ["", f"{title}:", *(f"  {name.ljust(width)}{text}" for name, text in rows)]


def command_help(command, ctx) -> str:
    arguments, options = _param_rows(command, ctx)
    usage = f"Bruk: {ctx.command_path} [VALG]" + "".join(f" {n}" for n, _ in arguments)
    lines = [usage, *(f"\n{p}" for p in _paragraphs(command.help))]
    lines += _table("Argumenter", arguments) + _table("Valg", options)
    return "\n".join(lines) + "\n"


def group_help(group, ctx) -> str:
    commands = [
        (name, (_paragraphs(cmd.help) or [""])[0])
        for name, cmd in group.commands.items()
        if not cmd.hidden
    ]
    lines = [f"Bruk: {ctx.command_path} KOMMANDO [VALG]"]
    lines += [f"\n{p}" for p in _paragraphs(group.help)]
    lines += _table("Kommandoer", commands) + _table("Valg", [("--help", HELP_TEXT)])
    lines += ["", f"Hjelp til én kommando: «{ctx.command_path} KOMMANDO --help»."]
    return "\n".join(lines) + "\n"


class NorwegianCommand(TyperCommand):
    def format_help(self, ctx, formatter) -> None:
        formatter.write(command_help(self, ctx))


class NorwegianGroup(TyperGroup):
    """The `sickleave` group: Norwegian help for itself and every command; no arguments at all is
    a usage error (one sentence), not a screen of help."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["no_args_is_help"] = False
        kwargs["invoke_without_command"] = False
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            if type(command) is TyperCommand:
                command.__class__ = NorwegianCommand

    def format_help(self, ctx, formatter) -> None:
        formatter.write(group_help(self, ctx))

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if not args:
            raise click_errors.UsageError("ingen kommando er gitt", ctx)
        return super().parse_args(ctx, args)


# --- usage errors --------------------------------------------------------------------------


def _hint(exc) -> str:
    param = getattr(exc, "param", None)
    if param is None:
        return getattr(exc, "param_hint", None) or "en verdi"
    if param.param_type_name == "argument":
        return f"argumentet {_argument_name(param)}"
    return f"valget {param.opts[0]}"


def _given_value(option: str, argv: list[str]) -> str | None:
    """The value the person gave an option, as typed (the parser's message does not say it)."""
    for index, arg in enumerate(argv):
        if arg == option and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def _command_path(exc, argv: list[str]) -> str:
    if exc.ctx is not None and exc.ctx.parent is not None:
        return exc.ctx.command_path
    from pipeline.cli import app

    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    first = next((a for a in argv if not a.startswith("-")), None)
    return f"sickleave {first}" if first in names else "sickleave"


def _what(exc: click_errors.UsageError, argv: list[str]) -> str:
    message = exc.format_message()
    if isinstance(exc, click_errors.NoSuchOption):
        what = f"ukjent valg «{exc.option_name}»"
        if exc.possibilities:
            what += f" (mente du {' eller '.join(sorted(exc.possibilities))}?)"
        return what
    if isinstance(exc, click_errors.MissingParameter):
        return f"mangler {_hint(exc)}"
    if isinstance(exc, click_errors.BadParameter):
        kind = re.search(r"valid (integer|number|boolean)", message)
        value = _given_value(exc.param.opts[0], argv) if exc.param is not None else None
        if kind and value is not None:
            return f"«{value}» er ikke {TYPE_WORDS[kind.group(1)]} ({_hint(exc)})"
        return f"ugyldig verdi for {_hint(exc)}"
    if isinstance(exc, click_errors.BadOptionUsage):
        return f"valget {exc.option_name} trenger en verdi"
    if found := re.search(r"No such command '(.*)'", message):
        return f"ukjent kommando «{found.group(1)}»"
    if found := re.search(r"unexpected extra arguments? \((.*)\)", message):
        return f"uventet argument «{found.group(1)}»"
    return message.rstrip(".")


def usage_sentence(exc: click_errors.UsageError, argv: list[str]) -> str:
    """One Norwegian line: what was wrong, and where the help is."""
    path = _command_path(exc, argv)
    if "ukjent kommando" in (what := _what(exc, argv)):
        path = "sickleave"
    return f"Feil: {what}. Se «{path} --help»."


# --- failures, signals and the log ---------------------------------------------------------

# What a file-system error means for the person running the command (errno -> sentence part).
OS_PROBLEMS = {
    errno.ENOSPC: "disken er full",
    errno.EACCES: "mangler skrivetilgang",
    errno.EROFS: "filsystemet er skrivebeskyttet",
    errno.EDQUOT: "diskkvoten er brukt opp",
}
DUCKDB_PROBLEMS = {
    "no space left": errno.ENOSPC,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
    "disk quota": errno.EDQUOT,
}


def _storage_errno(exc: BaseException) -> int | None:
    """The file-system problem behind an error, from Python or from DuckDB's message."""
    if isinstance(exc, OSError) and exc.errno in OS_PROBLEMS:
        return exc.errno
    if type(exc).__module__.lstrip("_").startswith("duckdb"):
        text = str(exc).lower()
        return next((code for words, code in DUCKDB_PROBLEMS.items() if words in text), None)
    return None


def _say(text: str) -> None:
    with contextlib.suppress(OSError):
        print(text, file=sys.stderr, flush=True)


def report_failure(exc: BaseException, argv: list[str]) -> int:
    """Say what ended the command in one sentence (a traceback only for a bug) and return the
    exit code."""
    night = sys.modules.get("pipeline.night")
    after_publish = night.AfterPublishFailed if night else ()
    if isinstance(exc, SystemExit) and not isinstance(exc.__context__, BrokenPipeError):
        return exc.code if isinstance(exc.code, int) else 0
    if isinstance(exc, BrokenPipeError) or isinstance(exc.__context__, BrokenPipeError):
        # The reader of our output went away (`sickleave demo | head`): nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    if isinstance(exc, click_errors.UsageError):
        _say(usage_sentence(exc, argv))
        return 2
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    interrupted = _interruption_code(exc)
    if interrupted:
        _say("Avbrutt.")
        return interrupted
    if isinstance(exc, _user_errors()):
        _say(f"Feil: {exc}")
        return 2
    if after_publish and isinstance(exc, after_publish):
        _say(f"Feil: {exc}")
        if not exc.own_sentence:
            _print_traceback(exc.cause)
        return 3 if _storage_errno(exc.cause) else 2 if exc.own_sentence else 1
    code = _storage_errno(exc)
    if code is not None:
        where = getattr(exc, "filename", None)
        _say(
            f"Feil: {OS_PROBLEMS[code]}{f' ({where})' if where else ''}. Rett dette og kjør på "
            "nytt; det som var publisert før kjøringen, er urørt."
        )
        return 3
    _print_traceback(exc)
    return 1


def _interruption_code(exc: BaseException) -> int | None:
    """143 for a SIGTERM, 130 for Ctrl-C, None when the command was not interrupted."""
    # A signal that arrives while DuckDB runs a query interrupts the query, and DuckDB raises
    # its own error in place of the handler's exception. Inside a Prefect flow, Prefect's own
    # SIGTERM handler is installed, so that error is all that is left of a SIGTERM.
    interrupted_query = any("Query interrupted" in str(e) for e in _chain(exc))
    terminated = (
        signal.SIGTERM in _signals
        or type(exc).__name__ == "TerminationSignal"
        or (interrupted_query and signal.SIGINT not in _signals)
    )
    # Ctrl-C while DuckDB was calling back into Python arrives wrapped in a DuckDB error.
    wrapped = isinstance(exc.__context__, KeyboardInterrupt) or "KeyboardInterrupt" in str(exc)
    if terminated:
        return 143
    if wrapped or interrupted_query or isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        return 130
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and the ones it was raised from or during, each once."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _user_errors() -> tuple:
    """The errors whose message is a sentence written for the person running the command."""
    from pipeline.errors import UserError
    from pipeline.plan import PlanError
    from pipeline.profile import ProfileError

    return (UserError, ProfileError, PlanError)


def _print_traceback(exc: BaseException) -> None:
    import traceback

    traceback.print_exception(exc, file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every `finally` and Prefect's crash handling runs."""


_signals: list[int] = []  # the signals received (the command framework reports both as 130)


def signals_received() -> list[int]:
    """The signals this command has received so far (SIGTERM, SIGINT)."""
    return list(_signals)


def exit_code(code: int) -> int:
    """The exit code for a code the command framework returned (it turns an interrupt into 130)."""
    if code == 130:
        _say("Avbrutt.")
        return 143 if signal.SIGTERM in _signals else 130
    return code


GRACE_SECONDS = 10


def _on_sigterm(signum, frame) -> None:
    _signals.append(signum)
    # A second chance is bounded: if cleanup hangs (a lost API server being retried), the
    # alarm ends the process, after stopping our own children through the exit handlers.
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(GRACE_SECONDS)
    raise Terminated()


def _on_alarm(signum, frame) -> None:
    import atexit

    atexit._run_exitfuncs()  # stops a temporary Prefect server this process started
    os._exit(143)


def _on_sigint(signum, frame) -> None:
    _signals.append(signum)  # recorded, so a query it interrupted is not taken for a SIGTERM
    raise KeyboardInterrupt()


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, _on_sigint)


class NorwegianLevels(logging.Formatter):
    LEVELS = {"WARNING": "ADVARSEL", "ERROR": "FEIL", "CRITICAL": "FEIL"}

    def format(self, record: logging.LogRecord) -> str:
        record.levelname = self.LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


def log_to_stderr() -> None:
    """The in-process night's log on stderr, one line per message, like the flow's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(NorwegianLevels("%(asctime)s | %(levelname)-8s | %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("sickleave")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
