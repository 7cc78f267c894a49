"""A parsed policy as people and scripts read it: the outline ``publisher show`` prints and its
JSON form. Pure: values in, strings and dicts out.

The outline has one line per clause, indented two spaces per level::

    [b] B. Account Terms  L57-95
      [b.short-version] Short version — Personal Accounts and Organizations have different…  L59
      [b.1] 1. Account Controls  L61-65
        [b.1.l1] • Users. Subject to these Terms, you retain ultimate administrative control…  L63

Bullets are marked ``•``; tables, code blocks and quotes are prefixed with their kind; text is cut
at a word boundary to about 100 characters; ``Lnn-mm`` is the clause's line span in the file.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from publisher.document import Clause, Document, PolicyMeta

__all__ = ["clause_to_dict", "document_to_dict", "render_outline"]

TEXT_WIDTH = 100
_INDENT = "  "


def render_outline(doc: Document) -> str:
    """The human-readable clause tree of ``doc``: a header, then one line per clause."""
    lines = [doc.title or "(untitled)"]
    facts = [
        f"{name}: {value}"
        for name, value in (
            ("slug", doc.meta.slug),
            ("version", doc.meta.version),
            ("effective", doc.meta.effective.isoformat() if doc.meta.effective else None),
            ("notice_days", doc.meta.notice_days),
        )
        if value is not None
    ]
    if facts:
        lines.append(", ".join(facts))
    count = sum(1 for _ in doc.walk())
    lines.append(f"{count} clauses, body from line {doc.body_start_line}, sha256 {doc.sha256[:12]}")
    lines.append("")
    for clause in doc.walk():
        lines.append(_outline_line(clause))
    return "\n".join(lines) + "\n"


def _outline_line(clause: Clause) -> str:
    parts = [f"[{clause.id}]"]
    if clause.kind == "bullet":
        parts.append("•")
    elif clause.kind in ("table", "code", "quote"):
        parts.append(f"{clause.kind}:")
    if clause.number:
        parts.append(clause.number)
    if clause.heading:
        parts.append(clause.heading)
    if clause.text:
        if clause.heading:
            parts.append("—")
        parts.append(_truncate(clause.text, TEXT_WIDTH))
    start, end = clause.lines
    span = f"L{start}" if start == end else f"L{start}-{end}"
    return f"{_INDENT * clause.level}{' '.join(parts)}  {span}"


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width].rstrip(" ,;:") + "…"


def clause_to_dict(clause: Clause) -> dict[str, Any]:
    """``{"id", "kind", "number", "heading", "text", "lines": [a, b], "children": [...]}``."""
    return {
        "id": clause.id,
        "kind": clause.kind,
        "number": clause.number,
        "heading": clause.heading,
        "text": clause.text,
        "lines": [clause.lines[0], clause.lines[1]],
        "children": [clause_to_dict(child) for child in clause.children],
    }


def document_to_dict(doc: Document) -> dict[str, Any]:
    """The JSON form of ``doc`` (``publisher show --format json``); every value JSON-safe."""
    return {
        "title": doc.title,
        "meta": _meta_to_dict(doc.meta),
        "sha256": doc.sha256,
        "body_start_line": doc.body_start_line,
        "clauses": [clause_to_dict(clause) for clause in doc.clauses],
    }


def _meta_to_dict(meta: PolicyMeta) -> dict[str, Any]:
    return {
        "title": meta.title,
        "slug": meta.slug,
        "version": meta.version,
        "effective": meta.effective.isoformat() if meta.effective else None,
        "summary": meta.summary,
        "notice_days": meta.notice_days,
        "extra": _json_safe(meta.extra),
    }


def _json_safe(value: Any) -> Any:
    """YAML values -> JSON values: dates as ISO strings, other scalars as strings."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
