"""Import a file: choose the reader by its suffix, nest, find the effective date, write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from publisher.errors import PolicyError
from publisher.importing.docx import docx_lines
from publisher.importing.html import html_lines
from publisher.importing.lines import Line, date_line
from publisher.importing.text import text_lines
from publisher.importing.tree import build
from publisher.importing.write import to_markdown

SUFFIXES = {".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text", ".text": "text"}
"""The file kinds ``import`` reads, by suffix (anything else: give ``kind``)."""


@dataclass(frozen=True)
class Imported:
    """A policy file made from an existing policy: its Markdown, the title and effective
    date found, and one message per thing that could not be placed as written."""

    markdown: str
    title: str | None
    effective: date | None
    unplaced: tuple[str, ...]


def _effective(lines: list[Line], unplaced: list[str]) -> date | None:
    """The effective date, else the last-updated date, from the date lines."""
    found: dict[str, date] = {}
    for line in lines:
        if line.kind not in ("paragraph", "heading"):
            continue
        meta = date_line(line.text)
        if meta is None:
            continue
        label, when = meta
        if when is None:
            unplaced.append(
                f"line {line.where}: the date in “{line.text}” is not understood; "
                "no effective date set from it"
            )
            continue
        found.setdefault("effective" if label.lower().startswith("effective") else "updated", when)
    return found.get("effective") or found.get("updated")


def import_bytes(data: bytes, *, kind: str, path: str = "<input>") -> Imported:
    """Import ``data`` read as ``kind`` (``docx``, ``html`` or ``text``)."""
    unplaced: list[str] = []
    if kind == "docx":
        title, lines, unplaced = docx_lines(data, path=path)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if kind == "text":
                raise PolicyError(
                    f"not UTF-8 text (byte {exc.start})",
                    path=path,
                    hint="save the text as UTF-8 and try again",
                ) from None
            text = data.decode("latin-1")
        if kind == "html":
            title, lines, unplaced = html_lines(text)
        else:
            title, lines = text_lines(text)
    if not lines:
        raise PolicyError(
            "no policy text found",
            path=path,
            hint="is this the policy itself (not an empty page or a link list)?",
        )
    effective = _effective(lines, unplaced)
    built = build(lines)
    markdown = to_markdown(built.nodes, title=title, effective=effective)
    return Imported(markdown, title, effective, tuple(unplaced + built.unplaced))


def import_file(path: str | Path, *, kind: str | None = None) -> Imported:
    """Import the file at ``path``; its kind from its suffix unless given."""
    file = Path(path)
    kind = kind or SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise PolicyError(
            f"cannot tell what kind of file {file.suffix or 'this'} is",
            path=path,
            hint="give --kind docx, html or text",
        )
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise PolicyError("no such file", path=path) from None
    except IsADirectoryError:
        raise PolicyError("is a directory", path=path) from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", path=path) from None
    return import_bytes(data, kind=kind, path=str(path))
