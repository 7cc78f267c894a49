"""``publisher publish``: build the site from a commit, into a folder or onto a branch."""

from __future__ import annotations

from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app


@click.command("publish")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Write the site into this folder (replaced whole, only once built).",
)
@click.option(
    "--branch",
    metavar="NAME",
    help="Commit the site to this branch (e.g. gh-pages) without touching the work "
    "tree or the index; no commit when the site did not change.",
)
@click.option(
    "--rev",
    metavar="COMMIT",
    help="Publish this commit (default: the tip of the publishing branch).",
)
@FORMAT_OPTION
@pass_app
def publish_command(
    app: App, folder: str | None, branch: str | None, rev: str | None, fmt: str
) -> None:
    """Build the public site from what is committed and publish it.

    The site is built from a temporary checkout of the commit (its policies, mkdocs.yml
    and pages; uncommitted changes are not published). A branch commit's message names the
    source commit and the version of each policy.
    """
    from publisher.publish import PublishTarget, publish

    if (folder is None) == (branch is None):
        raise click.UsageError("give either --to DIR or --branch NAME")
    target = (
        PublishTarget.branch(branch)
        if branch is not None
        else PublishTarget.parse(folder or "", base=Path.cwd())
    )
    result = publish(app.settings, target, rev=rev, policies=app.overrides.get("policies"))
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        click.echo(result.describe())


COMMANDS = [publish_command]
