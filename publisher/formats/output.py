"""Writing a document out: never binary to a terminal, never a half-written file."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from publisher.errors import PublisherError
from publisher.workdir import write_file_atomically


class OutputError(PublisherError):
    """A document cannot be written where it was asked to go."""


def refuse_terminal(stream: TextIO, fmt: str) -> None:
    """OutputError when ``stream`` is a terminal: a .docx or .pdf there is noise."""
    if stream.isatty():
        raise OutputError(
            f"refusing to write {fmt} (binary) to a terminal",
            hint=f"give --output FILE.{fmt}, or redirect stdout to a file",
        )


def write_output(path: str | Path, data: bytes, *, force: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, then a rename).

    With ``force=False`` an existing file is refused (OutputError)."""
    target = Path(path)
    if not force and target.exists():
        raise OutputError(f"{target} exists", hint="give --force to overwrite it")
    if not target.parent.is_dir():
        raise OutputError(
            f"{target.parent} is no directory", hint="create it first, or give another --output"
        )
    try:
        write_file_atomically(target, data)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", path=target) from None
