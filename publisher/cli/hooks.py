"""``publisher hooks install|uninstall`` and the commands git runs: ``hooks run NAME``,
``diff-driver`` and ``textconv`` (hidden: people do not type them)."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app


@click.group("hooks")
def hooks_group() -> None:
    """Git hooks: lint at commit time, refuse bad pushes, publish the site on merge or push,
    and the clause-level `git diff` driver."""


@hooks_group.command("install")
@click.option(
    "--pre-commit",
    "pre_commit",
    is_flag=True,
    help="The pre-commit and commit-msg hooks: lint the staged policies, block the "
    "commit on errors.",
)
@click.option(
    "--publish",
    "publish",
    metavar="DIR|branch:NAME",
    help="Publish the site on every merge (or push) to the publishing branch: into a "
    "folder, or as a commit on a branch. On a bare repository: after each push.",
)
@click.option(
    "--publish-hook",
    type=click.Choice(["post-merge", "pre-push"]),
    default="post-merge",
    show_default=True,
    help="Which hook publishes in a work tree.",
)
@click.option(
    "--diff-driver",
    "diff_driver",
    is_flag=True,
    help="The `git diff` driver for policies (git config and .git/info/attributes).",
)
@FORMAT_OPTION
@pass_app
def install_command(
    app: App, pre_commit: bool, publish: str | None, publish_hook: str, diff_driver: bool, fmt: str
) -> None:
    """Install the git hooks and the diff driver (all of them when no option is given).

    Settings given as flags (--policies GLOB) or PUBLISHER_* variables are written into the
    hooks, so they run with what install saw (secrets excepted).
    Existing hooks are chained, not overwritten: each is kept as
    <name>.publisher-chained and runs first. In a bare (server) repository, a pre-receive
    hook refuses pushes whose policies fail lint, and --publish adds a post-receive hook.
    The hooks run this Python ({python}); install again after moving it.
    """
    from publisher.config import explain_settings
    from publisher.githooks import hook_environment, install
    from publisher.gitio import Git

    everything = not (pre_commit or diff_driver or publish)
    settings, sources = explain_settings(Path(app.repo), overrides=app.overrides)
    env, kept_out = hook_environment(settings, sources)
    with Git.open(settings.root) as git:
        changes = install(
            git,
            python=sys.executable,
            policies=settings.policies,
            pre_commit=pre_commit or everything,
            publish=publish,
            publish_hook=publish_hook,
            diff_driver=diff_driver or everything,
            branch=settings.branch,
            env=env,
        )
    used = {name: getattr(settings, name) for name in sources if f"PUBLISHER_{name.upper()}" in env}
    if fmt == "json":
        echo_json(
            {
                "hooks": changes.hooks,
                "chained": changes.chained,
                "config": changes.config,
                "attributes": changes.attributes,
                "notes": changes.notes,
                "settings": {
                    name: {"value": value, "source": sources[name]} for name, value in used.items()
                },
                "not_written": kept_out,
            }
        )
        return
    for line in changes.lines("installed"):
        click.echo(line)
    for name, value in used.items():
        click.echo(
            f"hooks use {name}={value!r} (from {sources[name]}); to share it with "
            "everyone who installs the hooks, put it in [tool.publisher] of "
            "pyproject.toml instead"
        )
    if kept_out:
        click.echo(
            f"not written into the hooks: {', '.join(kept_out)} (secrets); the hooks "
            "read them from their own environment or the configuration file"
        )


install_command.help = (install_command.help or "").replace("{python}", sys.executable)


@hooks_group.command("uninstall")
@pass_app
def uninstall_command(app: App) -> None:
    """Remove our hooks and the diff driver, and put back the hooks they chained."""
    from publisher.githooks import uninstall
    from publisher.gitio import Git

    with Git.open(app.settings.root) as git:
        changes = uninstall(git)
    lines = changes.lines("removed")
    for line in lines or ["nothing to remove: no policy-publisher hooks are installed"]:
        click.echo(line)


@hooks_group.command("run", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_app
@click.pass_context
def run_command(ctx: click.Context, app: App, name: str, args: tuple[str, ...]) -> None:
    """Run hook NAME (git calls this from the installed hook scripts)."""
    from publisher.githooks import STDIN_HOOKS, HookContext, run_hook

    stdin = sys.stdin.buffer.read() if name in STDIN_HOOKS else None
    context = HookContext(
        settings=app.settings,
        echo=lambda line: click.echo(line, err=True),
        today=date.today(),
        index_file=os.environ.get("GIT_INDEX_FILE"),
    )
    ctx.exit(run_hook(name, args, stdin, context))


@click.command("diff-driver", hidden=True)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def diff_driver_command(args: tuple[str, ...]) -> None:
    """git's external diff command for policies: PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE
    NEW-HEX NEW-MODE [NEW-PATH RENAME-INFO]."""
    from publisher.diffdriver import run_driver

    run_driver(args)


@click.command("textconv", hidden=True)
@click.argument("file", type=click.Path(dir_okay=False))
def textconv_command(file: str) -> None:
    """git's textconv for policies: the clause outline of FILE."""
    from publisher.diffdriver import run_textconv

    run_textconv(file)


COMMANDS = [hooks_group, diff_driver_command, textconv_command]
