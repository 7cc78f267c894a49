"""``publisher lint``: check policies, with file:line, a rule name and a hint for each finding."""

from __future__ import annotations

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.errors import LintFailure
from publisher.lint import RULES, lint_repository


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--rules", "list_rules", is_flag=True, help="List the rules and exit.")
@FORMAT_OPTION
@pass_app
def lint_command(app: App, paths: tuple[str, ...], list_rules: bool, fmt: str) -> None:
    """Check policies: front matter, duplicate slugs, numbering gaps and repeats, and a
    published version whose text changed without a new version label.

    PATHS default to every policy in the work tree (the branch tip in a bare repository).
    Exits 1 when there are errors. Silence one finding with
    `<!-- publisher-lint: disable RULE -->` on the line before it, or a whole file with
    `<!-- publisher-lint: disable-file RULE -->`.
    """
    if list_rules:
        if fmt == "json":
            echo_json({"rules": [{"rule": k, "checks": v} for k, v in RULES.items()]})
        else:
            for rule, checks in RULES.items():
                click.echo(f"{rule:20} {checks}")
        return
    findings = lint_repository(app.settings, paths)
    errors = [f for f in findings if f.severity == "error"]
    if fmt == "json":
        echo_json({"findings": [f.to_dict() for f in findings], "errors": len(errors)})
    else:
        for finding in findings:
            click.echo(str(finding), err=True)
        if findings:
            click.echo(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)", err=True)
    if errors:
        raise LintFailure(f"{len(errors)} lint error(s)")


COMMANDS = [lint_command]
