"""What the reader needs of each blob: its head (front matter, body hash), its fingerprint
and title (a parse), its parsed document, and whether an added file is a copy of another.

:class:`Blobs` reads blobs through the repository's one ``cat-file --batch`` process, in
windows (never the whole history at once), remembers heads and copy checks in the summary
index (:mod:`.summaries`) and parses a cold history on every core (:mod:`.prefetch`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from publisher.cache import DocumentCache
from publisher.document import Document
from publisher.errors import PolicyError
from publisher.frontmatter import split_front_matter
from publisher.gitio import Git
from publisher.history.policy import Revision
from publisher.history.prefetch import MIN_PARALLEL, WINDOW, parse_in_pool
from publisher.history.summaries import Summary, SummaryIndex, copy_key
from publisher.history.versions import Head, make_head
from publisher.similarity import DEFAULT_MIN_SCORE, Spans, similarity, spans


@dataclass
class ReadStats:
    """What a reader did so far (diagnostics, and the tests of a warm read)."""

    blobs_read: int = 0  # blobs read from git
    documents_parsed: int = 0  # Markdown parses (each blob at most once per run)
    parsed_in_pool: int = 0  # of which by the worker processes of a cold read


class Blobs:
    """The blob-level reads of one :class:`~publisher.history.reader.PolicyRepo`."""

    def __init__(self, git: Git, cache: DocumentCache, jobs: int, stats: ReadStats) -> None:
        self.git = git
        self.cache = cache
        self.stats = stats
        self._jobs = jobs
        self._errors: dict[str, PolicyError] = {}  # blobs that cannot be read as policies
        self._spans: dict[str, Spans] = {}
        self.summaries = SummaryIndex(cache.directory)

    # -- copies ------------------------------------------------------------------------

    def copy_source(self, path: str, blob: str, parent: Mapping[str, str]) -> str | None:
        """The policy file of the parent commit that ``blob`` was copied from, chosen as
        ``git log --follow`` does: the most similar, at least 50%, same file name first.
        The answer is remembered in the summary index."""
        key = copy_key(path, blob, parent)
        known, source = self.summaries.copy_source(key)
        if known:
            return source
        source = self._find_copy_source(path, blob, parent)
        self.summaries.put_copy_source(key, source)
        return source

    def _find_copy_source(self, path: str, blob: str, parent: Mapping[str, str]) -> str | None:
        missing = sorted({blob, *parent.values()} - self._spans.keys())
        self.stats.blobs_read += len(missing)
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

    # -- heads -------------------------------------------------------------------------

    def head(self, revision: Revision) -> Head:
        """What versions need of a revision: front matter and body hash, without parsing the
        Markdown. PolicyError (with the commit) when the file cannot be read."""
        blob = revision.blob
        summary = self.summaries.get(blob) if blob not in self._errors else None
        if summary is None and blob not in self._errors:
            summary = self._load_window({blob: revision}).get(blob)
        error = self._errors.get(blob)
        if error is not None:
            raise with_commit(error, revision)
        assert summary is not None
        return summary.head

    def load_heads(self, revisions: Iterable[Revision]) -> None:
        """Compute the heads of many revisions into the summary index, reading their blobs in
        pipelined windows (a parsed document already in memory serves instead), a window of
        revisions at a time. Errors are kept per blob and raised by :meth:`head` for the
        revision that asks."""
        for window in _windows(revisions, self._errors):
            self._load_window(window)

    def _load_window(self, window: Mapping[str, Revision]) -> dict[str, Summary]:
        """The summaries of a window's blobs (blob -> a revision of it), computing the missing
        ones (not those that cannot be read: see :attr:`_errors`)."""
        known = self.summaries.get_many(window)
        wanted: list[tuple[str, Revision]] = []
        for blob, revision in window.items():
            if blob in known:
                continue
            doc = self.cache.memory(blob)
            if doc is not None:
                summary = Summary(make_head(doc.meta, doc.body), doc.fingerprint, doc.title)
                self.summaries.put(blob, summary)
                known[blob] = summary
            else:
                wanted.append((blob, revision))
        if wanted:
            known.update(self._read_heads(wanted))
        return known

    def _read_heads(self, wanted: Sequence[tuple[str, Revision]]) -> dict[str, Summary]:
        from publisher.markdown import decode_policy

        found: dict[str, Summary] = {}
        objects = self.git.cat.get_many([blob for blob, _ in wanted])
        self.stats.blobs_read += len(wanted)
        for (blob, revision), obj in zip(wanted, objects, strict=True):
            if obj is None or obj.type != "blob":
                self.git.cat.read_blob(blob)  # raises the missing-object error
            assert obj is not None
            try:
                text = decode_policy(obj.data, path=revision.path)
                meta, body, _ = split_front_matter(text, path=revision.path)
            except PolicyError as exc:
                self._errors[blob] = exc
                continue
            found[blob] = Summary(make_head(meta, body))
            self.summaries.put(blob, found[blob])
        return found

    def prefetch(self, revisions: Iterable[Revision]) -> None:
        """:meth:`load_heads`, then parse on every core the blobs whose fingerprint deriving versions may ask for
        (unlabelled or untitled revisions neither summarised nor cached yet), so that a cold
        read uses all cores (:mod:`publisher.history.prefetch`); the documents go to the
        disk cache, only fingerprints and titles come back."""
        directory = self.cache.directory
        pool = self._jobs > 1 and directory is not None
        wanted: dict[str, str] = {}
        for window in _windows(revisions, self._errors):
            known = self._load_window(window)
            for blob, revision in window.items() if pool else ():
                summary = known.get(blob)
                if (
                    blob in wanted
                    or summary is None
                    or summary.fingerprint is not None
                    or (summary.head.meta.version and summary.head.meta.title)
                ):
                    continue
                path = self.cache.path(blob)
                if self.cache.memory(blob) is not None or (path is not None and path.exists()):
                    continue
                wanted[blob] = revision.path
        if directory is None or len(wanted) < MIN_PARALLEL:
            return

        def read(names: Sequence[str]) -> list[bytes | None]:
            self.stats.blobs_read += len(names)
            return [
                obj.data if obj is not None and obj.type == "blob" else None
                for obj in self.git.cat.get_many(names)
            ]

        for blob, parsed in parse_in_pool(
            list(wanted.items()),
            read,
            directory=directory,
            version=self.cache.version,
            jobs=self._jobs,
        ):
            found = self.summaries.get(blob)
            if parsed is None or found is None:
                continue  # parsed again, and its error reported, when it is asked for
            self.stats.documents_parsed += 1
            self.stats.parsed_in_pool += 1
            self.summaries.put(blob, Summary(found.head, *parsed))

    def title(self, revision: Revision, head: Head) -> str:
        """Front matter title, else the first heading (this parses the revision), else the
        file name."""
        if head.meta.title:
            return head.meta.title
        summary = self.summaries.get(revision.blob)
        if summary is not None and summary.fingerprint is not None:
            title = summary.title
        else:
            try:
                title = self.document(revision).title
            except PolicyError:
                title = None
        return title or PurePosixPath(revision.path).stem

    def fingerprint(self, revision: Revision) -> str:
        """What a reader sees of a revision (:attr:`Document.fingerprint`); its body hash if
        the Markdown cannot be parsed, so that any change to it counts."""
        summary = self.summaries.get(revision.blob)
        if summary is not None and summary.fingerprint is not None:
            return summary.fingerprint
        try:
            return self.document(revision).fingerprint
        except PolicyError:
            return self.head(revision).sha256

    # -- content -----------------------------------------------------------------------

    def read(self, revision: Revision) -> str:
        """The text of a revision (PolicyError for binary, non-UTF-8 or huge content)."""
        from publisher.markdown import decode_policy

        data = self.git.cat.read_blob(revision.blob)
        self.stats.blobs_read += 1
        try:
            return decode_policy(data, path=revision.path)
        except PolicyError as exc:
            raise with_commit(exc, revision) from exc

    def document(self, revision: Revision) -> Document:
        """The parsed revision, cached by blob sha in memory and on disk."""
        doc = self.cache.get(revision.blob)
        if doc is None:
            from publisher.markdown import parse_document

            text = self.read(revision)
            try:
                doc = parse_document(text, path=revision.path)
            except PolicyError as exc:
                raise with_commit(exc, revision) from exc
            self.stats.documents_parsed += 1
            self.cache.put(revision.blob, doc)
        known = self.summaries.get(revision.blob)
        if known is not None:
            self.summaries.put(revision.blob, Summary(known.head, doc.fingerprint, doc.title))
        return doc


def _windows(
    revisions: Iterable[Revision], skip: Mapping[str, object]
) -> Iterator[dict[str, Revision]]:
    """The distinct blobs of ``revisions`` not in ``skip`` (blob -> a revision of it),
    :data:`WINDOW` at a time (a blob may come again in a later window)."""
    window: dict[str, Revision] = {}
    for revision in revisions:
        if revision.blob not in skip and revision.blob not in window:
            window[revision.blob] = revision
            if len(window) == WINDOW:
                yield window
                window = {}
    if window:
        yield window


def with_commit(exc: PolicyError, revision: Revision) -> PolicyError:
    """The same error, saying at which commit the file was bad."""
    return PolicyError(
        f"{exc.message} (at commit {revision.short})",
        path=exc.path or revision.path,
        line=exc.line,
        hint=exc.hint,
    )
