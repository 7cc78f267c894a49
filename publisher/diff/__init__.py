"""Clause-level comparison of two policy revisions, and its renderers.

>>> changes = compare(old_document, new_document)          # doctest: +SKIP
>>> print(render_text(changes))                            # doctest: +SKIP

:func:`compare` aligns the clause trees (:mod:`.align`), diffs reworded clauses word by word
(:mod:`.inline`), finds restructured runs, formatting, table-cell and metadata-line changes
(:mod:`.refine`) and classifies each change material or editorial (:mod:`.classify`). The
renderers are pure functions of the resulting :class:`ChangeSet`.
"""

from __future__ import annotations

from collections.abc import Sequence

from publisher.diff.align import changes_between
from publisher.diff.classify import (
    TRAILER,
    classify,
    editorial_form,
    is_editorial,
    overrides_from_trailers,
    parse_override,
)
from publisher.diff.inline import word_diff
from publisher.diff.model import (
    KINDS,
    Change,
    ChangeKind,
    ChangeSet,
    InlineOp,
    MetaChange,
    Override,
    Side,
    Summary,
)
from publisher.diff.refine import refine
from publisher.diff.render_html import REDLINE_CSS, render_html
from publisher.diff.render_json import change_to_json, render_json
from publisher.diff.render_markdown import render_markdown
from publisher.diff.render_text import render_text
from publisher.document import Document

__all__ = [
    "KINDS",
    "REDLINE_CSS",
    "TRAILER",
    "Change",
    "ChangeKind",
    "ChangeSet",
    "InlineOp",
    "MetaChange",
    "Override",
    "Side",
    "Summary",
    "change_to_json",
    "classify",
    "compare",
    "editorial_form",
    "is_editorial",
    "overrides_from_trailers",
    "parse_override",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "word_diff",
]


def compare(old: Document, new: Document, *, overrides: Sequence[Override] = ()) -> ChangeSet:
    """Compare two revisions of a policy clause by clause.

    ``overrides`` (e.g. from :func:`overrides_from_trailers`) replace the computed
    material/editorial classification of all changes or of one clause. The result's
    ``old``/``new`` sides carry the documents' version labels and content hashes; use
    :meth:`ChangeSet.labelled` to add the policy name and revision ids.
    """
    aligned, aligned_unchanged = changes_between(old, new)
    found, unchanged, line_changes = refine(old, new, aligned, aligned_unchanged)
    changes = tuple(classify(change, overrides) for change in found)
    old_side, new_side = _side(old), _side(new)
    return ChangeSet(
        changes=changes,
        summary=Summary.of(changes),
        old=old_side,
        new=new_side,
        policy=new.meta.slug or old.meta.slug,
        unchanged=tuple(unchanged),
        meta_changes=meta_changes(old_side, new_side) + tuple(line_changes),
    )


def _side(document: Document) -> Side:
    return Side(
        version=document.meta.version,
        sha256=document.sha256,
        title=document.meta.title or document.title,
        effective=document.meta.effective,
    )


def meta_changes(old: Side, new: Side) -> tuple[MetaChange, ...]:
    """The title and effective-date changes between two sides (front matter, or for the
    title the document's title heading)."""
    found: list[MetaChange] = []
    if old.title != new.title:
        found.append(MetaChange("title", old.title, new.title))
    if old.effective != new.effective:
        found.append(
            MetaChange(
                "effective",
                old.effective.isoformat() if old.effective else None,
                new.effective.isoformat() if new.effective else None,
            )
        )
    return tuple(found)
