"""The tables of contents of the site's pages (a policy's sections, a history's versions, a
redline's changes), for the theme's sidebar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from publisher.diff import ChangeSet
from publisher.diff.wording import ENGLISH, TITLES, Translator
from publisher.document import Clause, Document
from publisher.pages.model import PolicyInfo
from publisher.urls import label_path

__all__ = ["TocEntry", "changes_toc", "document_toc", "versions_toc"]


@dataclass(frozen=True)
class TocEntry:
    """A section heading of a page, for the theme's table of contents."""

    level: int
    anchor: str
    title: str
    children: tuple[TocEntry, ...] = field(default_factory=tuple)


def document_toc(document: Document, *, depth: int = 2) -> tuple[TocEntry, ...]:
    """The section headings of a policy (``depth`` levels), for a theme's table of contents."""

    def entries(clauses: Sequence[Clause], level: int) -> tuple[TocEntry, ...]:
        found: list[TocEntry] = []
        for clause in clauses:
            if clause.kind != "section":
                continue
            children = entries(clause.children, level + 1) if level < depth else ()
            found.append(TocEntry(level + 1, clause.anchor, clause.label or clause.id, children))
        return (found and tuple(found)) or ()

    return entries(document.clauses, 1)


def versions_toc(policy: PolicyInfo, t: Translator = ENGLISH) -> tuple[TocEntry, ...]:
    """The rows of the version history, newest first, for a theme's table of contents (in
    ``t``'s language)."""
    return tuple(
        TocEntry(2, f"v-{label_path(v.label)}", t.gettext("Version %(label)s") % {"label": v.label})
        for v in reversed(policy.versions)
    )


def changes_toc(
    changeset: ChangeSet,
    *,
    id_prefix: str = "redline",
    material_only: bool = False,
    t: Translator = ENGLISH,
) -> tuple[TocEntry, ...]:
    """The changes of a redline (the ids :func:`publisher.diff.render_html` gives them with
    the same ``material_only``: it numbers the changes it lists), for a theme's table of
    contents; the kinds in ``t``'s language)."""
    return tuple(
        TocEntry(2, f"{id_prefix}-change-{n}", f"{t.gettext(TITLES[change.kind])}: {change.label}")
        for n, change in enumerate(changeset.listed(material_only=material_only), start=1)
    )
