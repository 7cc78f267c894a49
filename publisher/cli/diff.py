"""``publisher diff``: clause-level changes between two files or two revisions of a policy."""

from __future__ import annotations

import os
import sys

import click

from publisher.cli.app import App, echo_json, pass_app
from publisher.diff import render_html, render_json, render_markdown, render_text
from publisher.diff.model import ChangeSet


def _use_colour(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command("diff")
@click.argument("targets", nargs=-1, required=True, metavar="POLICY | OLD.md NEW.md")
@click.option("--from", "from_rev", metavar="REV",
              help="Old revision: version label, commit-ish or date (default: previous version).")
@click.option("--to", "to_rev", metavar="REV",
              help="New revision: version label, commit-ish or date (default: current version).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]),
              default="text", show_default=True, help="Output format.")
@click.option("--exit-code", is_flag=True,
              help="Exit with status 1 when there are material changes (for CI).")
@click.option("--material-only", is_flag=True,
              help="List only material changes (the summary still counts all).")
@click.option("--color/--no-color", "colour", default=None,
              help="Colour the text output (default: when stdout is a terminal).")
@click.option("--lang", "language", metavar="TAG",
              help="Compare the revisions of POLICY's translation in this language (e.g. de).")
@pass_app
@click.pass_context
def diff_command(
    ctx: click.Context,
    app: App,
    targets: tuple[str, ...],
    from_rev: str | None,
    to_rev: str | None,
    fmt: str,
    exit_code: bool,
    material_only: bool,
    colour: bool | None,
    language: str | None,
) -> None:
    """Compare two revisions of a policy clause by clause.

    \b
    publisher diff OLD.md NEW.md             two files
    publisher diff POLICY [--from REV] [--to REV]
                                             two revisions of a policy in git (POLICY is a
                                             slug or path; REV a version label, commit-ish
                                             or date YYYY-MM-DD)

    Lists clauses added, removed, modified, moved or only renumbered, each material or
    editorial, with word-level changes. Exit status 0 (1 with --exit-code when a change is
    material).
    """
    changes = _changes(app, targets, from_rev, to_rev, language)
    if fmt == "json":
        echo_json(render_json(changes, material_only=material_only))
    elif fmt == "markdown":
        click.echo(render_markdown(changes, material_only=material_only), nl=False)
    elif fmt == "html":
        click.echo(render_html(changes, material_only=material_only), nl=False)
    else:
        use_colour = _use_colour(colour)
        click.echo(render_text(changes, color=use_colour, material_only=material_only),
                   nl=False, color=use_colour)
    if exit_code and changes.material:
        ctx.exit(1)


def _changes(
    app: App, targets: tuple[str, ...], from_rev: str | None, to_rev: str | None,
    language: str | None = None,
) -> ChangeSet:
    # git and the parser load only when a diff is asked for: `publisher --help` stays quick.
    from publisher.cli.policies import find_policy, warn
    from publisher.diff.sources import compare_files, compare_revisions
    from publisher.history import PolicyRepo

    if len(targets) == 2:
        if from_rev or to_rev:
            raise click.UsageError("--from/--to compare revisions of one POLICY, not two files")
        if language:
            raise click.UsageError("--lang picks a translation of one POLICY, not two files")
        return compare_files(targets[0], targets[1])
    if len(targets) != 1:
        raise click.UsageError("give one POLICY (with --from/--to) or two files OLD.md NEW.md")
    with PolicyRepo.open(app.settings, warn=warn) as repo:
        return compare_revisions(repo, find_policy(repo, targets[0], language), from_rev,
                                 to_rev)


COMMANDS = [diff_command]
