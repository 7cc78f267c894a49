"""The repository reader: :class:`PolicyRepo`, the policies of a repository and their
history, read with one ``git log`` pass and one ``git cat-file --batch`` process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path, PurePosixPath
from types import TracebackType

from publisher.cache import DocumentCache
from publisher.config import Settings
from publisher.document import Document, PolicyMeta
from publisher.errors import GitError, NotFoundError, PolicyError
from publisher.gitio import Git, LogEntry
from publisher.history.blobs import Blobs, ReadStats
from publisher.history.families import Families, language_of
from publisher.history.globs import policy_glob
from publisher.history.naming import lineage_claims, with_files
from publisher.history.policy import Policy, Revision, Version
from publisher.history.prefetch import default_jobs
from publisher.history.renames import REGULAR, Lineage, join_lineages, walk
from publisher.history.resolve import at_commit, resolve_revision, version_of
from publisher.history.summaries import SummaryIndex
from publisher.history.versions import Head, derive_versions
from publisher.slugs import SlugClaim, slug_from_path

__all__ = ["PolicyRepo", "ReadStats"]

log = logging.getLogger("publisher.history")

#: What the default ``warn`` (the logger) already said in this process, by (repository, commit,
#: path): a command that opens the repository more than once (``build``, ``publish``: the
#: site's plugin and the version check) says each skipped revision once.
_LOGGED: set[tuple[str, str, str]] = set()


@dataclass
class _History:
    tip: str  # the commit at the tip of the branch
    position: dict[str, int]  # commit -> index in the first-parent history (0 = tip)
    lineages: list[Lineage]
    tip_files: set[str]  # every file at the tip, policy or not
    not_policies: list[str]  # files the glob matches that are plainly no policies (README.md)


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
        jobs: int | None = None,
    ) -> None:
        """``jobs``: processes that parse a cold history (default: the usable cores)."""
        self.settings = settings
        self._jobs = jobs if jobs is not None else default_jobs()
        self._warn = warn if warn is not None else log.warning
        self._log_once = warn is None
        self._warned: dict[tuple[str, str], str] = {}
        self.glob = settings.policies
        self._is_policy = policy_glob(settings.policies, settings.exclude)
        self._noted = False
        self._slugs: list[str] | None = None
        self._families: Families | None = None
        self._git: Git | None = None
        self._cache = cache
        self._history: _History | None = None
        self._policies: dict[int, Policy] = {}
        self._blob_reader: Blobs | None = None
        self.stats = ReadStats()

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        cache: DocumentCache | None = None,
        warn: Callable[[str], None] | None = None,
        jobs: int | None = None,
    ) -> PolicyRepo:
        """A reader for ``settings.root``; GitError (with a hint) when it is not a git
        repository or is a shallow clone. ``warn`` receives one line per revision skipped
        because it cannot be read (default: the ``publisher.history`` logger)."""
        repo = cls(settings, cache=cache, warn=warn, jobs=jobs)
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

    @property
    def summaries(self) -> SummaryIndex:
        """Each blob's head, fingerprint and title, on disk next to the document cache."""
        return self._blobs.summaries

    @property
    def _blobs(self) -> Blobs:
        if self._blob_reader is None:
            self._blob_reader = Blobs(self.git, self.cache, self._jobs, self.stats)
        return self._blob_reader

    def _read_history(self) -> _History:
        """The policies' lineages, walked over a stream of ``git log`` (each commit is parsed,
        walked and dropped; what stays is each commit's position and the revisions)."""
        if self._history is None:
            log = self.git.iter_log(self.settings.branch)
            first = next(log, None)  # git waits, its pipe full, while the tip tree is listed
            if first is None:
                raise GitError(
                    f"there is no commit on {self.settings.branch!r}",
                    hint="commit the policies first",
                )
            files = {entry.path: entry for entry in self.git.tree_files(first.tree)}
            policies = {
                path: entry.blob
                for path, entry in files.items()
                if entry.mode in REGULAR and self._is_policy.match(path)
            }
            position: dict[str, int] = {}

            def numbered() -> Iterator[LogEntry]:
                for i, entry in enumerate(chain([first], log)):
                    position[entry.commit] = i
                    yield entry

            lineages = walk(numbered(), self._is_policy, policies, self._copy_source)
            self._history = _History(
                tip=first.commit,
                position=position,
                lineages=self._join(lineages, position),
                tip_files=set(files),
                not_policies=sorted(
                    p
                    for p in files
                    if self._is_policy.not_a_policy(p) and not self._is_policy.is_excluded(p)
                ),
            )
        return self._history

    def _note_not_policies(self) -> None:
        """Say once which files the glob matches but are plainly not policies (README.md)."""
        skipped = self._read_history().not_policies
        if skipped and not self._noted:
            self._noted = True
            self._warn(
                f"note: skipped {', '.join(skipped)}: not policies, though the "
                f"policies glob {self.glob!r} matches them (set `exclude` to skip "
                "other files)"
            )

    def _join(self, lineages: list[Lineage], position: Mapping[str, int]) -> list[Lineage]:
        """:func:`~publisher.history.renames.join_lineages`, naming each revision by its
        front matter ``slug``, else its file name."""

        def name_at(revision: Revision) -> str:
            try:
                return self._blobs.head(revision).meta.slug or slug_from_path(revision.path)
            except PolicyError:
                return slug_from_path(revision.path)

        return join_lineages(lineages, position, name_at, self._blobs.load_heads)

    def _copy_source(
        self, entry: LogEntry, path: str, blob: str, parent: Mapping[str, str]
    ) -> str | None:
        """:meth:`.Blobs.copy_source` (``entry`` is not needed: the answer depends on the
        blobs only)."""
        return self._blobs.copy_source(path, blob, parent)

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
        if self._log_once:
            git_dir = self.git.info.git_dir  # a linked work tree's: <common>/worktrees/<name>
            common = git_dir.parent.parent if git_dir.parent.name == "worktrees" else git_dir
            logged = (str(common), *key)
            if logged in _LOGGED:
                return
            _LOGGED.add(logged)
        self._warn(message)

    @property
    def head(self) -> str | None:
        """The commit at the tip of the publishing branch (None for an empty history)."""
        return self._read_history().tip

    # -- policies ------------------------------------------------------------------------

    def policies(self, *, include_deleted: bool = False) -> list[Policy]:
        """Every policy at the tip of the branch, by path; with ``include_deleted``, also the
        policies deleted (or moved out of the glob) along the way, after them."""
        history = self._read_history()
        self._note_not_policies()
        source = self._family().source
        chosen = [
            i
            for i, lin in enumerate(history.lineages)
            if (include_deleted or lin.deleted_in is None) and source[i] == i
        ]
        self._blobs.prefetch(r for i in chosen for r in history.lineages[i].revisions)
        found: list[Policy] = []
        for i in chosen:
            try:
                found.append(self._policy(i))
            except PolicyError:
                if history.lineages[i].deleted_in is None:
                    raise  # the current file is broken
                continue  # a deleted file with no readable revision: each was warned about
        self._blobs.summaries.save()
        return found

    def policy(
        self, name: str, *, include_deleted: bool = False, language: str | None = None
    ) -> Policy:
        """The policy named by slug or path (relative to the repository root, or absolute
        inside it; a policy's former paths work too); a slug names the source of a family
        of translations, a path the file it names. ``language``: that language's member of
        the policy's family (NotFoundError listing its languages).

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
            self._blobs.load_heads(lin.revisions[0] for lin in history.lineages)
            matches = [i for i in range(len(history.lineages)) if self._slug(i) == name]
        if language is not None and matches:
            return self._in_language(matches[0], language)
        live = [i for i in matches if history.lineages[i].deleted_in is None]
        sources = self._family().source
        if len({sources[i] for i in live}) == 1 and len(live) > 1:
            live = [sources[live[0]]]
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
        # A slug names a policy in every language: its translations are lineages of it too.
        known = sorted(
            {self._slug(i) for i, lin in enumerate(history.lineages) if lin.deleted_in is None}
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
        """A policy's slug (see :func:`publisher.slugs.assign_slugs`); a translation has its
        source's."""
        if self._slugs is None:
            self._slugs = self._family().slugs(self._slug_claims(), self._is_policy.base)
        return self._slugs[index]

    def _family(self) -> Families:
        """Each lineage's language and its family's source (:mod:`.families`)."""
        if self._families is None:
            lineages = self._read_history().lineages
            self._blobs.load_heads(lin.revisions[0] for lin in lineages)
            self._families = Families.of(
                [lin.path for lin in lineages],
                [self._newest_meta(lin) for lin in lineages],
                [lin.deleted_in is None for lin in lineages],
                self.settings,
                self._is_policy.base,
            )
        return self._families

    def _newest_meta(self, lin: Lineage) -> PolicyMeta | None:
        for revision in lin.revisions:  # newest first while walking
            try:
                return self._blobs.head(revision).meta
            except PolicyError:
                continue
        return None

    def _in_language(self, index: int, language: str) -> Policy:
        """The member of ``index``'s family in ``language``."""
        families = self._family()
        head = families.source[index]
        family = [head, *families.members(head, self.settings)]
        for i in family:
            if families.found[i].language.lower() == language.lower():
                return self._policy(i)
        known = ", ".join(families.found[i].language for i in family)
        slug = self._slug(head)
        raise NotFoundError(
            f"{slug} has no {language!r} translation", hint=f"languages of {slug}: {known}"
        )

    def translations(self, policy: Policy) -> list[Policy]:
        """The translations of the source ``policy`` (or of a translation's source), in
        language order (:func:`~publisher.languages.order_languages`)."""
        history = self._read_history()
        at = next(
            (
                i
                for i, lin in enumerate(history.lineages)
                if lin.path == policy.path and lin.deleted_in is None
            ),
            None,
        )
        if at is None:
            return []
        members = self._family().members(at, self.settings)
        return [self._policy(i) for i in members]

    def languages(self, policy: Policy) -> list[str]:
        """The languages of ``policy``'s family: its source's first, then its translations'
        (without reading the translations' histories)."""
        lineages, families = self._read_history().lineages, self._family()
        at = next(
            (
                i
                for i, lin in enumerate(lineages)
                if lin.path == policy.path and lin.deleted_in is None
            ),
            None,
        )
        if at is None:
            return [policy.language]
        head = families.source[at]
        return [families.found[i].language for i in (head, *families.members(head, self.settings))]

    def meta(self, revision: Revision) -> PolicyMeta:
        """A revision's front matter (without parsing its Markdown); PolicyError when it
        cannot be read."""
        return self._blobs.head(revision).meta

    def _slug_claims(self) -> list[SlugClaim]:
        history = self._read_history()
        self._blobs.load_heads(lin.revisions[0] for lin in history.lineages)
        return lineage_claims(
            history.lineages, history.position, self._explicit_slug, self._is_policy.base
        )

    def _explicit_slug(self, lin: Lineage) -> str | None:
        """The front-matter slug of a lineage's newest readable revision; a file that
        cannot be read claims none here, so it does not hide the others (building that
        policy reports the error)."""
        for revision in lin.revisions:  # newest first while walking
            try:
                return self._blobs.head(revision).meta.slug
            except PolicyError:
                continue
        return None

    def slugs_for(self, files: Mapping[str, str | None]) -> dict[str, str]:
        """The slug of each file of ``files`` (path -> its front-matter slug or None), as if
        they replaced the tip's files of the same paths (lint's work tree or index): the
        history's policies keep their claims, new files come after them (all of them when the
        branch has no commit yet)."""
        committed = self.git.rev_parse(self.settings.branch) is not None
        claims, index = with_files(self._slug_claims() if committed else [], files)
        slugs = Families.of_claims(claims, self.settings, self._is_policy.base).slugs(
            claims, self._is_policy.base
        )
        return {path: slugs[i] for path, i in index.items()}

    def languages_for(self, files: Mapping[str, str | None]) -> dict[str, str]:
        """The language of each path of ``files`` (path -> front matter ``lang`` or None)."""
        return {
            path: language_of(
                path,
                PolicyMeta(extra={"lang": lang} if lang else {}),
                self.settings,
                self._is_policy.base,
            ).language
            for path, lang in files.items()
        }

    def _policy(self, index: int) -> Policy:
        if index not in self._policies:
            families, lineages = self._family(), self._read_history().lineages
            built = self._build(lineages[index], self._slug(index))
            head = families.source[index]
            self._policies[index] = replace(
                built,
                language=families.found[index].language,
                source=lineages[head].path if head != index else None,
            )
        return self._policies[index]

    def _build(self, lin: Lineage, slug: str) -> Policy:
        """The policy of a lineage; its unreadable past revisions are skipped with a warning.
        PolicyError when the current file of a living policy cannot be read (it is what
        would be published), or when no revision of a deleted one can."""
        revisions = tuple(reversed(lin.revisions))
        self._blobs.load_heads(revisions)
        if lin.deleted_in is None:
            self._blobs.head(revisions[-1])
        heads: list[Head | None] = []
        error: PolicyError | None = None
        for rev in revisions:
            try:
                heads.append(self._blobs.head(rev))
            except PolicyError as exc:
                self._skip(rev, exc)
                heads.append(None)
                error = exc
        readable = [(rev, head) for rev, head in zip(revisions, heads, strict=True) if head]
        if not readable:
            assert error is not None
            raise error
        last, last_head = readable[-1]
        versions, labels = derive_versions(
            slug, revisions, heads, self._blobs.title, self._blobs.fingerprint
        )
        return Policy(
            slug=slug,
            title=self._blobs.title(last, last_head),
            path=lin.path,
            revisions=revisions,
            versions=versions,
            deleted=lin.deleted_in is not None,
            revision_labels=labels,
            deleted_in=lin.deleted_in,
        )

    # -- content -------------------------------------------------------------------------

    def read(self, revision: Revision) -> str:
        """The text of a revision (PolicyError for binary, non-UTF-8 or huge content)."""
        return self._blobs.read(revision)

    def document(self, revision: Revision) -> Document:
        """The parsed revision, cached by blob sha in memory and on disk."""
        return self._blobs.document(revision)

    # -- revisions and versions ------------------------------------------------------------

    def resolve(self, policy: Policy, rev: str) -> Revision:
        """The revision of ``policy`` that ``rev`` names: a version label, any commit-ish
        (sha, ``HEAD~2``, tag, branch; a commit outside the publishing branch reads the
        policy's file there), or a date ``YYYY-MM-DD`` (the revision in force at the end of that
        day, by commit date). NotFoundError listing the valid labels otherwise."""
        return resolve_revision(self.git, self._read_history().position, policy, rev)

    def revision_at(self, policy: Policy, sha: str) -> Revision:
        """The revision of ``policy`` in force at the full commit sha ``sha`` (NotFoundError
        when it did not exist yet or was deleted by then), without asking git."""
        return at_commit(self.git, self._read_history().position, policy, sha)

    def version_of(self, policy: Policy, revision: Revision) -> Version | None:
        """The version a revision of ``policy`` belongs to (None for a commit outside the
        publishing branch)."""
        return version_of(policy, revision)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Save what was learnt of the blobs and stop the ``cat-file`` process (the reader
        cannot be used afterwards)."""
        if self._blob_reader is not None:
            self._blob_reader.summaries.close()
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


def _normpath(path: Path | PurePosixPath) -> str:
    import posixpath

    return posixpath.normpath(path.as_posix())
