"""The folder a site is written to: which folders ``publisher build`` and ``publisher publish
--to`` may replace, and the marker file that says one of them wrote it.

Used by both the mkdocs side (:mod:`publisher.mkdocs_plugin.commands`) and
:mod:`publisher.publish`, which builds through it.
"""

from __future__ import annotations

from pathlib import Path

from publisher.errors import ConfigError
from publisher.gitio import Git

__all__ = ["SITE_MARKER", "check_build_folder", "check_site_folder", "mark_site_folder"]

SITE_MARKER = ".publisher-site"
"""The file that marks a folder as a site that publisher wrote (and may therefore replace)."""


def _tracked_under(git: Git, folder: Path) -> str | None:
    """A file tracked in the index at or under ``folder`` (inside the work tree), or None."""
    relative = folder.relative_to(git.info.top).as_posix()
    out = git.run(
        ["--literal-pathspecs", "ls-files", "-z", "--", relative or "."],
        what="list the tracked files",
    )
    first = out.split(b"\0", 1)[0]
    return first.decode("utf-8", "replace") or None


def check_site_folder(
    folder: Path, git: Git, root: Path | None = None, *, earlier_build_ok: bool = False
) -> None:
    """Refuse a site folder whose contents a publish would destroy (ConfigError).

    Refused: the repository (``root``, its work tree, its git dirs) and any folder holding
    one of them or inside a git dir; a folder inside the work tree that holds tracked files;
    a path that is not a folder; a folder with entries that has no :data:`SITE_MARKER` (it
    was not made by ``publish --to``). A new or empty folder is fine, and so is a marked one
    (a gitignored ``build/site`` is the usual place).
    """
    resolved = folder.expanduser().resolve()
    hint = "publish into a new or empty folder (e.g. build/site, gitignored) or onto a branch"
    protected = {git.info.top.resolve(), git.info.git_dir.resolve(), _common_dir(git)}
    if root is not None:
        protected.add(root.resolve())
    for place in sorted(protected):
        if place.is_relative_to(resolved):
            what = "the repository" if place == resolved else f"a folder holding {place}"
            raise ConfigError(f"the publish folder {folder} is {what}", hint=hint)
    for git_dir in (git.info.git_dir.resolve(), _common_dir(git)):
        if resolved.is_relative_to(git_dir):
            raise ConfigError(
                f"the publish folder {folder} is inside the git dir {git_dir}", hint=hint
            )
    if resolved.exists() and not resolved.is_dir():
        raise ConfigError(f"the publish folder {folder} is a file", hint=hint)
    if not git.info.bare and resolved.is_relative_to(git.info.top.resolve()):
        tracked = _tracked_under(git, resolved)
        if tracked is not None:
            raise ConfigError(
                f"the publish folder {folder} holds files tracked by git ({tracked})", hint=hint
            )
    earlier_build = earlier_build_ok and all(
        (resolved / name).is_file() for name in ("index.html", "sitemap.xml")
    )
    if (
        resolved.is_dir()
        and not (resolved / SITE_MARKER).is_file()
        and not earlier_build
        and any(resolved.iterdir())
    ):
        raise ConfigError(
            f"the publish folder {folder} is not empty and was not made by publisher "
            f"(it has no {SITE_MARKER} file): publishing would delete what it holds",
            hint=f"{hint}; a folder from an earlier `publisher build` must be emptied first",
        )


def check_build_folder(folder: Path, root: Path) -> None:
    """Before ``publisher build`` writes (and prunes) ``folder``: refuse the places
    :func:`check_site_folder` refuses, also accepting a folder an earlier mkdocs build made
    before the marker existed. Writes nothing."""
    with Git.open(root) as git:
        check_site_folder(folder, git, root, earlier_build_ok=True)


def mark_site_folder(folder: Path, *, written_by: str = "publisher build") -> None:
    """Mark a folder holding a built site as publisher's (:data:`SITE_MARKER`), naming the
    command that wrote it."""
    marker = folder / SITE_MARKER
    text = (
        f"This folder holds the policy site written by `{written_by}`.\n"
        "Building or publishing again replaces its contents. "
        "Delete this file to protect the folder.\n"
    )
    try:
        if marker.read_text(encoding="utf-8") == text:
            return  # a rebuild with nothing new leaves every file alone
    except (OSError, UnicodeDecodeError):
        pass
    marker.write_text(text, encoding="utf-8")


def _common_dir(git: Git) -> Path:
    """The git dir shared by every work tree of the repository (``--git-common-dir``)."""
    out = git.run(["rev-parse", "--git-common-dir"], what="find the git dir").decode().strip()
    path = Path(out)
    return (path if path.is_absolute() else git.info.top / path).resolve()
