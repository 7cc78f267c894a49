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
from publisher.cli.options import (
    GLOBAL_OPTIONS,
    add_global_options,
    error_document,
    no_such_command,
    wants_json,
)
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
            add_global_options(found)
            self.add_command(found)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if (
            name
            and not name.startswith("-")
            and not ctx.resilient_parsing
            and self.get_command(ctx, name) is None
        ):
            visible = [n for n, c in all_commands().items() if not c.hidden]
            raise no_such_command(name, visible, ctx)
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["publisher.json_errors"] = wants_json(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PublisherError as exc:
            app = ctx.find_object(App)
            if app is not None and app.debug:
                raise
            if ctx.meta.get("publisher.json_errors"):
                click.echo(error_document(exc, exc.exit_code), err=True)
            else:
                click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
            ctx.exit(exc.exit_code)
        except click.ClickException as exc:
            if not ctx.meta.get("publisher.json_errors"):
                raise
            click.echo(error_document(exc, exc.exit_code), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=PublisherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
@GLOBAL_OPTIONS[0].main_option()
@GLOBAL_OPTIONS[1].main_option()
@GLOBAL_OPTIONS[2].main_option()
@GLOBAL_OPTIONS[3].main_option()
@click.pass_context
def main(
    ctx: click.Context,
    repo: str | None,
    policies: str | None,
    database_url: str | None,
    debug: bool,
) -> None:
    """Publish, compare and track acceptance of policies kept as Markdown in git.

    Settings come from [tool.publisher] in the repository's pyproject.toml or
    publisher.toml, then PUBLISHER_* environment variables, then flags.
    Run `publisher settings` to see them all. The global options (-C, --policies,
    --database-url, --debug) work before or after the command.
    """
    ctx.obj = App(repo=repo or ".", overrides={"policies": policies}, debug=debug)
    if database_url is not None:
        ctx.obj.overrides["database_url"] = database_url


COMMAND_MODULES: dict[str, str] = {
    "list": "policies",
    "log": "policies",
    "show": "policies",
    "lint": "lint",
    "diff": "diff",
    "settings": "settings_cmd",
    "demo": "demo",
    "build": "site",
    "serve": "site",
    "publish": "publish",
    "hooks": "hooks",
    "diff-driver": "hooks",
    "textconv": "hooks",
    "db": "db",
    "customers": "customers",
    "acceptance": "acceptance",
    "audit": "audit",
    "notice": "notice",
    "web": "web",
    "import": "importing",
    "translations": "translations",
    "webhooks": "webhooks",
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
