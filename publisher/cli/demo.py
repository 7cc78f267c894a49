"""``publisher demo``: the main job on the repository's policies, step by step (the Quickstart)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.cli.lint import lint_summary
from publisher.cli.policies import open_repo, policy_to_dict
from publisher.counting import counted
from publisher.diff import render_json, render_text
from publisher.diff.sources import compare_revisions
from publisher.lint import lint_repository
from publisher.notices.demo import dry_run


@click.command("demo")
@FORMAT_OPTION
@pass_app
def demo_command(app: App, fmt: str) -> None:
    """Run the main job on this repository's policies and say where each result is:
    list the policies and their versions, lint them, compare each policy's previous
    version with its current one clause by clause, build the public site, and send change
    notices to three made-up customers into a folder of .eml files (a dry run in its own
    SQLite store). With --format json, one document holds every step's result."""
    text = fmt == "text"

    def step(title: str) -> None:
        if text:
            click.echo()
            click.echo(click.style(f"== {title}", bold=True))

    def say(line: str, nl: bool = True) -> None:
        if text:
            click.echo(line, nl=nl)

    settings = app.settings
    result: dict[str, Any] = {"root": str(settings.root), "policies_glob": settings.policies}
    with open_repo(app) as repo:
        policies = repo.policies()
        result["policies"] = [policy_to_dict(p) for p in policies]
        step(
            f"{counted(len(policies), 'policy', 'policies')} in {settings.root} "
            f"({settings.policies})"
        )
        for policy in policies:
            labels = ", ".join(v.label for v in policy.versions)
            say(
                f"{policy.slug}: {policy.title} — versions {labels}; current {policy.current.label}"
            )

        from publisher.translations import statuses

        lags = statuses(
            repo, today=datetime.now(UTC).date(), grace_days=settings.translation_lag_grace_days
        )
        result["translations"] = [status.to_dict() for status in lags]
        if lags:
            step("publisher translations: what each translation renders, and its lag")
            for status in lags:
                entry = status.to_dict()
                how = "inferred" if entry["inferred"] else "translation_of"
                lag = (
                    f"{counted(entry['behind'], 'version')} behind; clauses to revisit: "
                    + (", ".join(c["id"] for c in entry["clauses"]) or "none")
                    if entry["lagging"]
                    else "current"
                )
                say(
                    f"{entry['slug']} [{entry['language']}] {entry['path']}: renders "
                    f"{entry['renders'] or '?'} ({how}) of {entry['source']['current']}; {lag}"
                )

        step("lint")
        findings = lint_repository(settings)
        for finding in findings:
            say(str(finding))
        summary = lint_summary(findings, len(policies))
        say(summary)
        result["lint"] = {"findings": [f.to_dict() for f in findings], "summary": summary}

        result["diffs"] = []
        for policy in policies:
            if len(policy.versions) < 2:
                continue
            old, new = policy.versions[-2], policy.versions[-1]
            step(f"publisher diff {policy.slug} --from {old.label} --to {new.label}")
            changes = compare_revisions(repo, policy.slug, old.label, new.label)
            say(render_text(changes, color=False), nl=False)
            result["diffs"].append(render_json(changes))

    step("publisher build: the public site with every version, redline, feed and the JSON API")
    from publisher.mkdocs_plugin import build

    built = build(settings.root, policies=app.overrides.get("policies"))
    say(
        f"{built.counts()}: {counted(built.pages, 'page')} in {built.site_dir} "
        f"(open {built.site_dir / 'index.html'})"
    )
    result["site"] = {
        "site_dir": str(built.site_dir),
        "index": str(built.site_dir / "index.html"),
        "pages": built.pages,
        "policies": built.policies,
        "versions": built.versions,
        "redlines": built.redlines,
    }

    step("dry run: change notices into a folder (publisher notice create / send)")
    lines = dry_run(
        settings, today=datetime.now(UTC).date(), warn=lambda message: click.echo(message, err=True)
    )
    for line in lines:
        say(line)
    result["dry_run"] = lines
    if not text:
        echo_json(result)


COMMANDS = [demo_command]
