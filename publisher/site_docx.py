"""The site's Word redlines, made in worker processes.

A Word redline is the costliest part of a cold build, and the one whose memory peaks: the
.docx of a long policy is an lxml tree of every paragraph and tracked change, allocated by
libxml2 outside Python's heap. :class:`DocxMaker` makes them in a small process pool (the
cores this process may use; not ``max_tasks_per_child``, which can hang the pool on Python
3.11–3.12, cpython#115634): a worker reads the change set from the site
cache and the two documents from the document cache, both on disk, renders the .docx and
writes it into the site cache. The build waits for a policy's redlines before writing its
pages. Anything a worker cannot find (a change set the cache could not store, no cache
directory, a single core) is made in this process instead, as before.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from publisher.diff import Side

__all__ = ["DocxJob", "DocxMaker"]

MIN_PARALLEL = 16
"""The first redlines of a build are made in this process: a pool costs its start-up, which
a rebuild after one commit (a few new redlines) would not win back."""


@dataclass(frozen=True)
class DocxJob:
    """What a worker needs to make one Word redline (all of it on disk but the labels)."""

    site_cache: str
    """The directory of the :class:`~publisher.site_cache.SiteCache` (its parent)."""
    documents: str
    document_version: str
    changeset_key: str
    policy: str | None
    old: Side
    new: Side
    old_blob: str
    new_blob: str
    author: str
    authored: datetime
    docx_key: str


def make_docx(job: DocxJob) -> bool:
    """Make and cache the Word redline of ``job``; False when an input is not on disk."""
    from publisher.cache import DocumentCache
    from publisher.diff import ChangeSet
    from publisher.site_cache import SiteCache
    from publisher.site_pages import docx_bytes

    cache = SiteCache(job.site_cache)
    found = cache.get("changesets", job.changeset_key)
    documents = DocumentCache(job.documents, version=job.document_version, memory_limit=0)
    old, new = documents.get(job.old_blob), documents.get(job.new_blob)
    if not isinstance(found, ChangeSet) or old is None or new is None:
        return False
    changeset = found.labelled(policy=job.policy, old=job.old, new=job.new)
    data = docx_bytes(changeset, old, new, job.author, job.authored)
    cache.put_bytes("docx", job.docx_key, data)
    return True


class DocxMaker:
    """Word redlines made by a process pool (started at the first one), or in this process
    with ``jobs`` 1."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._seen = 0
        self.by_workers = 0
        """Redlines the workers made."""
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[Future[bool], Callable[[], None]]] = []

    def submit(self, job: DocxJob, here: Callable[[], None]) -> None:
        """Make ``job``'s redline in a worker; ``here`` makes it in this process (the first
        :data:`MIN_PARALLEL`, with one core, or when the worker could not)."""
        self._seen += 1
        if self.jobs < 2 or self._seen <= MIN_PARALLEL:
            here()
            return
        if self._pool is None:
            # forkserver (spawn where there is none): never fork a process that may run
            # threads (as publisher.history.prefetch does)
            method = (
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            )
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context(method),
            )
        self._pending.append((self._pool.submit(make_docx, job), here))

    def wait(self) -> None:
        """Until every redline submitted is in the site cache."""
        pending, self._pending = self._pending, []
        for future, here in pending:
            try:
                made = future.result()
            except Exception:  # a broken worker, or an error that ``here`` reports
                made = False
            if made:
                self.by_workers += 1
            else:
                here()

    def close(self) -> None:
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
