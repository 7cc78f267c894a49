"""The global options and how errors are shown.

The global options (``-C/--repo``, ``--policies``, ``--database-url``, ``--debug``) are
declared once here and work both before and after the subcommand: ``publisher --policies X
list`` and ``publisher list --policies X`` mean the same. :func:`add_global_options` copies
them onto every (sub)command that does not declare an option of that name itself; their
callbacks update the :class:`~publisher.cli.app.App` of the invocation, which exists by the
time a subcommand's options are parsed.

Errors are one line and a hint on stderr, or, when the command line asks for
``--format json``, one JSON document on stderr (:func:`error_document`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import click

from publisher.cli.app import App
from publisher.errors import PublisherError


@dataclass(frozen=True)
class GlobalOption:
    """One global option: its flags, the App field it sets, and its help."""

    flags: tuple[str, ...]
    field: str
    help: str
    metavar: str | None = None
    is_flag: bool = False

    def main_option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """The option as declared on ``publisher`` itself (its value is a parameter)."""
        extra: dict[str, Any] = (
            {"is_flag": True} if self.is_flag else {"metavar": self.metavar, "default": None}
        )
        return click.option(*self.flags, self.field, help=self.help, **extra)

    def subcommand_option(self) -> click.Option:
        """The same option on a subcommand: it sets the App's value, no parameter."""
        extra: dict[str, Any] = (
            {"is_flag": True} if self.is_flag else {"metavar": self.metavar, "default": None}
        )
        return click.Option(
            list(self.flags),
            help=self.help + " (global option)",
            expose_value=False,
            callback=self._apply,
            **extra,
        )

    def _apply(self, ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None or value is False:
            return
        app = ctx.find_object(App)
        if app is not None:
            app.apply(**{self.field: value})


GLOBAL_OPTIONS = (
    GlobalOption(
        ("--repo", "-C"),
        "repo",
        metavar="DIR",
        help="The policy repository (a git work tree or a bare repository; default: "
        "the current directory).",
    ),
    GlobalOption(
        ("--policies",),
        "policies",
        metavar="GLOB",
        help="Which files are policies (setting `policies`, default policies/**/*.md).",
    ),
    GlobalOption(
        ("--database-url",),
        "database_url",
        metavar="URL",
        help="SQLAlchemy URL of the acceptance store (setting database_url; default "
        "sqlite:///.publisher/publisher.db).",
    ),
    GlobalOption(("--debug",), "debug", is_flag=True, help="Show tracebacks for errors."),
)


def add_global_options(command: click.Command) -> None:
    """Give ``command`` and its subcommands the global options they do not declare.

    Hidden commands (the ones git runs, with arguments passed through) are left alone."""
    if command.hidden:
        return
    taken = {opt for param in command.params for opt in param.opts}
    for option in GLOBAL_OPTIONS:
        if not taken.intersection(option.flags):
            command.params.append(option.subcommand_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for ``--format json``."""
    for i, arg in enumerate(args):
        if arg == "--format=json" or (arg == "--format" and args[i + 1 : i + 2] == ["json"]):
            return True
    return False


def error_document(exc: PublisherError | click.ClickException, exit_code: int) -> str:
    """The JSON error printed on stderr under ``--format json`` (one line):
    ``{"error": {"message", "path", "line", "hint", "exit_code"}}``."""
    import json  # errors only: not loaded by a command that succeeds

    if isinstance(exc, PublisherError):
        error = {"message": exc.message, "path": exc.path, "line": exc.line, "hint": exc.hint}
    else:
        usage = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx else None
        error = {
            "message": exc.format_message(),
            "path": None,
            "line": None,
            "hint": f"see `{usage} --help`" if usage else None,
        }
    return json.dumps({"error": {**error, "exit_code": exit_code}}, ensure_ascii=False)


def no_such_command(name: str, known: Iterable[str], ctx: click.Context) -> click.UsageError:
    """``No such command 'lsit'. Did you mean 'list'?`` (closest visible commands)."""
    matches = difflib.get_close_matches(name, list(known), n=1)
    hint = f" Did you mean {matches[0]!r}?" if matches else ""
    return click.UsageError(f"No such command {name!r}.{hint}", ctx)
