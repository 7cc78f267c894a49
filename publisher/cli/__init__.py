"""The ``publisher`` command line: a thin click layer over the library.

Each command group lives in its own module (``cli/policies.py`` …) and registers on
:data:`main`. Library errors (:class:`~publisher.errors.PublisherError`) are converted here,
once: a one-line message (file:line and hint), a non-zero exit, and a traceback only with
``--debug``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from publisher import __version__
from publisher.cli.app import App, pass_app
from publisher.errors import PublisherError

__all__ = ["App", "main", "pass_app"]


class PublisherGroup(click.Group):
    """Converts library errors into messages and exit codes, once, for every command."""

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


def _register() -> None:
    from publisher.cli import (
        acceptance,
        audit,
        customers,
        db,
        demo,
        diff,
        hooks,
        lint,
        notice,
        policies,
        publish,
        settings_cmd,
        site,
        web,
    )

    for module in (policies, lint, settings_cmd, db, customers, acceptance, audit, diff, demo,
                   site, web, notice, hooks, publish):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
