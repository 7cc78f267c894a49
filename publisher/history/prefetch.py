"""Parse many revisions at once on every core, for a cold read (issue 14).

A cold ``list`` or ``build`` must parse most blobs of the history once (for the fingerprint
of what a reader sees, and to cache the document for the site). The parses are independent,
so :func:`parse_in_pool` spreads them over a process pool: each worker decodes and parses a
blob, writes the document into the disk cache (as :class:`~publisher.cache.DocumentCache`
does) and sends back only its fingerprint and title, so no process ever holds every parsed
revision. Blobs are read and sent in windows of :data:`WINDOW`, so memory stays bounded
by a window, not the history.

A blob that does not parse comes back as None: the reader parses it again when it is asked
for, and reports the error then, with the commit (so a bad revision costs a second parse,
never a wrong answer).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from publisher.errors import PolicyError

#: Blobs read from git and handed to the pool at a time.
WINDOW = 256
#: Fewer parses than this are done in the process itself (a pool costs its start-up).
MIN_PARALLEL = 64

Parsed = tuple[str, str | None] | None  # (fingerprint, title), or None: did not parse


def default_jobs() -> int:
    """Worker processes: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _parse(item: tuple[str, str, bytes, str | None, str]) -> Parsed:
    blob, path, data, directory, version = item
    from publisher.cache import DocumentCache
    from publisher.markdown import decode_policy, parse_document

    try:
        doc = parse_document(decode_policy(data, path=path), path=path)
    except PolicyError:
        return None
    if directory is not None:
        DocumentCache(directory, version=version, memory_limit=0).put(blob, doc)
    return doc.fingerprint, doc.title


def parse_in_pool(
    wanted: Sequence[tuple[str, str]],
    read: Callable[[Sequence[str]], Sequence[bytes | None]],
    *,
    directory: Path | None,
    version: str,
    jobs: int,
) -> Iterator[tuple[str, Parsed]]:
    """Parse the blobs of ``wanted`` ((blob, path) pairs) in ``jobs`` processes, reading them
    window by window through ``read``; yields (blob, parsed) as windows complete."""
    folder = str(directory) if directory is not None else None
    # forkserver (spawn where there is none): never fork a process that runs threads (the
    # acceptance service reads history too)
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    pool: Executor = ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context(method)
    )
    with pool:
        for start in range(0, len(wanted), WINDOW):
            window = wanted[start : start + WINDOW]
            datas = read([blob for blob, _ in window])
            items = [
                (blob, path, data, folder, version)
                for (blob, path), data in zip(window, datas, strict=True)
                if data is not None
            ]
            chunk = max(1, len(items) // (jobs * 4))
            for item, parsed in zip(items, pool.map(_parse, items, chunksize=chunk), strict=True):
                yield item[0], parsed
