"""publisher's own folder in a policy repository: ``.publisher/``.

It holds what a repository's users must never commit: the document and site caches, the
generated ``secret_key``, the default SQLite store, the demo's store and outbox. Whenever
publisher creates something in it, the folder gets a ``.gitignore`` of ``*`` first, so
``git add -A`` leaves all of it out (and a cache entry planted in a commit is the exception
that shows, not the rule). A ``.gitignore`` the user wrote there is left as it is.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

PUBLISHER_DIR = ".publisher"
"""The folder's name, relative to the repository root."""

GITIGNORE = ".gitignore"
GITIGNORE_TEXT = (
    "# Written by policy-publisher: caches, keys and local databases, never committed.\n*\n"
)


def ensure_publisher_dir(root: Path | str) -> Path:
    """``<root>/.publisher``, created if missing, with its ``.gitignore``; returns it."""
    folder = Path(root) / PUBLISHER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    _write_gitignore(folder)
    return folder


def make_folder(path: Path | str) -> Path:
    """``mkdir -p path``; when ``path`` lies inside a ``.publisher`` folder, that folder is
    made first with its ``.gitignore`` (see :func:`ensure_publisher_dir`). Returns ``path``.
    Raises OSError like :meth:`Path.mkdir`."""
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.name == PUBLISHER_DIR:
            ensure_publisher_dir(folder.parent)
            break
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and
    ``os.replace``, so readers never see a partial file (the folder is made with
    :func:`make_folder`). Raises OSError; the temporary file is removed on failure."""
    make_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_gitignore(folder: Path) -> None:
    target = folder / GITIGNORE
    if target.exists():
        return
    try:  # O_EXCL: of two processes making the folder at once, one writes the file
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(GITIGNORE_TEXT)


def create_secret_file(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` and a newline, readable by its owner only (0600), in
    one atomic step (its folder is made with :func:`make_folder`): True when this call wrote
    it, False when the file already existed (another process won the race; it is left as
    it is). Raises OSError."""
    make_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
        try:
            os.link(temporary, path)  # atomic: fails if the file exists already
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    return True
