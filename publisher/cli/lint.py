"""``publisher lint``: check policies, with file:line, a rule name and a hint for each finding."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app
from publisher.counting import counted
from publisher.errors import LintFailure

if TYPE_CHECKING:
    from publisher.lint import Finding


def lint_summary(findings: list[Finding], policies: int) -> str:
    """``0 findings in 3 policies``; ``2 findings (1 error, 1 warning) in 1 policy``."""
    errors = sum(1 for f in findings if f.severity == "error")
    counts = (
        f" ({counted(errors, 'error')}, {counted(len(findings) - errors, 'warning')})"
        if findings
        else ""
    )
    return (
        f"{counted(len(findings), 'finding')}{counts} in {counted(policies, 'policy', 'policies')}"
    )


def _rules(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from publisher.lint import RULES, unknown_rules

    names = tuple(n.strip() for v in value for n in v.split(",") if n.strip())
    unknown = unknown_rules(names)
    if unknown:
        raise click.BadParameter(
            f"unknown {'rule' if len(unknown) == 1 else 'rules'} {', '.join(unknown)}; "
            f"rules: {', '.join(RULES)}"
        )
    return names


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--staged",
    is_flag=True,
    help="Lint the policies changed in the index, as staged (the pre-commit hook).",
)
@click.option(
    "--select",
    multiple=True,
    callback=_rules,
    metavar="RULE",
    help="Run only these rules (repeat, or comma-separate).",
)
@click.option(
    "--ignore",
    multiple=True,
    callback=_rules,
    metavar="RULE",
    help="Skip these rules (repeat, or comma-separate).",
)
@click.option(
    "--message-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The commit message being written: its Policy-Change trailer counts "
    "(the commit-msg hook).",
)
@click.option("--rules", "list_rules", is_flag=True, help="List the rules and exit.")
@FORMAT_OPTION
@pass_app
def lint_command(
    app: App,
    paths: tuple[str, ...],
    staged: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    message_file: Path | None,
    list_rules: bool,
    fmt: str,
) -> None:
    """Check policies: front matter, duplicate slugs, numbering gaps and repeats, dangling
    "Section N" references, links between policies, a published version changed without a
    new label, and material changes with too short a notice period.

    PATHS default to every policy in the work tree (the branch tip in a bare repository);
    paths that do not match the policies glob are skipped. Exits 1 when there are errors.
    Silence one finding with `<!-- publisher-lint: disable RULE -->` on the line before it,
    or a whole file with `<!-- publisher-lint: disable-file RULE -->`.
    """
    from publisher.lint import RULES, run_lint
    from publisher.lint.versions import message_trailers

    if list_rules:
        if fmt == "json":
            echo_json({"rules": [{"rule": k, "checks": v} for k, v in RULES.items()]})
        else:
            for rule, checks in RULES.items():
                click.echo(f"{rule:20} {checks}")
        return
    trailers = (
        message_trailers(message_file.read_text(encoding="utf-8", errors="replace"))
        if message_file
        else ()
    )
    report = run_lint(
        app.settings,
        paths,
        staged=staged,
        index_file=os.environ.get("GIT_INDEX_FILE"),
        trailers=trailers,
        select=select or None,
        ignore=ignore,
    )
    errors = report.errors
    if fmt == "json":
        echo_json(
            {
                "findings": [f.to_dict() for f in report.findings],
                "errors": len(errors),
                "checked": report.checked,
                "skipped": report.skipped,
            }
        )
    else:
        for finding in report.findings:
            click.echo(str(finding), err=True)
        if report.skipped:
            what = "that is not a policy" if len(report.skipped) == 1 else "that are not policies"
            click.echo(
                f"skipped {counted(len(report.skipped), 'file')} {what} "
                f"(policies glob {app.settings.policies!r})",
                err=True,
            )
        summary = lint_summary(report.findings, len(report.checked))
        if not report.checked and not paths and not staged:
            summary += (
                f": no files match {app.settings.policies!r} (set `policies` or pass "
                "--policies GLOB)"
            )
        click.echo(summary, err=True)
    if errors:
        raise LintFailure(f"{counted(len(errors), 'lint error')}")


COMMANDS = [lint_command]
