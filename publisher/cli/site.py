"""``publisher build`` and ``publisher serve``: the public policy site, through mkdocs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, pass_app

if TYPE_CHECKING:
    from rich.progress import TaskID

    from publisher.site_builder import Progress

CONFIG_OPTION = click.option(
    "--config",
    "-f",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The site's mkdocs.yml (default: the repository's, else a built-in configuration).",
)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar on stderr while the site model is built (when stderr is a terminal)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    titles = {"redlines": "comparing versions", "pages": "rendering policies"}
    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(titles.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield advance


@click.command("build")
@CONFIG_OPTION
@click.option(
    "--site-dir",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site (default: site_dir of mkdocs.yml, build/site).",
)
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Fail on any warning (default: `strict` of mkdocs.yml).",
)
@FORMAT_OPTION
@pass_app
def build_command(
    app: App, config_file: Path | None, site_dir: Path | None, strict: bool | None, fmt: str
) -> None:
    """Build the public policy site: every policy's current text, its versions, the redlines
    between them, Atom feeds and the JSON API, with the repository's mkdocs.yml.

    Change sets and rendered pages are cached in the cache_dir setting, so a rebuild after a
    new commit only computes what the commit changed.
    """
    from publisher.mkdocs_plugin import build

    with _progress() as progress:
        result = build(
            app.settings.root,
            config_file=config_file,
            site_dir=site_dir,
            strict=strict,
            policies=app.overrides.get("policies"),
            progress=progress,
            require_policies=True,
        )
    if fmt == "json":
        echo_json(
            {
                "site_dir": str(result.site_dir),
                "config": str(result.config_file) if result.config_file else None,
                "pages": result.pages,
                "files": result.files,
                "policies": result.policies,
                "versions": result.versions,
                "redlines": result.redlines,
                "computed_redlines": result.computed,
                "files_written": result.written,
                "files_unchanged": result.unchanged,
                "files_removed": result.removed,
                "pages_rendered": result.rendered,
                "redirects": result.redirects,
                "docx_made": result.docx,
                "policies_reused": result.reused,
            }
        )
        return
    click.echo(result.describe())
    note = ignore_note(app.settings.root, result.site_dir)
    if note:
        click.echo(note, err=True)


def ignore_note(root: Path, site_dir: Path) -> str | None:
    """A note when ``site_dir`` is inside the work tree at ``root`` and git does not ignore
    it (the built site would show up in `git status` and get committed by mistake)."""
    from publisher.errors import GitError
    from publisher.gitio import Git

    try:
        with Git.open(root) as git:
            if git.info.bare:
                return None
            top = git.info.top.resolve()
            folder = site_dir.resolve()
            if not folder.is_relative_to(top):
                return None
            relative = folder.relative_to(top)
            try:
                git.run(["check-ignore", "-q", str(relative)])
                return None
            except GitError:
                pass
    except GitError:
        return None
    first = relative.parts[0] if relative.parts else str(relative)
    return (
        f"note: {relative.as_posix()} is not git-ignored: add {first}/ to .gitignore so the "
        "built site is not committed by mistake"
    )


@click.command("serve")
@CONFIG_OPTION
@click.option(
    "--dev-addr",
    "-a",
    metavar="HOST:PORT",
    default=None,
    help="Where to listen (default: the host and port of the site_url setting).",
)
@click.option("--open", "open_in_browser", is_flag=True, help="Open the site in a browser.")
@pass_app
def serve_command(
    app: App, config_file: Path | None, dev_addr: str | None, open_in_browser: bool
) -> None:
    """Serve the public policy site locally and rebuild it whenever a page of the site
    changes or a new commit lands in the repository (Ctrl-C stops)."""
    from urllib.parse import urlsplit

    from publisher.mkdocs_plugin import serve

    if dev_addr is None:
        url = urlsplit(app.settings.site_url)
        dev_addr = f"{url.hostname or '127.0.0.1'}:{url.port or 8001}"
    serve(
        app.settings.root,
        config_file=config_file,
        dev_addr=dev_addr,
        policies=app.overrides.get("policies"),
        open_in_browser=open_in_browser,
    )


COMMANDS = [build_command, serve_command]
