"""Anchors of a policy page: ours (``c-<id>``) and the GitHub-style heading aliases.

Policies written for GitHub (github/site-policy and many others) link their own sections by
GitHub's slug of the heading text: ``## C. Acceptable Use`` is ``#c-acceptable-use``. The
site gives every section such an alias next to its ``c-<id>`` anchor, so those links keep
working; an alias that would collide with one of our anchors is not made. Pure.
"""

from __future__ import annotations

from publisher.document import Clause, Document
from publisher.slugs import github_anchor


def clause_anchors(document: Document) -> set[str]:
    """Our anchors on a policy's page: ``c-<id>`` on every clause, ``c-<id>-h`` on each
    section's heading."""
    anchors = {c.anchor for c in document.walk()}
    return anchors | {c.anchor + "-h" for c in document.walk() if c.kind == "section"}


def github_heading_anchors(document: Document) -> dict[str, Clause]:
    """GitHub's anchor of each section heading (lower case, punctuation dropped, each space
    a hyphen, ``-1``, ``-2``… on repeats) -> the section, for the heading text as parsed
    (number, a space, heading)."""
    found: dict[str, Clause] = {}
    seen: dict[str, int] = {}
    for clause in document.walk():
        if clause.kind != "section":
            continue
        text = " ".join(p for p in (clause.number, clause.heading) if p)
        slug = github_anchor(text)
        if slug in seen:
            seen[slug] += 1
            slug = f"{slug}-{seen[slug]}"
        else:
            seen[slug] = 0
        found.setdefault(slug, clause)
    return found


def heading_aliases(document: Document) -> dict[str, str]:
    """Clause id -> the GitHub-style alias the page gives that section (none where the
    alias would be empty or collide with one of our anchors)."""
    ours = clause_anchors(document)
    return {
        clause.id: slug
        for slug, clause in github_heading_anchors(document).items()
        if slug and slug not in ours
    }


def page_anchors(document: Document) -> set[str]:
    """Every anchor a policy's page has: ours and the heading aliases."""
    return clause_anchors(document) | set(heading_aliases(document).values())
