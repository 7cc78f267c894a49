"""git history -> policies, their revisions and their versions.

A **policy** is a file matching the ``policies`` glob at the tip of the publishing branch. Its
**revisions** are the commits of the branch's first-parent history that changed it, following
renames and moves (like ``git log --follow --first-parent``). Its **versions** are the
published states: one per distinct front matter ``version`` label (content: the last commit
carrying the label), or, for policies without labels, one per commit that changed what a
reader sees (:attr:`Document.fingerprint`: the title and every clause's kind, number, heading
and text), labelled by its commit date (``2024-03-07``, ``2024-03-07.2`` for a second that
day). A commit that only changes the Markdown (a blank line, an HTML comment, ``-`` for ``*``,
a link target) or the front matter belongs to the version before it, whose content then
becomes that commit, as for labels: a version's ``sha256`` is always its content's body hash.

The revisions of every policy come from one ``git log`` pass over the branch, walked newest to
oldest while tracking each policy's path back through renames; blobs are read through one
long-lived ``git cat-file --batch`` process (:mod:`publisher.gitio`). Parsed documents are
cached by blob sha (:mod:`publisher.cache`). Everything is read from git objects, never from
the work tree, so a bare repository works the same.

A revision that cannot be read (malformed front matter, binary, not UTF-8, too big) is no
version: it is skipped with one warning (the ``warn`` callback, default: the
``publisher.history`` logger; all are kept in :attr:`PolicyRepo.warnings`) and blocks neither
the other revisions nor the other policies. It stays a revision (git lists it) and belongs to
the version in force before it. A deleted file none of whose revisions can be read is no
policy. The current file of a policy is different: it is what gets published, so when it
cannot be read that is an error (PolicyError), as lint says too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path, PurePosixPath
from types import TracebackType

from publisher.cache import DocumentCache
from publisher.config import Settings
from publisher.document import Document, PolicyMeta, body_sha256
from publisher.errors import ConfigError, NotFoundError, PolicyError
from publisher.frontmatter import split_front_matter
from publisher.gitio import DEFAULT_MIN_SCORE, Git, LogEntry, Spans, similarity, spans

__all__ = [
    "Policy",
    "PolicyRepo",
    "Revision",
    "Version",
    "compile_glob",
    "effective_date_in",
    "parse_english_date",
    "slug_from_path",
]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Revision:
    """A policy file at one commit of the publishing branch."""

    commit: str
    path: str
    blob: str
    author_name: str
    author_email: str
    authored: datetime
    committed: datetime
    subject: str
    trailers: tuple[tuple[str, str], ...]
    status: str
    """git's status letter for this file in this commit: ``A`` added, ``M`` modified, ``R``
    renamed or moved into ``path``, ``C`` copied, ``T`` type changed; empty for a revision
    read from a commit outside the publishing branch (see :meth:`PolicyRepo.resolve`)."""

    @property
    def short(self) -> str:
        """The abbreviated commit sha (12 characters)."""
        return self.commit[:12]

    def trailer(self, key: str) -> str | None:
        """The last value of trailer ``key`` (case-insensitive), or None."""
        values = [v for k, v in self.trailers if k.lower() == key.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class Version:
    """A published state of a policy."""

    slug: str
    label: str
    effective: date | None
    revision: Revision
    """The last commit carrying this label: its content is the version."""
    first_revision: Revision
    """The commit where the label first appeared (when the version was published)."""
    sha256: str
    title: str | None
    summary: str | None
    labelled: bool
    """True if the label is front matter ``version``, False if it is the commit date."""

    @property
    def published(self) -> datetime:
        return self.first_revision.committed


@dataclass(frozen=True)
class Policy:
    """One policy and its whole history on the publishing branch."""

    slug: str
    title: str
    path: str
    """Current path, or the last path a deleted policy had."""
    revisions: tuple[Revision, ...]
    """Oldest first: every commit that changed the file, following renames and moves."""
    versions: tuple[Version, ...]
    """Oldest first (by first appearance)."""
    deleted: bool
    revision_labels: tuple[str, ...] = ()
    """The label of the version each revision belongs to, aligned with ``revisions``."""
    deleted_in: LogEntry | None = field(default=None, repr=False)
    """The commit that deleted the policy (or moved it out of the policies glob)."""

    @property
    def current(self) -> Version:
        """The version in force at the tip (or when the policy was deleted)."""
        return self.version(self.revision_labels[-1]) if self.revision_labels else self.versions[-1]

    @property
    def latest(self) -> Revision:
        """The newest revision."""
        return self.revisions[-1]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path the policy had, oldest first, without repeats."""
        return tuple(dict.fromkeys(r.path for r in self.revisions))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(v.label for v in self.versions)

    def version(self, label: str) -> Version:
        """The version labelled ``label``; NotFoundError listing the valid labels."""
        for version in self.versions:
            if version.label == label:
                return version
        raise NotFoundError(
            f"{self.slug} has no version {label!r}",
            hint=f"versions of {self.slug}: {', '.join(self.labels)}",
        )


# ------------------------------------------------------------------------ pure helpers


_GLOB_HINT = (
    "give a glob relative to the repository root, e.g. policies/**/*.md "
    "(setting policies, env PUBLISHER_POLICIES, flag --policies)"
)


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a gitignore/pathlib-style glob over repository paths.

    ``*`` and ``?`` stay within one folder, ``[...]`` is a character class, and ``**``
    matches any number of folders including none (``policies/**/*.md`` matches
    ``policies/aup.md`` and ``policies/a/b/aup.md``).

    Raises ConfigError for a glob that can never name a file of the repository: empty,
    absolute (``/etc/*.conf``), leaving it (``../**/*.md``), naming a folder
    (``policies/``), or invalid (an unclosed ``[``, a reversed range ``[z-a]``).
    """
    original = pattern
    pattern = pattern.strip().removeprefix("./")
    _check_glob(original, pattern)
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                raise ConfigError(f"the policies glob {original!r} has an unclosed [",
                                  hint=f"close it, or write [[] for a literal [; {_GLOB_HINT}")
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error as exc:
        raise ConfigError(f"the policies glob {original!r} is invalid: {exc.msg}",
                          hint=_GLOB_HINT) from exc


def _check_glob(original: str, pattern: str) -> None:
    if not pattern:
        raise ConfigError("the policies glob is empty", hint=_GLOB_HINT)
    if pattern.startswith("/") or re.match(r"[A-Za-z]:[/\\]", pattern):
        raise ConfigError(f"the policies glob {original!r} is absolute: policies are files "
                          "of the repository", hint=_GLOB_HINT)
    if ".." in pattern.split("/"):
        raise ConfigError(f"the policies glob {original!r} points outside the repository "
                          "('..')", hint=_GLOB_HINT)
    if pattern.endswith("/"):
        raise ConfigError(f"the policies glob {original!r} names a folder, not files",
                          hint=_GLOB_HINT)


def slug_from_path(path: str) -> str:
    """``Policies/GitHub Terms_of-Service.md`` -> ``github-terms-of-service``."""
    stem = PurePosixPath(path).stem
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "policy"


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_MONTH_FIRST = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s+(\d{4})(?!\d)")
_DAY_FIRST = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]+)\.?\s*,?\s+(\d{4})(?!\d)"
)
_EFFECTIVE_LINE = re.compile(
    r"^[\s>#*_|-]*(?:version\s+)?effective(?:\s+date|\s+as\s+of|\s+from|\s+on)?[\s*_]*:?[\s*_]*"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def parse_english_date(text: str) -> date | None:
    """A date written at the start of ``text``: ``2020-11-16``, ``November 16, 2020``,
    ``Nov. 16th 2020``, ``16 November 2020``, ``16th of Nov 2020``. None otherwise."""
    text = text.strip().lstrip("*_ ")
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _MONTH_FIRST.match(text)) and m[1].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
        if (m := _DAY_FIRST.match(text)) and m[2].lower() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    except ValueError:  # February 30
        return None
    return None


def effective_date_in(body: str) -> date | None:
    """The date of the first "Effective date: …" line of a policy body (Markdown emphasis
    allowed: ``**Effective Date:** March 17, 2026``, ``Effective date: **May 25, 2018**``,
    ``Version Effective Date: …``), or None."""
    for match in _EFFECTIVE_LINE.finditer(body):
        found = parse_english_date(match["rest"])
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------- walking the history


class _Lineage:
    """One policy's revisions, collected newest first while walking the history backwards."""

    def __init__(self, path: str, deleted_in: LogEntry | None = None) -> None:
        self.path = path
        self.deleted_in = deleted_in
        self.revisions: list[Revision] = []

    def add(self, entry: LogEntry, path: str, blob: str, status: str) -> None:
        self.revisions.append(
            Revision(
                commit=entry.commit,
                path=path,
                blob=blob,
                author_name=entry.author_name,
                author_email=entry.author_email,
                authored=entry.authored,
                committed=entry.committed,
                subject=entry.subject,
                trailers=entry.trailers,
                status=status,
            )
        )


def _tip_files(entries: list[LogEntry]) -> dict[str, tuple[str, str]]:
    """Path -> (mode, blob) of every file at the tip, replaying the changes oldest first."""
    files: dict[str, tuple[str, str]] = {}
    for entry in reversed(entries):
        for change in entry.changes:
            if change.status == "D":
                files.pop(change.path, None)
                continue
            if change.status == "R" and change.old_path is not None:
                files.pop(change.old_path, None)
            files[change.path] = (change.new_mode, change.new_blob)
    return files


_REGULAR = ("100644", "100755")

#: Finds the file a new policy file was copied from: (commit, path, blob, the policy files of
#: the parent commit as path -> blob) -> the source path, or None.
CopySource = Callable[[LogEntry, str, str, Mapping[str, str]], str | None]


def _walk(
    entries: list[LogEntry],
    is_policy: re.Pattern[str],
    tip: Mapping[str, str],
    copy_source: CopySource,
) -> list[_Lineage]:
    """Every policy lineage: those at the tip (``tip``: path -> blob), then those deleted (or
    moved out of the glob) along the way. ``entries`` are newest first.

    Like ``git log --follow``, a lineage follows its file back through renames, through copies
    (a file added as a copy of another: ``copy_source`` decides, among the policy files of the
    parent commit), and through a deletion and re-creation at the same path (the commit that
    deleted it is no revision: there is no file at that commit). Unlike git, it does not follow
    a copy of another policy still present at the tip: a policy started as a copy of a living
    one begins with that copy.
    """
    lineages = [_Lineage(path) for path in sorted(tip)]
    tracked: dict[str, list[_Lineage]] = {lin.path: [lin] for lin in lineages}
    state = dict(tip)  # policy files (path -> blob) after the commit being walked
    for position, entry in enumerate(entries):
        _undo(entry, state, is_policy)  # `state` is now the first parent's
        root = position == len(entries) - 1
        left: set[str] = set()
        moved: list[tuple[str, list[_Lineage]]] = []
        started: list[_Lineage] = []
        for change in entry.changes:
            following = tracked.get(change.path)
            if following and change.status == "D":
                continue  # deleted here, re-created later: keep following the same path
            status, source = change.status, change.old_path
            if following and status == "A" and not root and state:
                source = copy_source(entry, change.path, change.new_blob, state)
                if source is not None:
                    status = "C"
                    if any(lin.deleted_in is None for lin in tracked.get(source, ())):
                        status, source = "A", None  # a copy of a living policy: a new policy
            if following:
                for lin in following:
                    lin.add(entry, change.path, change.new_blob, status)
                if source is not None:
                    left.add(change.path)
                    moved.append((source, following))
            elif (
                status in "DR"
                and is_policy.match(source or change.path)
                and (source or change.path) not in tracked
            ):
                # deleted, or moved out of the glob: a policy that is gone at the tip
                started.append(_Lineage(source or change.path, deleted_in=entry))
        for path in left:
            tracked.pop(path, None)
        for path, following in moved:
            tracked.setdefault(path, []).extend(following)
        for lin in started:
            tracked.setdefault(lin.path, []).append(lin)
            lineages.append(lin)
    return [lin for lin in lineages if lin.revisions]


def _undo(entry: LogEntry, state: dict[str, str], is_policy: re.Pattern[str]) -> None:
    """Turn ``state`` (policy path -> blob after ``entry``) into its first parent's."""
    for change in entry.changes:
        if change.status != "D":
            state.pop(change.path, None)
        old = change.old_path or change.path
        if change.status != "A" and change.old_mode in _REGULAR and is_policy.match(old):
            state[old] = change.old_blob


# ------------------------------------------------------------------------------ the reader


@dataclass
class _History:
    entries: list[LogEntry]
    position: dict[str, int]  # commit -> index in entries (0 = tip)
    lineages: list[_Lineage]
    tip_files: set[str]  # every file at the tip, policy or not


class PolicyRepo:
    """The policies of a repository (work tree or bare) and their history.

    Opening validates the repository (one ``git rev-parse``); the history is read on first use
    (one ``git log`` pass and one ``git cat-file --batch`` process for everything after).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        cache: DocumentCache | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._warn = warn if warn is not None else log.warning
        self._warned: dict[tuple[str, str], str] = {}
        self.glob = settings.policies
        self._is_policy = compile_glob(settings.policies)
        self._git: Git | None = None
        self._cache = cache
        self._history: _History | None = None
        self._policies: dict[int, Policy] = {}
        self._heads: dict[str, _Head | PolicyError] = {}
        self._spans: dict[str, Spans] = {}

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        cache: DocumentCache | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> PolicyRepo:
        """A reader for ``settings.root``; GitError (with a hint) when it is not a git
        repository or is a shallow clone. ``warn`` receives one line per revision skipped
        because it cannot be read (default: the ``publisher.history`` logger)."""
        repo = cls(settings, cache=cache, warn=warn)
        _ = repo.git
        return repo

    # -- plumbing ------------------------------------------------------------------------

    @property
    def git(self) -> Git:
        if self._git is None:
            self._git = Git.open(self.settings.root)
        return self._git

    @property
    def cache(self) -> DocumentCache:
        if self._cache is None:
            configured = Path(self.settings.cache_dir)
            base = self.git.info.git_dir if self.git.info.bare else self.settings.root
            self._cache = DocumentCache(
                configured if configured.is_absolute() else base / configured
            )
        return self._cache

    def _read_history(self) -> _History:
        if self._history is None:
            entries = self.git.log(self.settings.branch)
            files = _tip_files(entries)
            tip = {
                path: blob
                for path, (mode, blob) in files.items()
                if mode in _REGULAR and self._is_policy.match(path)
            }
            position = {e.commit: i for i, e in enumerate(entries)}
            lineages = _walk(entries, self._is_policy, tip, self._copy_source)
            self._history = _History(
                entries=entries,
                position=position,
                lineages=self._join(lineages, position),
                tip_files=set(files),
            )
        return self._history

    def _join(self, lineages: list[_Lineage], position: Mapping[str, int]) -> list[_Lineage]:
        """Join each deleted lineage to the later lineage that continues it, which git's
        rename detection missed (a move with many edits, or a re-creation under another path).

        The rule: lineage L continues the deleted lineage D when L starts with an added file
        (status ``A``) in the commit that deleted D or after it, and L's slug at its first
        revision is D's slug at its last (front matter ``slug``, else the file name). Among
        several, the earliest such L; a lineage continues at most one. The joined policy
        keeps L's path and fate; L's first revision becomes a move (status ``R``) when it
        is the commit that deleted D.
        """
        deleted = [lin for lin in lineages if lin.deleted_in is not None]
        if not deleted:
            return lineages

        def slug_at(revision: Revision) -> str:
            try:
                return self._head(revision).meta.slug or slug_from_path(revision.path)
            except PolicyError:
                return slug_from_path(revision.path)

        # each candidate's first revision, as walked (before any join changes it)
        starts = {id(lin): (lin, lin.revisions[-1]) for lin in lineages
                  if lin.revisions and lin.revisions[-1].status == "A"}
        self._load_heads([first for _, first in starts.values()]
                         + [lin.revisions[0] for lin in deleted if lin.revisions])
        # oldest deletion first, so that a chain D1 -> D2 -> L joins in order
        for gone in sorted(deleted, key=lambda lin: -position[_deleted(lin).commit]):
            if not gone.revisions:
                continue
            when = position[_deleted(gone).commit]
            slug = slug_at(gone.revisions[0])
            candidates = [
                (lin, first) for lin, first in starts.values()
                if lin is not gone and position[first.commit] <= when and slug_at(first) == slug
            ]
            if not candidates:
                continue
            later, first = max(candidates, key=lambda pair: position[pair[1].commit])
            del starts[id(later)]
            starts.pop(id(gone), None)
            if first.commit == _deleted(gone).commit:
                later.revisions[-1] = replace(first, status="R")
            later.revisions.extend(gone.revisions)
            gone.revisions = []
        return [lin for lin in lineages if lin.revisions]

    def _copy_source(
        self, entry: LogEntry, path: str, blob: str, parent: Mapping[str, str]
    ) -> str | None:
        """The policy file of the parent commit that ``blob`` was copied from, chosen as
        ``git log --follow`` does: the most similar, at least 50%, same file name first."""
        missing = sorted({blob, *parent.values()} - self._spans.keys())
        for sha, obj in zip(missing, self.git.cat.get_many(missing), strict=True):
            if obj is not None and obj.type == "blob":
                self._spans[sha] = spans(obj.data)
        target = self._spans_of(blob)
        name = PurePosixPath(path).name
        best: tuple[int, bool, str] | None = None
        for source, source_blob in sorted(parent.items()):
            score = similarity(self._spans_of(source_blob), target)
            if score < DEFAULT_MIN_SCORE:
                continue
            candidate = (score, PurePosixPath(source).name == name, source)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        return best[2] if best is not None else None

    def _spans_of(self, blob: str) -> Spans:
        found = self._spans.get(blob)
        if found is None:
            found = self._spans[blob] = spans(self.git.cat.read_blob(blob))
        return found

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning given so far (one per unreadable revision), oldest first."""
        return tuple(self._warned.values())

    def _skip(self, revision: Revision, error: PolicyError) -> None:
        """Warn, once per revision, that ``revision`` is skipped because of ``error``."""
        key = (revision.commit, revision.path)
        if key in self._warned:
            return
        where = f"{error.location}: " if error.location else ""
        message = (
            f"warning: {where}{error.message}; skipped this revision "
            f"({revision.committed.date().isoformat()}: {revision.subject})"
        )
        self._warned[key] = message
        self._warn(message)

    @property
    def head(self) -> str | None:
        """The commit at the tip of the publishing branch (None for an empty history)."""
        entries = self._read_history().entries
        return entries[0].commit if entries else None

    # -- policies ------------------------------------------------------------------------

    def policies(self, *, include_deleted: bool = False) -> list[Policy]:
        """Every policy at the tip of the branch, by path; with ``include_deleted``, also the
        policies deleted (or moved out of the glob) along the way, after them."""
        history = self._read_history()
        chosen = [
            i for i, lin in enumerate(history.lineages) if include_deleted or lin.deleted_in is None
        ]
        self._load_heads(r for i in chosen for r in history.lineages[i].revisions)
        found: list[Policy] = []
        for i in chosen:
            try:
                found.append(self._policy(i))
            except PolicyError:
                if history.lineages[i].deleted_in is None:
                    raise  # the current file is broken
                continue  # a deleted file with no readable revision: each was warned about
        return found

    def policy(self, name: str, *, include_deleted: bool = False) -> Policy:
        """The policy named by slug or path (relative to the repository root, or absolute
        inside it; a policy's former paths work too).

        NotFoundError with the known slugs when there is none, or saying when it was deleted;
        PolicyError for a path outside the repository.
        """
        history = self._read_history()
        path = self._repo_path(name)
        matches: list[int] = []
        for i, lin in enumerate(history.lineages):
            if path is not None and path in {r.path for r in lin.revisions}:
                matches.append(i)
        if not matches:
            self._load_heads(lin.revisions[0] for lin in history.lineages)
            matches = [i for i in range(len(history.lineages)) if self._slug(i) == name]
        live = [i for i in matches if history.lineages[i].deleted_in is None]
        if live:
            if len(live) > 1:
                paths = ", ".join(history.lineages[i].path for i in live)
                raise PolicyError(
                    f"{name!r} names more than one policy: {paths}",
                    hint="give the policy's path, or set distinct `slug`s in front matter",
                )
            return self._policy(live[0])
        if matches:
            gone = history.lineages[matches[-1]]
            if include_deleted:
                return self._policy(matches[-1])
            assert gone.deleted_in is not None
            when = gone.deleted_in
            raise NotFoundError(
                f"policy {name!r} ({gone.path}) was deleted in commit {when.commit[:12]} "
                f"({when.committed.date().isoformat()}: {when.subject})",
                hint="`publisher list --all` lists deleted policies; `publisher log`, `show` "
                "and `diff` accept them",
            )
        if path is not None and path in history.tip_files:
            raise NotFoundError(
                f"{path} is not a policy: it does not match the policies glob {self.glob!r}",
                hint="set `policies` (--policies GLOB) to a glob that matches it",
            )
        known = sorted(
            self._slug(i) for i, lin in enumerate(history.lineages) if lin.deleted_in is None
        )
        raise NotFoundError(
            f"no policy {name!r}",
            hint=f"known policies: {', '.join(known)}"
            if known
            else f"no file matches {self.glob!r}",
        )

    def _repo_path(self, name: str) -> str | None:
        """``name`` as a path relative to the repository root, None if it cannot be a path."""
        if not name or "\0" in name:
            return None
        top = self.git.info.top
        candidate = Path(name)
        if candidate.is_absolute():
            resolved = Path(_normpath(candidate))
            for base in (top, top.resolve()):
                if resolved.is_relative_to(base):
                    return resolved.relative_to(base).as_posix()
            if resolved.resolve().is_relative_to(top.resolve()):
                return resolved.resolve().relative_to(top.resolve()).as_posix()
            raise PolicyError(
                f"{name} is outside the repository {top}",
                hint="give a path inside the repository, or the policy's slug",
            )
        relative = PurePosixPath(_normpath(PurePosixPath(name.replace("\\", "/"))))
        if relative.parts[:1] == ("..",):
            raise PolicyError(
                f"{name} is outside the repository {top}",
                hint="give a path relative to the repository root, or the policy's slug",
            )
        return relative.as_posix()

    def _slug(self, index: int) -> str:
        """A policy's slug for lookups; a file that cannot be read keeps its file-name slug
        here, so it does not hide the others (building that policy reports the error)."""
        lin = self._read_history().lineages[index]
        for revision in lin.revisions:  # newest first while walking
            try:
                head = self._head(revision)
            except PolicyError:
                continue
            return head.meta.slug or slug_from_path(lin.path)
        return slug_from_path(lin.path)

    def _policy(self, index: int) -> Policy:
        if index not in self._policies:
            self._policies[index] = self._build(self._read_history().lineages[index])
        return self._policies[index]

    def _build(self, lin: _Lineage) -> Policy:
        """The policy of a lineage; its unreadable past revisions are skipped with a warning.
        PolicyError when the current file of a living policy cannot be read (it is what
        would be published), or when no revision of a deleted one can."""
        revisions = tuple(reversed(lin.revisions))
        self._load_heads(revisions)
        if lin.deleted_in is None:
            self._head(revisions[-1])
        heads: list[_Head | None] = []
        error: PolicyError | None = None
        for rev in revisions:
            try:
                heads.append(self._head(rev))
            except PolicyError as exc:
                self._skip(rev, exc)
                heads.append(None)
                error = exc
        readable = [(rev, head) for rev, head in zip(revisions, heads, strict=True) if head]
        if not readable:
            assert error is not None
            raise error
        last, last_head = readable[-1]
        slug = last_head.meta.slug or slug_from_path(lin.path)
        versions, labels = _versions(slug, revisions, heads, self._title, self._fingerprint)
        return Policy(
            slug=slug,
            title=self._title(last, last_head),
            path=lin.path,
            revisions=revisions,
            versions=versions,
            deleted=lin.deleted_in is not None,
            revision_labels=labels,
            deleted_in=lin.deleted_in,
        )

    def _head(self, revision: Revision) -> _Head:
        """What versions need of a revision: front matter and body hash, without parsing the
        Markdown. PolicyError (with the commit) when the file cannot be read."""
        self._load_heads([revision])
        head = self._heads[revision.blob]
        if isinstance(head, PolicyError):
            raise _with_commit(head, revision)
        return head

    def _load_heads(self, revisions: Iterable[Revision]) -> None:
        """Compute the heads of many revisions, reading their blobs in pipelined batches (a
        parsed document already in memory serves instead). Errors are kept per blob and raised
        by :meth:`_head` for the revision that asks."""
        wanted: dict[str, Revision] = {}
        for revision in revisions:
            if revision.blob in self._heads or revision.blob in wanted:
                continue
            doc = self.cache.memory(revision.blob)
            if doc is not None:
                self._heads[revision.blob] = _make_head(doc.meta, doc.body)
            else:
                wanted[revision.blob] = revision
        if not wanted:
            return
        from publisher.markdown import decode_policy

        objects = self.git.cat.get_many(list(wanted))
        for (blob, revision), obj in zip(wanted.items(), objects, strict=True):
            if obj is None or obj.type != "blob":
                self.git.cat.read_blob(blob)  # raises the missing-object error
            assert obj is not None
            try:
                text = decode_policy(obj.data, path=revision.path)
                meta, body, _ = split_front_matter(text, path=revision.path)
            except PolicyError as exc:
                self._heads[blob] = exc
                continue
            self._heads[blob] = _make_head(meta, body)

    def _title(self, revision: Revision, head: _Head) -> str:
        """Front matter title, else the first heading (this parses the revision), else the
        file name."""
        if head.meta.title:
            return head.meta.title
        try:
            title = self.document(revision).title
        except PolicyError:
            title = None
        return title or PurePosixPath(revision.path).stem

    def _fingerprint(self, revision: Revision) -> str:
        """What a reader sees of a revision (:attr:`Document.fingerprint`); its body hash if
        the Markdown cannot be parsed, so that any change to it counts."""
        try:
            return self.document(revision).fingerprint
        except PolicyError:
            return self._head(revision).sha256

    # -- content -------------------------------------------------------------------------

    def read(self, revision: Revision) -> str:
        """The text of a revision (PolicyError for binary, non-UTF-8 or huge content)."""
        from publisher.markdown import decode_policy

        data = self.git.cat.read_blob(revision.blob)
        try:
            return decode_policy(data, path=revision.path)
        except PolicyError as exc:
            raise _with_commit(exc, revision) from exc

    def document(self, revision: Revision) -> Document:
        """The parsed revision, cached by blob sha in memory and on disk."""
        doc = self.cache.get(revision.blob)
        if doc is None:
            from publisher.markdown import parse_document

            text = self.read(revision)
            try:
                doc = parse_document(text, path=revision.path)
            except PolicyError as exc:
                raise _with_commit(exc, revision) from exc
            self.cache.put(revision.blob, doc)
        return doc

    # -- revisions and versions ------------------------------------------------------------

    def resolve(self, policy: Policy, rev: str) -> Revision:
        """The revision of ``policy`` that ``rev`` names: a version label, any commit-ish
        (sha, ``HEAD~2``, tag, branch; a commit outside the publishing branch reads the
        policy's file there), or a date ``YYYY-MM-DD`` (the revision in force at the end of that
        day, by commit date). NotFoundError listing the valid labels otherwise."""
        for version in policy.versions:
            if version.label == rev:
                return version.revision
        rev = rev.strip()
        commit = self.git.cat.commit(rev) if rev and not rev.startswith("-") else None
        if commit is not None:
            return self._at_commit(policy, commit.commit)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", rev):
            try:
                day = date.fromisoformat(rev)
            except ValueError:
                raise NotFoundError(
                    f"{rev!r} is not a valid date", hint="dates are YYYY-MM-DD"
                ) from None
            return self._on_day(policy, day)
        raise NotFoundError(
            f"{rev!r} is not a version, commit or date of {policy.slug}",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}; "
            "or give a commit (sha, HEAD~2, tag, branch) or a date YYYY-MM-DD",
        )

    def _at_commit(self, policy: Policy, sha: str) -> Revision:
        history = self._read_history()
        where = history.position.get(sha)
        if where is None:
            return self._off_branch(policy, sha)
        if policy.deleted_in is not None and history.position[policy.deleted_in.commit] >= where:
            raise NotFoundError(
                f"{policy.slug} was deleted in commit {policy.deleted_in.commit[:12]}, "
                f"before {sha[:12]}",
                hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
            )
        for revision in reversed(policy.revisions):
            if history.position[revision.commit] >= where:
                return revision
        raise NotFoundError(
            f"{policy.slug} did not exist yet at commit {sha[:12]} "
            f"(first revision: {policy.revisions[0].short})",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
        )

    def _off_branch(self, policy: Policy, sha: str) -> Revision:
        """The policy's file at a commit outside the publishing branch (a preview branch)."""
        info = self.git.cat.commit(sha)
        assert info is not None
        for path in reversed(policy.paths):
            obj = self.git.cat.get(f"{sha}:{path}")
            if obj is not None and obj.type == "blob":
                return Revision(
                    commit=sha,
                    path=path,
                    blob=obj.sha,
                    author_name=info.author_name,
                    author_email=info.author_email,
                    authored=info.authored,
                    committed=info.committed,
                    subject=info.subject,
                    trailers=info.trailers,
                    status="",
                )
        raise NotFoundError(
            f"{policy.path} does not exist at commit {sha[:12]}",
            hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
        )

    def _on_day(self, policy: Policy, day: date) -> Revision:
        if policy.deleted_in is not None and policy.deleted_in.committed.date() <= day:
            raise NotFoundError(
                f"{policy.slug} was deleted on {policy.deleted_in.committed.date().isoformat()}",
                hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
            )
        in_force = [r for r in policy.revisions if r.committed.date() <= day]
        if not in_force:
            raise NotFoundError(
                f"{policy.slug} did not exist yet on {day.isoformat()} "
                f"(first revision: {policy.revisions[0].committed.date().isoformat()})",
                hint=f"versions of {policy.slug}: {', '.join(policy.labels)}",
            )
        return in_force[-1]

    def version_of(self, policy: Policy, revision: Revision) -> Version | None:
        """The version a revision of ``policy`` belongs to (None for a commit outside the
        publishing branch)."""
        for rev, label in zip(policy.revisions, policy.revision_labels, strict=True):
            if rev.commit == revision.commit:
                return policy.version(label)
        return None

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the ``cat-file`` process (the reader cannot be used afterwards)."""
        if self._git is not None:
            self._git.close()

    def __enter__(self) -> PolicyRepo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _deleted(lineage: _Lineage) -> LogEntry:
    assert lineage.deleted_in is not None
    return lineage.deleted_in


def _normpath(path: Path | PurePosixPath) -> str:
    import posixpath

    return posixpath.normpath(path.as_posix())


def _with_commit(exc: PolicyError, revision: Revision) -> PolicyError:
    """The same error, saying at which commit the file was bad."""
    return PolicyError(
        f"{exc.message} (at commit {revision.short})",
        path=exc.path or revision.path,
        line=exc.line,
        hint=exc.hint,
    )


@dataclass(frozen=True)
class _Head:
    meta: PolicyMeta
    sha256: str
    effective: date | None  # from an "Effective date:" line of the body


def _make_head(meta: PolicyMeta, body: str) -> _Head:
    return _Head(meta=meta, sha256=body_sha256(body), effective=effective_date_in(body))


@dataclass
class _Run:
    label: str
    labelled: bool
    first: int
    last: int


def _versions(
    slug: str,
    revisions: tuple[Revision, ...],
    heads: list[_Head | None],
    title_of: Callable[[Revision, _Head], str],
    fingerprint_of: Callable[[Revision], str],
) -> tuple[tuple[Version, ...], tuple[str, ...]]:
    """The versions of a policy from its revisions (oldest first) and their heads (None for
    an unreadable revision, which belongs to the version before it, or the first one), and
    the label of the version each revision belongs to.

    A revision without a label starts a new version only when what a reader sees changed
    (``fingerprint_of``, asked only when the body changed); otherwise it belongs to the
    version before it, and becomes that version's content if the version is unlabelled.
    """
    runs: dict[str, _Run] = {}
    labels: list[str | None] = []
    current: _Run | None = None
    previous: tuple[Revision, _Head] | None = None
    seen: dict[tuple[str, str | None], str] = {}  # (body sha, front matter title) -> fingerprint

    def fingerprint(rev: Revision, head: _Head) -> str:
        key = (head.sha256, head.meta.title)
        if key not in seen:
            seen[key] = fingerprint_of(rev)
        return seen[key]

    for i, (rev, head) in enumerate(zip(revisions, heads, strict=True)):
        if head is None:
            labels.append(current.label if current is not None else None)
            continue
        label = head.meta.version
        if label:
            run = runs.get(label)
            if run is None:
                run = runs[label] = _Run(label, True, i, i)
            run.last = i
            current = run
        elif current is not None and previous is not None and (
            head.sha256 == previous[1].sha256
            or fingerprint(rev, head) == fingerprint(*previous)
        ):
            if not current.labelled:
                current.last = i  # nothing a reader sees changed: still the same version
        else:
            label = _date_label(rev.committed.date(), runs)
            current = runs[label] = _Run(label, False, i, i)
        labels.append(current.label)
        previous = (rev, head)
    versions: list[Version] = []
    for run in sorted(runs.values(), key=lambda r: r.first):
        first, last, head = revisions[run.first], revisions[run.last], heads[run.last]
        assert head is not None
        versions.append(
            Version(
                slug=slug,
                label=run.label,
                effective=head.meta.effective or head.effective or first.committed.date(),
                revision=last,
                first_revision=first,
                sha256=head.sha256,
                title=title_of(last, head),
                summary=head.meta.summary,
                labelled=run.labelled,
            )
        )
    first_label = versions[0].label
    return tuple(versions), tuple(label or first_label for label in labels)


def _date_label(day: date, taken: dict[str, _Run]) -> str:
    label = day.isoformat()
    n = 1
    while label in taken:
        n += 1
        label = f"{day.isoformat()}.{n}"
    return label
