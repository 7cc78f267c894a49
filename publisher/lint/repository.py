"""Lint a repository: which texts to check (the work tree, the index, or a commit), and the
rules run over each, against each other and against the git history.

The texts come from one *snapshot* of the policies — every file matching the ``policies``
glob in the work tree (default), in the index (``staged=True``, what a pre-commit hook sees),
at the tip of the publishing branch (a bare repository) or at one commit (``rev``: each
commit a pre-receive hook is given) — so duplicate slugs and links are checked against the
other policies as they are there too.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from publisher.config import Settings
from publisher.document import Document
from publisher.errors import NotFoundError, PolicyError, PublisherError
from publisher.frontmatter import split_front_matter, validate_front_matter
from publisher.gitio import TreeEntry
from publisher.history import Policy, PolicyRepo
from publisher.history.globs import policy_glob
from publisher.lint.findings import (
    RULES,
    Finding,
    finding_from_error,
    key_line,
    silenced,
    sort_findings,
)
from publisher.lint.limits import limit_findings
from publisher.lint.links import policy_link_findings
from publisher.lint.numbering import numbering_findings
from publisher.lint.references import dangling_reference_findings
from publisher.lint.translations import translation_findings
from publisher.lint.versions import notice_period_findings, unversioned_change_findings
from publisher.markdown import decode_policy, parse_document


@dataclass(frozen=True)
class LintTarget:
    """One policy file to check: its path as shown to the user and its text."""

    path: str
    source: str
    unreadable: PublisherError | None = None
    """Why the file could not be read as text (binary, not UTF-8, too large), if so."""


@dataclass(frozen=True)
class LintReport:
    """What a lint run found, which policies it checked, and the given paths it skipped
    because they are not policies (they do not match the ``policies`` glob)."""

    findings: list[Finding]
    checked: list[str]
    skipped: list[str] = field(default_factory=list)
    where: str = "work tree"

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def lint_source(target: LintTarget) -> tuple[Document | None, list[Finding]]:
    """Parse one policy and run the rules that need nothing else: front matter, numbering,
    dangling references. No document when the front matter is broken."""
    errors = validate_front_matter(target.source, path=target.path)
    if errors:
        return None, [finding_from_error(e) for e in errors]
    try:
        document = parse_document(target.source, path=target.path)
    except PublisherError as exc:
        return None, [finding_from_error(exc)]
    findings = numbering_findings(document, target.path, target.source)
    findings += dangling_reference_findings(document, target.source, target.path)
    return document, findings


# ------------------------------------------------------------------------------ snapshots


def _decoded(path: str, data: bytes) -> LintTarget:
    try:
        return LintTarget(path, decode_policy(data, path=path))
    except PublisherError as exc:
        return LintTarget(path, "", unreadable=exc)


@dataclass
class _Snapshot:
    """The policies as they are in one place, and which other files exist there."""

    where: str
    files: dict[str, LintTarget]
    others: frozenset[str] | None = None
    """Every file's path (None: look in the work tree at ``root``)."""
    root: Path | None = None

    def exists(self, path: str) -> bool:
        if self.others is not None:
            return path in self.others
        return self.root is not None and (self.root / path).is_file()


def _work_tree(settings: Settings, root: Path) -> _Snapshot:
    is_policy = policy_glob(settings.policies, settings.exclude)
    files = {
        relative: p
        for p in sorted(root.glob(settings.policies))
        if p.is_file() and is_policy.match(relative := p.relative_to(root).as_posix())
    }
    return _Snapshot(
        "work tree", {k: _decoded(k, p.read_bytes()) for k, p in files.items()}, root=root
    )


def _from_entries(repo: PolicyRepo, entries: Sequence[TreeEntry], where: str) -> _Snapshot:
    is_policy = policy_glob(repo.settings.policies, repo.settings.exclude)
    files = {
        e.path: _decoded(e.path, repo.git.cat.read_blob(e.blob))
        for e in entries
        if e.mode in ("100644", "100755") and is_policy.match(e.path)
    }
    return _Snapshot(where, files, others=frozenset(e.path for e in entries))


# ------------------------------------------------------------------------- the repository


class _Policies:
    """The snapshot's policies and their committed history: the link check's resolver."""

    def __init__(self, repo: PolicyRepo, snapshot: _Snapshot, has_history: bool) -> None:
        self.repo = repo
        self.snapshot = snapshot
        self.has_history = has_history
        explicit: dict[str, str | None] = {}
        declared: dict[str, str | None] = {}
        for path, target in snapshot.files.items():
            try:
                meta = split_front_matter(target.source, path=path)[0]
            except PolicyError:
                explicit[path] = declared[path] = None
                continue
            explicit[path] = meta.slug
            lang = meta.extra.get("lang")
            declared[path] = lang if isinstance(lang, str) else None
        self._slugs = repo.slugs_for(explicit)
        self.languages = repo.languages_for(declared)
        """Each file's language: translations share their source's slug."""
        self._documents: dict[str, Document | None] = {}
        self._history: dict[str, Policy | PolicyError | None] = {}

    # -- LinkResolver ------------------------------------------------------------------

    def slugs(self) -> Collection[str]:
        return set(self._slugs.values())

    def slug_at(self, path: str) -> str | None:
        return self._slugs.get(path)

    def exists(self, path: str) -> bool:
        return self.snapshot.exists(path)

    def labels(self, slug: str) -> Collection[str]:
        found: set[str] = set()
        for path in self.paths_of(slug):
            history = self.history(path)
            if isinstance(history, Policy):
                found.update(history.labels)
            document = self.document(path)
            if document is not None and document.meta.version:
                found.add(document.meta.version)
        return found

    def document_of(self, slug: str, label: str | None = None) -> Document | None:
        for path in self.paths_of(slug):
            document = self.document(path)
            if document is not None and (label is None or document.meta.version == label):
                return document
            history = self.history(path)
            if label is not None and isinstance(history, Policy) and label in history.labels:
                try:
                    return self.repo.document(history.version(label).revision)
                except PublisherError:
                    return None
        return None

    # -- shared ------------------------------------------------------------------------

    def paths_of(self, slug: str) -> list[str]:
        """The snapshot's files whose policy has this slug."""
        return [p for p, s in self._slugs.items() if s == slug]

    def document(self, path: str) -> Document | None:
        """The parsed policy at ``path`` in the snapshot (None if it does not parse)."""
        if path not in self._documents:
            target = self.snapshot.files.get(path)
            document: Document | None = None
            if target is not None and target.unreadable is None:
                try:
                    document = parse_document(target.source, path=path)
                except PublisherError:
                    document = None
            self._documents[path] = document
        return self._documents[path]

    def history(self, path: str) -> Policy | PolicyError | None:
        """The committed policy at ``path`` (None for a new one), or why its history
        cannot be read."""
        if not self.has_history:
            return None
        if path not in self._history:
            try:
                self._history[path] = self.repo.policy(path)
            except NotFoundError:
                self._history[path] = None
            except PolicyError as exc:
                self._history[path] = exc
        return self._history[path]


def _repo_path(given: str, root: Path, snapshot: _Snapshot) -> str:
    """A given path as a repository path: relative to the working directory, else to the
    repository root (``publisher -C REPO lint policies/x.md``)."""
    candidates = [Path(given)] if Path(given).is_absolute() else [Path.cwd() / given, root / given]
    outside = False
    for full in candidates:
        try:
            relative = full.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            outside = outside or full.exists()
            continue
        if relative in snapshot.files or snapshot.exists(relative):
            return relative
    if outside:
        raise NotFoundError(
            f"{given} is outside the repository {root}",
            hint="give the path of a policy in this repository",
        )
    if snapshot.root is None:
        raise NotFoundError(
            f"{given} is not in the {snapshot.where}",
            hint="stage it with `git add`, or lint the work tree",
        )
    raise NotFoundError(f"no such file: {given}", hint="give the path of a policy file")


def _changed_by(repo: PolicyRepo, rev: str, entries: Sequence[TreeEntry]) -> list[str]:
    """The paths of ``entries`` (the tree of commit ``rev``) that the commit adds or changes
    relative to its first parent (all of them for a root commit)."""
    commit = repo.git.cat.commit(rev)
    if commit is None or not commit.parents:
        return [e.path for e in entries]
    before = {e.path: e.blob for e in repo.git.tree_files(commit.parents[0])}
    return [e.path for e in entries if before.get(e.path) != e.blob]


def _chosen(
    repo: PolicyRepo, snapshot: _Snapshot, paths: Sequence[str], only: list[str] | None
) -> tuple[list[str], list[str]]:
    """(the policies to check, the given paths that are no policies). ``only``: the paths
    staged, or changed by the commit, when only those are checked."""
    if only is not None and not paths:
        return [p for p in only if p in snapshot.files], []
    if not paths:
        return list(snapshot.files), []
    root = repo.git.info.top
    is_policy = policy_glob(repo.settings.policies, repo.settings.exclude)
    checked: list[str] = []
    skipped: list[str] = []
    for given in paths:
        relative = _repo_path(given, root, snapshot)
        if relative in snapshot.files:
            checked.append(relative)
        elif snapshot.root is not None and is_policy.match(relative):
            # a policy file the glob walk did not list (behind a symlinked folder)
            snapshot.files[relative] = _decoded(relative, (root / relative).read_bytes())
            checked.append(relative)
        else:
            skipped.append(given)
    return list(dict.fromkeys(checked)), skipped


def _duplicate_slugs(policies: _Policies, targets: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    for path in targets:
        slug = policies.slug_at(path)
        language = policies.languages.get(path)
        others = (
            [
                p
                for p in policies.paths_of(slug)
                if p != path and policies.languages.get(p) == language
            ]
            if slug
            else []
        )
        if others:
            source = policies.snapshot.files[path].source
            findings.append(
                Finding(
                    "duplicate-slug",
                    "error",
                    path,
                    key_line(source, "slug"),
                    f"slug {slug!r} is also used by {', '.join(others)}",
                    "give one of them its own `slug:` in the front matter (or rename the file)",
                )
            )
    return findings


def run_lint(
    settings: Settings,
    paths: Sequence[str] = (),
    *,
    staged: bool = False,
    index_file: str | None = None,
    rev: str | None = None,
    today: date | None = None,
    trailers: Sequence[tuple[str, str]] = (),
    select: Collection[str] | None = None,
    ignore: Collection[str] = (),
    only_changed: bool = False,
) -> LintReport:
    """Lint policies against each other and against their git history.

    Default: the given paths (every policy when none) in the work tree, or every policy at
    the tip of ``settings.branch`` in a bare repository. ``staged``: the policies changed in
    the index (``index_file``: a hook's ``GIT_INDEX_FILE``), as they are staged. ``rev``:
    every policy at that commit, with the history up to it (a pushed commit); with
    ``only_changed``, only the policies that commit adds or changes relative to its first
    parent (each commit of a push before its tip). ``today``
    dates text that is not committed yet (notice-period); ``trailers`` are those of the
    commit being made (a ``Policy-Change`` override). ``select``/``ignore`` choose rules.
    """
    today = today or date.today()
    rules = set(select if select is not None else RULES) - set(ignore)
    if rev is not None:
        settings = replace(settings, branch=rev)
    with PolicyRepo.open(settings) as repo:
        info = repo.git.info
        has_history = repo.git.rev_parse(settings.branch) is not None
        only: list[str] | None = None
        if only_changed and rev is None:
            raise PublisherError(
                "only the policies changed by a commit: which commit?", hint="give the commit (rev)"
            )
        if info.bare or rev is not None:
            if paths or staged:
                raise PublisherError(
                    "there are no files to lint by path or in an index in a bare repository "
                    "or a commit",
                    hint="lint in a work tree, or run without paths to lint the branch tip",
                )
            if not has_history:
                if rev is not None:
                    raise NotFoundError(
                        f"there is no commit {rev!r}", hint="give a branch, tag or commit sha"
                    )
                return LintReport([], [], where="empty repository")
            entries = repo.git.tree_files(settings.branch)
            snapshot = _from_entries(repo, entries, f"commit {settings.branch}")
            if only_changed:
                only = _changed_by(repo, settings.branch, entries)
        elif staged:
            snapshot = _from_entries(repo, repo.git.index_files(index_file=index_file), "index")
            only = repo.git.staged_paths(index_file=index_file)
        else:
            snapshot = _work_tree(settings, info.top)
        policies = _Policies(repo, snapshot, has_history)
        targets, skipped = _chosen(repo, snapshot, paths, only)
        findings: list[Finding] = []
        if "duplicate-slug" in rules:
            findings += _duplicate_slugs(policies, targets)
        for path in targets:
            findings += _lint_one(policies, snapshot.files[path], rules, settings, today, trailers)
        kept = [f for f in findings if f.rule in rules or f.severity == "warning"]
        return LintReport(sort_findings(kept), targets, skipped, snapshot.where)


def _lint_one(
    policies: _Policies,
    target: LintTarget,
    rules: set[str],
    settings: Settings,
    today: date,
    trailers: Sequence[tuple[str, str]],
) -> list[Finding]:
    if target.unreadable is not None:
        return [finding_from_error(target.unreadable, rule="encoding")]
    document, findings = lint_source(target)
    if document is None:
        return silenced(findings, target.source)
    if "limits" in rules:
        findings += limit_findings(
            document, target.source, target.path, policies.slug_at(target.path) or ""
        )
    if "policy-link" in rules:
        findings += policy_link_findings(
            document, target.source, target.path, policies, site_url=settings.site_url
        )
    history = policies.history(target.path)
    if isinstance(history, PolicyError):
        findings.append(
            Finding(
                "front-matter",
                "warning",
                target.path,
                1,
                f"the history of this policy cannot be read, so it was not checked against "
                f"it: {history.message}",
                history.hint or "an earlier commit has a broken policy file",
            )
        )
    elif history is not None:
        repo = policies.repo
        if "unversioned-change" in rules:
            findings += unversioned_change_findings(
                repo, history, target.path, target.source, document
            )
        if "notice-period" in rules:
            findings += notice_period_findings(
                repo,
                history,
                target.path,
                target.source,
                document,
                notice_days=settings.notice_days,
                today=today,
                trailers=trailers,
            )
        if history.is_translation and rules & {"translation-lag", "translation-structure"}:
            findings += translation_findings(
                repo, history, target.path, target.source, document, rules, settings, today
            )
    return silenced(findings, target.source)


def lint_repository(
    settings: Settings, paths: Sequence[str] = (), *, today: date | None = None
) -> list[Finding]:
    """The findings of :func:`run_lint` in the work tree (or at the tip of a bare
    repository), sorted by file and line."""
    return run_lint(settings, paths, today=today).findings
