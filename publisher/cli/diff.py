"""``publisher diff``: clause-level changes between two files or two revisions of a policy."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from publisher.cli.app import App, echo_json, pass_app

if TYPE_CHECKING:
    from publisher.diff.model import ChangeSet


def _use_colour(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command("diff")
@click.argument("targets", nargs=-1, required=True, metavar="POLICY | OLD.md NEW.md")
@click.option(
    "--from",
    "from_rev",
    metavar="REV",
    help="Old revision: version label, commit-ish or date (default: previous version).",
)
@click.option(
    "--to",
    "to_rev",
    metavar="REV",
    help="New revision: version label, commit-ish or date (default: current version).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html", "docx", "pdf"]),
    default="text",
    show_default=True,
    help="Output format (docx: Word with tracked changes; pdf: a printable redline).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to FILE instead of stdout (needed for docx and pdf on a terminal).",
)
@click.option(
    "--exit-code", is_flag=True, help="Exit with status 1 when there are material changes (for CI)."
)
@click.option(
    "--material-only",
    is_flag=True,
    help="List only material changes (the summary still counts all).",
)
@click.option(
    "--color/--no-color",
    "colour",
    default=None,
    help="Colour the text output (default: when stdout is a terminal).",
)
@click.option(
    "--compact",
    is_flag=True,
    help="With --format json: clauses by id and sha256 of their text, not the texts (as "
    "the site's API publishes change sets).",
)
@click.option(
    "--lang",
    "language",
    metavar="TAG",
    help="Compare the revisions of POLICY's translation in this language (e.g. de).",
)
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
    output: str | None,
    compact: bool,
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
    material). --format docx writes the new version with Word tracked changes (author and
    date from the commit; for two files, "publisher" and the new file's mtime); --format pdf
    the site's redline laid out for print.
    """
    if fmt in BINARY_FORMATS:
        material = _write_document(
            app, targets, from_rev, to_rev, fmt, output, material_only, language
        )
        if exit_code and material:
            ctx.exit(1)
        return
    changes = _changes(app, targets, from_rev, to_rev, language)
    # each renderer loads only when asked for (start-up of `publisher diff a.md b.md`)
    if output is not None:
        from publisher.formats.output import write_output

        write_output(output, _render(changes, fmt, material_only, compact).encode())
    elif fmt == "json":
        from publisher.diff.render_json import render_json

        echo_json(render_json(changes, material_only=material_only, compact=compact))
    elif fmt == "markdown":
        from publisher.diff.render_markdown import render_markdown

        click.echo(render_markdown(changes, material_only=material_only), nl=False)
    elif fmt == "html":
        from publisher.diff.render_html import render_html

        click.echo(render_html(changes, material_only=material_only), nl=False)
    else:
        from publisher.diff.render_text import render_text

        use_colour = _use_colour(colour)
        click.echo(
            render_text(changes, color=use_colour, material_only=material_only),
            nl=False,
            color=use_colour,
        )
    if exit_code and changes.material:
        ctx.exit(1)


BINARY_FORMATS = ("docx", "pdf")


def _render(changes: ChangeSet, fmt: str, material_only: bool, compact: bool = False) -> str:
    """The change set in a text format, for --output."""
    if fmt == "json":
        import json

        from publisher.diff.render_json import render_json

        return (
            json.dumps(
                render_json(changes, material_only=material_only, compact=compact),
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if fmt == "markdown":
        from publisher.diff.render_markdown import render_markdown

        return render_markdown(changes, material_only=material_only)
    if fmt == "html":
        from publisher.diff.render_html import render_html

        return render_html(changes, material_only=material_only)
    from publisher.diff.render_text import render_text

    return render_text(changes, material_only=material_only)


def _write_document(
    app: App,
    targets: tuple[str, ...],
    from_rev: str | None,
    to_rev: str | None,
    fmt: str,
    output: str | None,
    material_only: bool,
    language: str | None = None,
) -> bool:
    """Write a redline document; True when a change is material. A Word redline tracks
    every change whatever ``material_only`` says ("Accept all" must give the new text)."""
    from publisher.formats.docx import render_docx
    from publisher.formats.output import refuse_terminal, write_output
    from publisher.formats.sources import Redline, redline_of_files, redline_of_revisions

    if output is None:
        refuse_terminal(sys.stdout, fmt)
    redline: Redline
    _check_targets(targets, from_rev, to_rev)
    if len(targets) == 2:
        if language:
            raise click.UsageError("--lang picks a translation of one POLICY, not two files")
        redline = redline_of_files(targets[0], targets[1])
    else:
        from publisher.cli.policies import find_policy, warn
        from publisher.history import PolicyRepo

        with PolicyRepo.open(app.settings, warn=warn) as repo:
            redline = redline_of_revisions(
                repo, find_policy(repo, targets[0], language), from_rev, to_rev
            )
    if fmt == "pdf":
        from publisher.formats.pdf import redline_pdf

        data = redline_pdf(redline.changes, material_only=material_only)
    else:
        data = render_docx(redline)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_output(output, data)
    return redline.changes.material


def _check_targets(targets: tuple[str, ...], from_rev: str | None, to_rev: str | None) -> None:
    if len(targets) == 2:
        if from_rev or to_rev:
            raise click.UsageError("--from/--to compare revisions of one POLICY, not two files")
    elif len(targets) != 1:
        raise click.UsageError("give one POLICY (with --from/--to) or two files OLD.md NEW.md")


def _changes(
    app: App,
    targets: tuple[str, ...],
    from_rev: str | None,
    to_rev: str | None,
    language: str | None = None,
) -> ChangeSet:
    # git and the parser load only when a diff is asked for: `publisher --help` stays quick.
    from publisher.diff.sources import compare_files, compare_revisions

    _check_targets(targets, from_rev, to_rev)
    if len(targets) == 2:
        if language:
            raise click.UsageError("--lang picks a translation of one POLICY, not two files")
        return compare_files(targets[0], targets[1])
    from publisher.cli.policies import find_policy, warn
    from publisher.history import PolicyRepo

    with PolicyRepo.open(app.settings, warn=warn) as repo:
        return compare_revisions(repo, find_policy(repo, targets[0], language), from_rev, to_rev)


COMMANDS = [diff_command]
