"""Publish the site: build it from one commit and write it to a folder or commit it to a branch.

The site is built (by :func:`publisher.mkdocs_plugin.build`) from a temporary linked work tree
of the source commit, so what is published is exactly that commit — its policies, its
``mkdocs.yml`` and pages — whatever the work tree holds, and a bare server repository
publishes the same way. The parsed-document and redline cache of the repository is shared
with that work tree, so a publish after one new commit costs about one diff.

- **To a folder** (``--to DIR``): the build replaces the folder's contents (a failed build
  leaves the previous site's files in place). Only a folder that is new, empty or marked by an
  earlier build or publish
  (:data:`publisher.site_folder.SITE_MARKER`) is taken: never the repository, a folder holding it
  or its git dir, a folder inside the work tree that holds tracked files, or any folder with
  files publisher did not put there (see :func:`publisher.site_folder.check_site_folder`).
- **To a branch** (``--branch NAME``, like mike's ``gh-pages``): one commit whose tree is the
  site, written with ``git fast-import`` — objects and the branch ref only, never the work
  tree or the index. The tree id is computed first; when it equals the branch tip's tree
  (the same content), no commit is made. Builds are reproducible: ``SOURCE_DATE_EPOCH`` is
  the source commit's time, so mkdocs' build date does not change the content. The message names the source commit and the
  version of each policy published.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from publisher.config import Settings, load_settings
from publisher.counting import counted
from publisher.errors import ConfigError, GitError, NotFoundError
from publisher.gitio import Git
from publisher.site_folder import check_site_folder, mark_site_folder

DEFAULT_IDENTITY = "policy-publisher <policy-publisher@localhost>"


@dataclass(frozen=True)
class PublishTarget:
    """Where the site goes: a folder, or a branch (written as ``branch:NAME``)."""

    kind: str  # "folder" | "branch"
    location: str

    @classmethod
    def parse(cls, text: str, *, base: Path | None = None) -> PublishTarget:
        """``branch:gh-pages`` or a folder (made absolute against ``base``)."""
        text = text.strip()
        if not text:
            raise ConfigError("the publish target is empty", hint="give a folder, or branch:NAME")
        if text.startswith("branch:"):
            return cls.branch(text.removeprefix("branch:"))
        path = Path(text).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return cls("folder", str(path))

    @classmethod
    def branch(cls, name: str) -> PublishTarget:
        name = name.strip().removeprefix("refs/heads/")
        if (
            not name
            or name.startswith("-")
            or any(c in name for c in " ~^:?*[\\")
            or ".." in name
            or name.endswith((".lock", "/", "."))
        ):
            raise ConfigError(f"{name!r} is not a valid branch name", hint="e.g. --branch gh-pages")
        return cls("branch", name)

    def __str__(self) -> str:
        return f"branch:{self.location}" if self.kind == "branch" else self.location


@dataclass(frozen=True)
class PublishResult:
    """What a publish did."""

    target: PublishTarget
    source: str
    """The commit the site was built from."""
    versions: tuple[tuple[str, str], ...]
    """(slug, version label) of each policy published."""
    files: int
    commit: str | None = None
    """The new commit on the branch (None: a folder, or nothing changed)."""
    changed: bool = True

    def describe(self) -> str:
        what = (
            f"site of {self.source[:12]} ({counted(len(self.versions), 'policy')}, "
            f"{counted(self.files, 'file')})"
        )
        if self.kind_is_branch:
            if not self.changed:
                return f"branch {self.target.location} already holds the {what}: no new commit"
            return f"committed the {what} to branch {self.target.location} as {self.commit}"
        return f"published the {what} to {self.target.location}"

    @property
    def kind_is_branch(self) -> bool:
        return self.target.kind == "branch"

    def to_dict(self) -> dict[str, object]:
        return {
            "target": str(self.target),
            "source": self.source,
            "versions": [{"policy": s, "version": v} for s, v in self.versions],
            "files": self.files,
            "commit": self.commit,
            "changed": self.changed,
        }


# ------------------------------------------------------------------------- pure helpers


def blob_id(data: bytes, algorithm: str = "sha1") -> str:
    """git's object id of a blob with this content."""
    return hashlib.new(algorithm, b"blob %d\0" % len(data) + data).hexdigest()


def tree_id(files: Mapping[str, bytes], algorithm: str = "sha1") -> str:
    """git's object id of the tree holding ``files`` (path -> content, mode 100644), computed
    without writing anything: to know whether a publish would change the branch."""
    root: dict[str, object] = {}
    for path, data in files.items():
        node = root
        *folders, name = path.split("/")
        for folder in folders:
            child = node.setdefault(folder, {})
            assert isinstance(child, dict)
            node = child
        node[name] = data

    def tree(node: Mapping[str, object]) -> str:
        entries: list[tuple[str, bytes]] = []
        for name, value in node.items():
            if isinstance(value, bytes):
                entries.append(
                    (
                        name,
                        b"100644 "
                        + name.encode()
                        + b"\0"
                        + bytes.fromhex(blob_id(value, algorithm)),
                    )
                )
            else:
                assert isinstance(value, dict)
                # git sorts a folder as if its name ended with "/"
                entries.append(
                    (name + "/", b"40000 " + name.encode() + b"\0" + bytes.fromhex(tree(value)))
                )
        body = b"".join(entry for _, entry in sorted(entries, key=lambda e: e[0].encode()))
        return hashlib.new(algorithm, b"tree %d\0" % len(body) + body).hexdigest()

    return tree(root)


def _quote_path(path: str) -> str:
    """A path as fast-import reads it (C-style quoted when it needs to be)."""
    if not any(c in path for c in '"\\\n') and not path.startswith('"'):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def commit_message(source: str, subject: str, versions: tuple[tuple[str, str], ...]) -> str:
    """The publish commit's message: the source commit and the version of each policy."""
    lines = [
        f"Publish the policy site from {source[:12]}",
        "",
        f"Source commit: {source} ({subject})" if subject else f"Source commit: {source}",
        "",
        "Versions published:",
    ]
    lines += [f"  {slug} {label}" for slug, label in versions] or ["  (no policies)"]
    return "\n".join(lines) + "\n"


def fast_import_stream(
    ref: str,
    files: Mapping[str, bytes],
    *,
    message: str,
    committer: str,
    when: datetime,
    parent: str | None,
) -> bytes:
    """A ``git fast-import`` stream for one commit on ``ref`` whose tree is exactly ``files``."""
    stamp = f"{int(when.timestamp())} +0000"
    encoded = message.encode("utf-8")
    out = [
        f"commit {ref}\n".encode(),
        f"committer {committer} {stamp}\n".encode(),
        b"data %d\n" % len(encoded),
        encoded,
        b"\n",
    ]
    if parent is not None:
        out.append(f"from {parent}\n".encode())
    out.append(b"deleteall\n")
    for path in sorted(files):
        data = files[path]
        out += [
            f"M 100644 inline {_quote_path(path)}\n".encode(),
            b"data %d\n" % len(data),
            data,
            b"\n",
        ]
    out.append(b"done\n")
    return b"".join(out)


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------------ building


def commit_settings(settings: Settings, git: Git, rev: str) -> Settings:
    """In a bare repository, the settings of the commit ``rev`` (its ``publisher.toml`` or
    ``pyproject.toml``), since there is no work tree to read them from."""
    if not git.info.bare:
        return settings
    with tempfile.TemporaryDirectory(prefix="publisher-settings-") as tmp:
        for name in ("publisher.toml", "pyproject.toml"):
            found = git.cat.get(f"{rev}:{name}")
            if found is not None and found.type == "blob":
                (Path(tmp) / name).write_bytes(found.data)
        loaded = load_settings(tmp)
    return replace(loaded, root=settings.root)


@contextlib.contextmanager
def _checkout(git: Git, settings: Settings, source: str) -> Iterator[Path]:
    """A temporary linked work tree of ``source``, sharing the repository's cache folder."""
    with tempfile.TemporaryDirectory(prefix="publisher-publish-") as tmp:
        tree = Path(tmp) / "src"
        git.worktree_add(tree, source)
        try:
            cache = Path(settings.cache_dir)
            if not cache.is_absolute():
                # The work tree's cache when `publisher build` made one, else one in the git
                # dir: publishing leaves no untracked folder behind.
                shared = settings.root / cache
                if git.info.bare or not shared.is_dir():
                    shared = git.info.git_dir / "publisher" / cache.name
                shared.mkdir(parents=True, exist_ok=True)
                link = tree / cache
                if not link.exists():
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(shared, target_is_directory=True)
            yield tree
        finally:
            git.worktree_remove(tree)


def _versions(settings: Settings, source: str) -> tuple[tuple[str, str], ...]:
    from publisher.history import PolicyRepo

    with PolicyRepo.open(replace(settings, branch=source)) as repo:
        return tuple(sorted((p.slug, p.versions[-1].label) for p in repo.policies() if p.versions))


@contextlib.contextmanager
def _source_date(epoch: int) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` (reproducible builds; mkdocs dates its pages and sitemap with
    it) set to the source commit's time for the build, unless the caller set it."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _build(tree: Path, site_dir: Path, policies: str | None, epoch: int) -> None:
    # Imported here for its cost, not to hide a cycle (the mkdocs side does not import this
    # module; tests/test_import_graph.py counts this import too): mkdocs takes ~1 s to load,
    # and the git hooks import this module for commit_settings on every push.
    from publisher.mkdocs_plugin import build

    with _source_date(epoch):
        build(tree, site_dir=site_dir, policies=policies, written_by="publisher publish")


def publish(
    settings: Settings,
    target: PublishTarget,
    *,
    rev: str | None = None,
    policies: str | None = None,
    now: datetime | None = None,
) -> PublishResult:
    """Build the site of ``rev`` (default: the publishing branch's tip) and publish it to
    ``target``. ``policies`` overrides the policies glob of the built commit's settings.

    Raises GitError (no such commit, a shallow clone, a branch checked out here, a branch
    that moved meanwhile) and whatever the build raises (PolicyError, ConfigError).
    """
    now = now or datetime.now(UTC)
    with Git.open(settings.root) as git:
        wanted = rev or settings.branch
        source = git.rev_parse(wanted)
        if source is None:
            raise NotFoundError(
                f"there is no commit {wanted!r} to publish",
                hint="commit the policies first, or give --rev COMMIT",
            )
        info = git.cat.commit(source)
        subject = info.subject if info is not None else ""
        epoch = int(info.committed.timestamp()) if info is not None else int(now.timestamp())
        ref = f"refs/heads/{target.location}"
        if target.kind == "branch" and not git.info.bare and git.symbolic_head() == ref:
            raise GitError(
                f"the branch {target.location} is checked out in this work tree",
                hint="publish to another branch (e.g. gh-pages), or check out another branch",
            )
        if target.kind == "folder":
            check_site_folder(Path(target.location), git, settings.root)
        settings = commit_settings(settings, git, source)
        versions = _versions(settings, source)
        with _checkout(git, settings, source) as tree:
            if target.kind == "folder":
                folder = Path(target.location)
                folder.mkdir(parents=True, exist_ok=True)
                # Marked before building: a build that fails halfway leaves a folder the
                # next publish may still replace.
                mark_site_folder(folder, written_by="publisher publish")
                _build(tree, folder, policies, epoch)
                return PublishResult(target, source, versions, len(read_tree(folder)))
            with tempfile.TemporaryDirectory(prefix="publisher-site-") as out:
                site_dir = Path(out) / "site"
                _build(tree, site_dir, policies, epoch)
                files = read_tree(site_dir)
        return _commit_to_branch(git, target, ref, files, source, subject, versions, now)


def _commit_to_branch(
    git: Git,
    target: PublishTarget,
    ref: str,
    files: dict[str, bytes],
    source: str,
    subject: str,
    versions: tuple[tuple[str, str], ...],
    now: datetime,
) -> PublishResult:
    parent = git.rev_parse(ref)
    if parent is not None:
        current = git.cat.get(f"{parent}^{{tree}}")
        if current is not None and current.sha == tree_id(files, git.object_format()):
            return PublishResult(target, source, versions, len(files), None, changed=False)
    stream = fast_import_stream(
        ref,
        files,
        message=commit_message(source, subject, versions),
        committer=git.identity() or DEFAULT_IDENTITY,
        when=now,
        parent=parent,
    )
    try:
        git.fast_import(stream)
    except GitError as exc:
        if "does not contain" in exc.stderr or "non-fast-forward" in exc.stderr.lower():
            raise GitError(
                f"the branch {target.location} moved while the site was being built",
                stderr=exc.stderr,
                hint="publish again",
            ) from exc
        raise
    commit = git.run(["rev-parse", "--verify", ref]).decode().strip()
    return PublishResult(target, source, versions, len(files), commit, changed=True)
