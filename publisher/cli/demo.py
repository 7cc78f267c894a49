"""``publisher demo``: the main job on the repository's policies, step by step (the Quickstart)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from publisher.cli.app import App, pass_app
from publisher.cli.policies import open_repo
from publisher.counting import counted
from publisher.diff import render_text
from publisher.diff.sources import compare_revisions
from publisher.lint import lint_repository
from publisher.notices.demo import dry_run


def _step(title: str) -> None:
    click.echo()
    click.echo(click.style(f"== {title}", bold=True))


@click.command("demo")
@pass_app
def demo_command(app: App) -> None:
    """Run the main job on this repository's policies and say where each result is:
    list the policies and their versions, lint them, compare each policy's previous
    version with its current one clause by clause, build the public site, and send change
    notices to three made-up customers into a folder of .eml files (a dry run in its own
    SQLite store)."""
    settings = app.settings
    with open_repo(app) as repo:
        policies = repo.policies()
        _step(f"{counted(len(policies), 'policy')} in {settings.root} ({settings.policies})")
        for policy in policies:
            labels = ", ".join(v.label for v in policy.versions)
            click.echo(f"{policy.slug}: {policy.title} — versions {labels}; current {policy.current.label}")

        _step("lint")
        findings = lint_repository(settings)
        for finding in findings:
            click.echo(str(finding))
        click.echo(f"{len(findings)} finding(s)")

        for policy in policies:
            if len(policy.versions) < 2:
                continue
            old, new = policy.versions[-2], policy.versions[-1]
            _step(f"publisher diff {policy.slug} --from {old.label} --to {new.label}")
            changes = compare_revisions(repo, policy.slug, old.label, new.label)
            click.echo(render_text(changes, color=False), nl=False)

    _step("publisher build: the public site with every version, redline, feed and the JSON API")
    from publisher.mkdocs_plugin import build

    result = build(settings.root, policies=app.overrides.get("policies"))
    click.echo(
        f"{result.counts()}: {result.pages} pages in {result.site_dir} (open {result.site_dir / 'index.html'})"
    )

    _step("dry run: change notices into a folder (publisher notice create / send)")
    for line in dry_run(settings, today=datetime.now(UTC).date(),
                        warn=lambda message: click.echo(message, err=True)):
        click.echo(line)


COMMANDS = [demo_command]
