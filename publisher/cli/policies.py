"""``publisher list``, ``log``, ``show``: policies, their versions and clause trees."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, echo_table, pass_app
from publisher.document import Document
from publisher.errors import NotFoundError, PolicyError
from publisher.history import Policy, PolicyRepo, Revision, Version
from publisher.outline import document_to_dict, render_outline


def warn(message: str) -> None:
    """Print a warning of the library on stderr (stdout stays for the output)."""
    click.echo(message, err=True)


@contextmanager
def open_repo(app: App) -> Iterator[PolicyRepo]:
    """The policy repository of this invocation, closed afterwards; its warnings (a revision
    that cannot be read is skipped) go to stderr."""
    repo = PolicyRepo.open(app.settings, warn=warn)
    try:
        yield repo
    finally:
        repo.close()


def _candidates(repo: PolicyRepo, given: str) -> list[str]:
    """What ``given`` may name, in the order to try: like git, a path is relative to the
    current directory; then (as before, and for ``-C REPO``) to the repository root; else
    it is a slug, a former path or a bare repository's path (the library decides).

    PolicyError when the only file ``given`` names is outside the repository."""
    if os.path.isabs(given):
        return [given]
    top = repo.git.info.top
    here = Path(os.path.abspath(given))
    inside = here.resolve().is_relative_to(top.resolve())
    if here.exists() and inside:
        return [str(here)]
    if (top / given).exists():
        return [given]
    if here.exists():
        raise PolicyError(
            f"{given} is outside the repository {top}",
            hint="give a path inside the repository, or the policy's slug",
        )
    return [str(here), given] if inside else [given]


def _looks_like_a_path(given: str) -> bool:
    return "/" in given or os.sep in given or Path(given).suffix.lower() in {".md", ".markdown"}


LANG_OPTION = click.option(
    "--lang",
    "language",
    metavar="TAG",
    help="The policy's translation in this language (e.g. de, pt-BR); default: the policy named.",
)


def find_policy(repo: PolicyRepo, name: str, language: str | None = None) -> Policy:
    """The policy ``name`` (a slug, or a path relative to the current directory or to the
    repository), deleted ones too: a note on stderr says when a policy was deleted
    (customers may have accepted its versions). ``language``: its translation in that
    language (NotFoundError listing the policy's languages)."""
    policy: Policy | None = None
    for candidate in _candidates(repo, name):
        try:
            policy = repo.policy(candidate, include_deleted=True)
            break
        except NotFoundError as exc:
            error = exc
    if policy is None:
        if _looks_like_a_path(name) and error.message.startswith("no policy"):
            raise NotFoundError(
                f"{name}: no such file in the current directory ({Path.cwd()}) or in the "
                f"repository ({repo.git.info.top}), and no policy by that name",
                hint=error.hint,
            ) from None
        raise error
    if language is not None:
        policy = repo.policy(policy.path, include_deleted=True, language=language)
    if policy.deleted_in is not None:
        when = policy.deleted_in
        click.echo(
            f"note: {policy.slug} ({policy.path}) was deleted in commit {when.commit[:12]} "
            f"on {when.committed.date().isoformat()} ({when.subject})",
            err=True,
        )
    return policy


def version_to_dict(version: Version) -> dict[str, Any]:
    """A version for ``log --format json``: ``commit`` and ``date`` are the commit that
    published it (``published_commit``/``published`` say the same); ``last_commit`` and
    ``last_changed`` the last commit that carried it (later edits that kept the label, such
    as a front-matter fix), the same commit when there was none."""
    return {
        "label": version.label,
        "effective": version.effective.isoformat() if version.effective else None,
        "commit": version.first_revision.commit,
        "published_commit": version.first_revision.commit,
        "date": version.first_revision.committed.isoformat(),
        "published": version.first_revision.committed.isoformat(),
        "last_commit": version.revision.commit,
        "last_changed": version.revision.committed.isoformat(),
        "sha256": version.sha256,
        "title": version.title,
        "summary": version.summary,
        "labelled": version.labelled,
    }


def policy_to_dict(policy: Policy, languages: list[str] | None = None) -> dict[str, Any]:
    current = policy.versions[-1] if policy.versions else None
    return {
        "slug": policy.slug,
        "language": policy.language,
        "languages": languages if languages is not None else [policy.language],
        "title": policy.title,
        "path": policy.path,
        "current_version": current.label if current else None,
        "effective": current.effective.isoformat() if current and current.effective else None,
        "revisions": len(policy.revisions),
        "versions": len(policy.versions),
        "deleted": policy.deleted,
    }


@click.command("list")
@click.option(
    "--all", "include_deleted", is_flag=True, help="Also list policies deleted in history."
)
@FORMAT_OPTION
@pass_app
def list_command(app: App, include_deleted: bool, fmt: str) -> None:
    """List the policies: slug, title, path, current version and effective date,
    and how many revisions and versions each has in git."""
    with open_repo(app) as repo:
        rows = [
            policy_to_dict(p, repo.languages(p))
            for p in repo.policies(include_deleted=include_deleted)
        ]
    if fmt == "json":
        echo_json({"policies": rows})
        return
    if not rows:
        click.echo(
            f"no policies match {app.settings.policies!r} (set `policies` or pass --policies GLOB)",
            err=True,
        )
        return
    echo_table(
        ["SLUG", "TITLE", "VERSION", "EFFECTIVE", "REVISIONS", "VERSIONS", "LANGUAGES", "PATH"],
        [
            [
                row["slug"] + (" (deleted)" if row["deleted"] else ""),
                row["title"],
                row["current_version"] or "-",
                row["effective"] or "-",
                str(row["revisions"]),
                str(row["versions"]),
                ",".join(row["languages"]),
                row["path"],
            ]
            for row in rows
        ],
    )


@click.command("log")
@click.argument("policy")
@LANG_OPTION
@FORMAT_OPTION
@pass_app
def log_command(app: App, policy: str, language: str | None, fmt: str) -> None:
    """Show the versions of POLICY (a slug or a path), oldest first: label, effective date,
    the commit that published the version and its date (and the last commit that changed it,
    when a later one did without a new label), and the summary."""
    with open_repo(app) as repo:
        found = find_policy(repo, policy, language)
        rows = [version_to_dict(v) for v in found.versions]
    if fmt == "json":
        echo_json(
            {"policy": found.slug, "path": found.path, "language": found.language, "versions": rows}
        )
        return
    for row in rows:
        click.echo(
            f"{click.style(row['label'], bold=True)}  effective {row['effective'] or '-'}  "
            f"{row['commit'][:10]}  {row['date'][:10]}"
            + (
                f"  (last changed in {row['last_commit'][:10]} on {row['last_changed'][:10]})"
                if row["last_commit"] != row["commit"]
                else ""
            )
        )
        if row["summary"]:
            click.echo(f"    {row['summary']}")


@click.command("show")
@click.argument("policy")
@click.option(
    "--version",
    "rev",
    metavar="V",
    help="A version label, commit-ish or date (YYYY-MM-DD); default: the current version.",
)
@LANG_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "pdf"]),
    default="text",
    show_default=True,
    help="Output format; json prints one JSON document on stdout; pdf the version's "
    "text as the site prints it.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the PDF to FILE (needed on a terminal).",
)
@pass_app
def show_command(
    app: App, policy: str, rev: str | None, language: str | None, fmt: str, output: str | None
) -> None:
    """Show the clause tree of POLICY: every clause with its id, number, heading, text and
    source lines. The ids are the anchors of the public site (#c-<id>). --format pdf writes
    the version's text instead, with its version and dates in the page header."""
    from publisher.formats.output import refuse_terminal

    if fmt == "pdf" and output is None:
        refuse_terminal(sys.stdout, "pdf")
    with open_repo(app) as repo:
        found = find_policy(repo, policy, language)
        revision = repo.resolve(found, rev) if rev else found.revisions[-1]
        document = repo.document(revision)
        version = repo.version_of(found, revision)
    if fmt == "pdf":
        _write_version_pdf(document, revision, version, output)
        return
    if fmt == "json":
        data = document_to_dict(document)
        data.update(
            policy=found.slug,
            path=revision.path,
            language=found.language,
            commit=revision.commit,
            version=version.label if version else None,
        )
        echo_json(data)
        return
    click.echo(render_outline(document), nl=False)


def _write_version_pdf(
    document: Document, revision: Revision, version: Version | None, output: str | None
) -> None:
    from publisher.formats.output import write_output
    from publisher.formats.pdf import version_pdf

    data = version_pdf(
        document,
        version=version.label if version else None,
        effective=(version.effective if version else None) or document.meta.effective,
        published=(version.first_revision if version else revision).committed.date(),
    )
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_output(output, data)


COMMANDS = [list_command, log_command, show_command]
