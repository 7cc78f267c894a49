"""The ``publisher`` command line: a thin click layer over the library.

Each command group lives in its own module (``cli/policies.py`` …) and registers on
:data:`main`. Library errors (:class:`~publisher.errors.PublisherError`) are converted here,
once: a one-line message (file:line and hint), a non-zero exit, and a traceback only with
``--debug``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from publisher import __version__
from publisher.cli.app import App, pass_app
from publisher.errors import PublisherError

__all__ = ["App", "all_commands", "command", "main", "pass_app"]


class PublisherGroup(click.Group):
    """Converts library errors into messages and exit codes, once, for every command, and
    loads each command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMAND_MODULES:
            return command
        module = importlib.import_module(f"publisher.cli.{COMMAND_MODULES[cmd_name]}")
        for found in module.COMMANDS:
            self.add_command(found)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PublisherError as exc:
            app = ctx.find_object(App)
            if app is not None and app.debug:
                raise
            click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=PublisherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
@click.option("--repo", "-C", type=click.Path(file_okay=False), default=".", show_default=True,
              help="The policy repository (a git work tree or a bare repository).")
@click.option("--policies", metavar="GLOB", default=None,
              help="Which files are policies (setting `policies`, default policies/**/*.md).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, repo: str, policies: str | None, debug: bool) -> None:
    """Publish, compare and track acceptance of policies kept as Markdown in git.

    Settings come from [tool.publisher] in the repository's pyproject.toml or
    publisher.toml, then PUBLISHER_* environment variables, then flags.
    Run `publisher settings` to see them all.
    """
    ctx.obj = App(repo=repo, overrides={"policies": policies}, debug=debug)


COMMAND_MODULES: dict[str, str] = {
    "list": "policies", "log": "policies", "show": "policies",
    "lint": "lint", "diff": "diff", "settings": "settings_cmd", "demo": "demo",
    "build": "site", "serve": "site", "publish": "publish",
    "hooks": "hooks", "diff-driver": "hooks", "textconv": "hooks",
    "db": "db", "customers": "customers", "acceptance": "acceptance", "audit": "audit",
    "notice": "notice", "web": "web", "import": "importing",
}
"""Command name -> module of ``publisher.cli`` that defines it (in its ``COMMANDS``).

Modules are imported only when their command runs (or for ``--help``), so ``publisher list``
does not pay for SQLAlchemy, Alembic, Starlette or mkdocs."""


def command(*path: str) -> click.Command:
    """The (sub)command at ``path`` (``command("db", "upgrade")``), loading it if needed."""
    found: click.Command = main
    for name in path:
        assert isinstance(found, click.Group), f"{found.name} has no subcommands"
        sub = found.get_command(click.Context(found), name)
        if sub is None:
            raise KeyError(name)
        found = sub
    return found


def all_commands() -> dict[str, click.Command]:
    """Every top-level command by name (loads them all)."""
    context = click.Context(main)
    return {name: command(name) for name in main.list_commands(context)}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
