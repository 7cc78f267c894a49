"""The ``publisher`` command line: a thin click layer over the library.

Each command group lives in its own module (``cli/policies.py`` …), named in
:data:`COMMAND_TABLE` and imported only when that command runs. Library errors
(:class:`~publisher.errors.PublisherError`) are converted here, once: a one-line message
(file:line and hint), a non-zero exit, and a traceback only with ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from publisher import __version__
from publisher.cli.app import App, pass_app
from publisher.cli.lazy import LazyCommand, LazyGroup
from publisher.cli.options import (
    GLOBAL_OPTIONS,
    add_global_options,
    error_document,
    no_such_command,
    wants_json,
)
from publisher.errors import PublisherError

__all__ = ["COMMAND_TABLE", "App", "all_commands", "command", "main", "pass_app"]


COMMAND_TABLE: dict[str, LazyCommand] = {
    "acceptance": LazyCommand(
        "acceptance", "Acceptance of policy versions: links, reports, evidence."
    ),
    "audit": LazyCommand("audit", "Check the tamper-evident acceptance ledger."),
    "build": LazyCommand("site", "Build the public policy site: versions, redlines, feeds, API."),
    "customers": LazyCommand(
        "customers", "Customers: the people and companies who accept policies."
    ),
    "db": LazyCommand("db", "The acceptance store: schema migrations and policy versions."),
    "demo": LazyCommand("demo", "Run the main job on this repository's policies (a dry run)."),
    "diff": LazyCommand("diff", "Compare two revisions of a policy clause by clause."),
    "diff-driver": LazyCommand("hooks", "git's external diff command for policies.", hidden=True),
    "hooks": LazyCommand("hooks", "Git hooks: lint, refuse bad pushes, publish; the diff driver."),
    "import": LazyCommand("importing", "Turn an existing policy into a policy file (Markdown)."),
    "lint": LazyCommand("lint", "Check policies: front matter, numbering, references, links."),
    "list": LazyCommand("policies", "List the policies: slug, title, path, current version."),
    "log": LazyCommand("policies", "Show the versions of POLICY (a slug or a path), oldest first."),
    "notice": LazyCommand("notice", "Change notices: tell every customer what changed for them."),
    "publish": LazyCommand(
        "publish", "Build the public site from what is committed and publish it."
    ),
    "serve": LazyCommand("site", "Serve the public policy site locally, rebuilding on changes."),
    "settings": LazyCommand(
        "settings_cmd", "Show every setting with its current value and description."
    ),
    "show": LazyCommand(
        "policies", "Show the clause tree of POLICY: ids, numbers, headings, text."
    ),
    "textconv": LazyCommand("hooks", "git's textconv for policies: a clause outline.", hidden=True),
    "translations": LazyCommand(
        "translations", "List the translations: source version and how far behind."
    ),
    "web": LazyCommand("web", "Run the acceptance service: link pages, receipts, JSON API."),
    "webhooks": LazyCommand("webhooks", "Outbound webhooks: signed POSTs on acceptance events."),
}
"""Every command: the module of ``publisher.cli`` that defines it (in its ``COMMANDS``) and
its line in ``publisher --help``, which lists them without importing any.

Modules are imported only when their command runs (or for its own ``--help``), so
``publisher diff a.md b.md`` does not pay for SQLAlchemy, Alembic, Starlette or mkdocs."""


class PublisherGroup(LazyGroup):
    """Converts library errors into messages and exit codes, once, for every command; loads
    each command's module on first use (:class:`~publisher.cli.lazy.LazyGroup`)."""

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
            raise no_such_command(name, self.visible_commands(), ctx)
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


@click.group(
    cls=PublisherGroup,
    table=COMMAND_TABLE,
    prepare=add_global_options,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
