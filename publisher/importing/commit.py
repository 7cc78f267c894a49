"""Add an imported policy to the policy repository as its first version."""

from __future__ import annotations

from pathlib import Path

from publisher.errors import GitError, PolicyError
from publisher.formats.output import write_output
from publisher.gitio import Git
from publisher.importing.read import Imported


def commit_message(imported: Imported, source: str, path: str) -> str:
    """``Import Acceptable Use Policy from aup.docx`` and a body saying where it came from
    and what could not be placed."""
    title = imported.title or Path(path).stem
    lines = [
        f"Import {title} from {Path(source).name}",
        "",
        f"First version of {path}, made by `publisher import` from {source}.",
    ]
    if imported.effective:
        lines.append(f"Effective date: {imported.effective.isoformat()}.")
    if imported.unplaced:
        lines += ["", "Not placed as written (check against the original):"]
        lines += [f"- {message}" for message in imported.unplaced]
    return "\n".join(lines) + "\n"


def commit_import(
    repo: Path, output: Path, imported: Imported, *, source: str, force: bool = False
) -> str:
    """Write ``imported`` to ``output`` (inside the work tree ``repo``) and commit that file
    alone; returns the commit's sha. PolicyError when ``output`` is outside the work tree or
    already has history (then this would not be its first version)."""
    git = Git.open(repo)
    if git.info.bare:
        raise PolicyError(
            "cannot commit an import into a bare repository",
            path=repo,
            hint="run it in a work tree (a clone) and push",
        )
    target = output.resolve()
    if not target.is_relative_to(git.info.top):
        raise PolicyError(
            f"{output} is outside the repository {git.info.top}",
            hint="give --output a path inside the policy repository",
        )
    relative = target.relative_to(git.info.top).as_posix()
    if git.run(["log", "--format=%H", "-1", "--", relative], what="read history").strip():
        raise PolicyError(
            f"{relative} already has history in git: an import is a first version",
            hint="commit the new text as an ordinary change, or pick another path",
        )
    write_output(target, imported.markdown.encode(), force=force)
    try:
        git.run(["add", "--", relative], what="stage the imported policy")
        git.run(
            [
                "commit",
                "-q",
                "--no-verify",
                "-m",
                commit_message(imported, source, relative),
                "--",
                relative,
            ],
            what="commit the imported policy",
        )
    except GitError:
        git.run(["reset", "-q", "--", relative])
        raise
    return git.run(["rev-parse", "HEAD"]).decode().strip()
