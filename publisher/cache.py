"""On-disk cache of parsed documents, keyed by git blob sha.

A blob's content never changes, so a parsed :class:`~publisher.document.Document` is valid for
as long as the parser is the same: each entry records the parser version it was made with
(:data:`PARSER_VERSION`) and is ignored when that differs. Entries live in
``<dir>/documents/<blob[:2]>/<blob>.json``, are written atomically (a temporary file, then
``os.replace``), and a corrupt or unreadable entry is treated as missing and rewritten. The
cache is an optimisation only: failing to write it never fails a command.

The entries are plain JSON (:func:`encode_document` / :func:`decode_document`), never
pickles: the cache lives in the repository (``.publisher/cache``, ignored by the
``.gitignore`` publisher writes there), and a file someone commits or plants there must not
run code. Dates are ISO strings. The front matter's ``extra`` values round-trip exactly for
what YAML front matter holds (mappings, lists, strings, numbers, booleans, null, dates and
timestamps); a document whose ``extra`` holds anything else (a set, binary data) is kept in
memory only, never on disk.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from publisher import __version__
from publisher.document import Clause, Document, PolicyMeta
from publisher.workdir import write_file_atomically

log = logging.getLogger(__name__)


def _parser_version() -> str:
    """The parser's declared version (``publisher.markdown.PARSER_VERSION``, else the package
    version) plus a fingerprint of the modules that turn bytes into a Document and of mistune's
    version, so that any change to the parser invalidates the cache, declared or not."""
    import mistune

    from publisher import (
        clause_tree,
        document,
        frontmatter,
        html_blocks,
        html_text,
        markdown,
        marks,
        mistune_lines,
    )

    declared = str(getattr(markdown, "PARSER_VERSION", __version__))
    digest = hashlib.sha256(f"mistune {getattr(mistune, '__version__', '?')}".encode())
    for module in (
        markdown,
        frontmatter,
        document,
        html_blocks,
        html_text,
        marks,
        mistune_lines,
        clause_tree,
    ):
        source = getattr(module, "__file__", None)
        if source:
            digest.update(Path(source).read_bytes())
    return f"{declared}+{digest.hexdigest()[:16]}"


#: What a cached document depends on besides the blob: the parser, and this cache's format.
PARSER_VERSION = _parser_version()
_FORMAT = 2


#: Parsed documents a disk-backed cache keeps in memory (the most recently used): enough for
#: the versions of the policy being worked on, flat however long the history is.
MEMORY_LIMIT = 256


class DocumentCache:
    """Parsed documents by blob sha: in memory for this process, and on disk across runs.

    With a directory, memory holds only the ``memory_limit`` most recently used documents
    (the others are a disk read away, never a second parse), so a run over thousands of
    revisions stays flat in memory; a memory-only cache (``directory`` None) keeps all.
    """

    def __init__(
        self,
        directory: Path | str | None,
        *,
        version: str = PARSER_VERSION,
        memory_limit: int | None = MEMORY_LIMIT,
    ) -> None:
        """``directory`` None keeps the cache in memory only (and unbounded)."""
        self.directory = Path(directory) if directory is not None else None
        self.version = version
        self.memory_limit = memory_limit if self.directory is not None else None
        self._memory: OrderedDict[str, Document] = OrderedDict()

    def _remember(self, blob: str, doc: Document) -> None:
        self._memory[blob] = doc
        self._memory.move_to_end(blob)
        if self.memory_limit is not None:
            while len(self._memory) > self.memory_limit:
                self._memory.popitem(last=False)

    def path(self, blob: str) -> Path | None:
        """Where the entry for ``blob`` lives on disk (None for a memory-only cache)."""
        if self.directory is None:
            return None
        return self.directory / "documents" / blob[:2] / f"{blob}.json"

    def memory(self, blob: str) -> Document | None:
        """The document of ``blob`` if this process already holds it (no disk access)."""
        return self._memory.get(blob)

    def get(self, blob: str) -> Document | None:
        """The cached document of ``blob``, or None (missing, stale, corrupt)."""
        doc = self._memory.get(blob)
        if doc is not None:
            self._memory.move_to_end(blob)
            return doc
        path = self.path(blob)
        if path is None:
            return None
        collecting = gc.isenabled()
        try:
            with path.open("rb") as fh:
                data = fh.read()
            gc.disable()  # decoding builds many objects: skip needless collections
            entry = json.loads(data)
            if not (
                isinstance(entry, list)
                and len(entry) == 4
                and entry[:3] == [_FORMAT, self.version, blob]
            ):
                return None  # another format, parser or blob
            doc = decode_document(entry[3])
        except FileNotFoundError:
            return None
        except Exception as exc:  # any unreadable entry (truncated, foreign, old) is a miss
            log.debug("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        finally:
            if collecting:
                gc.enable()
        self._remember(blob, doc)
        return doc

    def put(self, blob: str, doc: Document) -> None:
        """Remember ``doc`` as the parse of ``blob`` (in memory, and on disk if possible)."""
        self._remember(blob, doc)
        path = self.path(blob)
        if path is None:
            return
        try:
            encoded = encode_document(doc)
        except _NotJsonSafe as exc:
            log.debug("keeping %s in memory only: %s", blob, exc)
            return
        data = json.dumps(
            [_FORMAT, self.version, blob, encoded], ensure_ascii=False, separators=(",", ":")
        )
        write_atomically(path, data.encode("utf-8"))

    def __contains__(self, blob: str) -> bool:
        return self.get(blob) is not None

    def __len__(self) -> int:
        """Documents held in memory (for diagnostics)."""
        return len(self._memory)


def write_atomically(path: Path, data: bytes, *, what: str = "the document cache") -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace`` (readers never
    see a partial entry). Failures are logged: the cache is an optimisation."""
    try:
        write_file_atomically(path, data)
    except OSError as exc:
        log.warning("cannot write %s at %s: %s", what, path, exc)


# ------------------------------------------------------------------------ the JSON format
#
# A document is a list [meta, title, clauses, body, body_start_line]; meta is
# [title, slug, version, effective (ISO date or null), summary, notice_days, extra]; a
# clause is [id, kind, number, heading, text, children, first line, last line, level], then
# [links, emphasis, cells] when any of them is set.
# Positional lists keep the files small and the decoding fast; the field order is part of
# the cache format, and PARSER_VERSION fingerprints document.py, so a changed model
# invalidates every entry.


class _NotJsonSafe(ValueError):
    """A value the cache cannot store exactly."""


def encode_document(doc: Document) -> list[Any]:
    """``doc`` as JSON-ready lists (see the module docstring); raises ValueError when its
    front matter's ``extra`` holds something JSON cannot carry exactly."""
    return [
        encode_meta(doc.meta),
        doc.title,
        [_encode_clause(c) for c in doc.clauses],
        doc.body,
        doc.body_start_line,
    ]


def decode_document(data: Any) -> Document:
    """The document :func:`encode_document` encoded; raises ValueError, TypeError or
    KeyError on anything else."""
    meta, title, clauses, body, body_start_line = data
    return Document(
        meta=decode_meta(meta),
        title=title,
        clauses=tuple([_decode_clause(c) for c in clauses]),
        body=body,
        body_start_line=body_start_line,
    )


def encode_meta(meta: PolicyMeta) -> list[Any]:
    """Front matter as a JSON-ready list; ValueError when ``extra`` is not JSON-safe."""
    return [
        meta.title,
        meta.slug,
        meta.version,
        meta.effective.isoformat() if meta.effective is not None else None,
        meta.summary,
        meta.notice_days,
        _encode_extra(meta.extra),
    ]


def decode_meta(data: Any) -> PolicyMeta:
    """The front matter :func:`encode_meta` encoded (ValueError, TypeError otherwise)."""
    title, slug, version, effective, summary, notice_days, extra = data
    return PolicyMeta(
        title=title,
        slug=slug,
        version=version,
        effective=date.fromisoformat(effective) if effective is not None else None,
        summary=summary,
        notice_days=notice_days,
        extra=_decode_extra(extra),
    )


def _encode_clause(c: Clause) -> list[Any]:
    first, last = c.lines
    encoded = [
        c.id,
        c.kind,
        c.number,
        c.heading,
        c.text,
        [_encode_clause(child) for child in c.children],
        first,
        last,
        c.level,
    ]
    if c.links or c.emphasis or c.cells:
        encoded.append(
            [
                [list(p) for p in c.links],
                [list(p) for p in c.emphasis],
                [list(row) for row in c.cells],
            ]
        )
    return encoded


def _decode_clause(data: list[Any]) -> Clause:
    id_, kind, number, heading, text, children, first, last, level, *marks = data
    links: tuple[tuple[Any, ...], ...] = ()
    emphasis: tuple[tuple[Any, ...], ...] = ()
    cells: tuple[tuple[Any, ...], ...] = ()
    if marks:
        links, emphasis, cells = (tuple(tuple(p) for p in part) for part in marks[0])
    return Clause(
        id_,
        kind,
        number,
        heading,
        text,
        tuple([_decode_clause(c) for c in children]) if children else (),
        (first, last),
        level,
        links,
        emphasis,
        cells,
    )


# Front matter ``extra``: JSON objects are tagged, so that a date and a mapping that merely
# looks like one stay apart: {"$map": [[key, value], …]} (keys of any YAML type), {"$date":
# "2024-03-07"}, {"$datetime": "2024-03-07T12:00:00+00:00"}. Lists and scalars are as is.


def _encode_extra(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list):
        return [_encode_extra(item) for item in value]
    if isinstance(value, dict):
        return {"$map": [[_encode_extra(k), _encode_extra(v)] for k, v in value.items()]}
    raise _NotJsonSafe(f"front matter value of type {type(value).__name__}")


def _decode_extra(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_extra(item) for item in value]
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "$map":
            return {_hashable(_decode_extra(k)): _decode_extra(v) for k, v in inner}
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        raise ValueError(f"unknown tag {tag!r}")
    return value


def _hashable(key: Any) -> Any:
    if isinstance(key, list | dict):
        raise TypeError("a mapping key must be a scalar")
    return key


# -------------------------------------------------------------- values of other caches


class ValueCodec:
    """JSON for the values of other caches (the site's change sets and page fragments).

    An entry is ``{"objects": [...], "value": ...}``: every instance of a registered
    dataclass is written once in ``objects`` as ``[class name, field values…]``, its
    fields before it, and referred to as ``{"#": index}`` (a change set refers to the same
    clauses many times: as the change's clause, its parent, a child). Tuples are arrays,
    dates ``{"$date": iso}`` (``$datetime``), other scalars as they are. Every array decodes
    to a tuple (the cached values are frozen dataclasses holding tuples); a list, dict or
    any other type cannot be encoded (ValueError: the caller keeps the value in memory
    only). Decoding builds only the registered classes, from JSON values: a planted file
    cannot do more than be a miss or a wrong value.
    """

    def __init__(self, classes: Iterable[type]) -> None:
        self._classes: dict[str, type] = {}
        self._fields: dict[type, tuple[str, ...]] = {}
        for cls in classes:
            if not is_dataclass(cls) or cls.__name__ in self._classes:
                raise ValueError(f"cannot register {cls!r}")
            self._classes[cls.__name__] = cls
            self._fields[cls] = tuple(f.name for f in fields(cls) if f.init)

    def dumps(self, value: Any) -> bytes:
        """``value`` as JSON bytes; ValueError when it holds an unsupported type."""
        objects: list[list[Any]] = []
        memo: dict[int, dict[str, int]] = {}
        keep: list[Any] = []  # the encoded objects stay alive, so that ids stay unique

        def encode(value: Any) -> Any:
            if value is None or isinstance(value, bool | int | float | str):
                return value
            if type(value) is tuple:
                return [encode(item) for item in value]
            if isinstance(value, datetime):
                return {"$datetime": value.isoformat()}
            if isinstance(value, date):
                return {"$date": value.isoformat()}
            ref = memo.get(id(value))
            if ref is not None:
                return ref
            names = self._fields.get(type(value))
            if names is None:
                raise _NotJsonSafe(f"a value of type {type(value).__name__}")
            item = [type(value).__name__, *[encode(getattr(value, n)) for n in names]]
            ref = memo[id(value)] = {"#": len(objects)}
            objects.append(item)
            keep.append(value)
            return ref

        encoded = encode(value)
        return json.dumps(
            {"objects": objects, "value": encoded}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")

    def loads(self, data: bytes) -> Any:
        """The value :meth:`dumps` encoded; ValueError, TypeError, KeyError or IndexError
        otherwise."""
        entry = json.loads(data)
        objects: list[Any] = []
        classes = self._classes

        def decode(data: Any) -> Any:
            kind = type(data)
            if kind is list:
                return tuple([item if type(item) in _SCALARS else decode(item) for item in data])
            if kind is dict:
                if "#" in data:
                    return objects[data["#"]]
                if "$date" in data:
                    return date.fromisoformat(data["$date"])
                return datetime.fromisoformat(data["$datetime"])
            return data

        for name, *values in entry["objects"]:
            objects.append(
                classes[name](
                    *[value if type(value) in _SCALARS else decode(value) for value in values]
                )
            )
        return decode(entry["value"])


_SCALARS = frozenset({str, int, float, bool, type(None)})


def dataclasses_of(module: ModuleType) -> list[type]:
    """The dataclasses a module defines (to register a module of values at once)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and is_dataclass(value) and value.__module__ == module.__name__
    ]
