"""A policy's text as HTML: clauses grouped into lists and blocks, rendered by the shared
``fragments/policy_body.html`` template, and links to other policies' files made site links."""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from markupsafe import Markup

from publisher.anchors import heading_aliases
from publisher.document import Clause, Document
from publisher.sanitize import ClauseBody
from publisher.templating import environment
from publisher.urls import Urls, relative_url

__all__ = ["BodyNode", "ListGroup", "body_tree", "policy_body", "rewrite_policy_links"]


@dataclass(frozen=True)
class ListGroup:
    """Consecutive sibling clauses rendered as one HTML list (``ol``/``ul``) or as blocks
    (``div``)."""

    tag: Literal["ol", "ul", "div"]
    nodes: tuple[BodyNode, ...]


@dataclass(frozen=True)
class BodyNode:
    """One clause ready for the ``fragments/policy_body.html`` template."""

    id: str
    anchor: str
    kind: str
    number: str | None
    heading: Markup | None
    html: Markup
    marker: str | None
    level: int
    groups: tuple[ListGroup, ...] = ()
    alias: str | None = None
    """A section's GitHub-style heading anchor (:func:`publisher.anchors.heading_aliases`)."""


def _groups(
    clauses: Sequence[Clause], bodies: dict[str, ClauseBody], depth: int, aliases: Mapping[str, str]
) -> tuple[ListGroup, ...]:
    groups: list[ListGroup] = []
    run: list[BodyNode] = []
    run_tag: Literal["ol", "ul", "div"] | None = None
    for clause in clauses:
        tag: Literal["ol", "ul", "div"] = (
            "ol" if clause.kind == "item" else "ul" if clause.kind == "bullet" else "div"
        )
        if tag != run_tag and run:
            assert run_tag is not None
            groups.append(ListGroup(run_tag, tuple(run)))
            run = []
        run_tag = tag
        run.append(_node(clause, bodies, depth, aliases))
    if run and run_tag is not None:
        groups.append(ListGroup(run_tag, tuple(run)))
    return tuple(groups)


def _node(
    clause: Clause, bodies: dict[str, ClauseBody], depth: int, aliases: Mapping[str, str]
) -> BodyNode:
    body = bodies.get(clause.id) or ClauseBody(heading=None, html="")
    return BodyNode(
        id=clause.id,
        anchor=clause.anchor,
        kind=clause.kind,
        number=clause.number,
        heading=Markup(body.heading) if body.heading is not None else None,
        html=Markup(body.html),
        marker=body.marker,
        level=depth,
        groups=_groups(clause.children, bodies, depth + 1, aliases),
        alias=aliases.get(clause.id),
    )


def body_tree(document: Document, bodies: dict[str, ClauseBody]) -> tuple[ListGroup, ...]:
    """The document's clauses grouped for rendering: consecutive numbered items become one
    ``ol``, bullets one ``ul``, everything else blocks."""
    return _groups(document.clauses, bodies, 0, heading_aliases(document))


def policy_body(
    document: Document,
    bodies: dict[str, ClauseBody],
    *,
    templates: Path | None = None,
    language: str | None = None,
) -> str:
    """The policy text as HTML: every clause in its own element with ``id="c-<id>"`` and a
    self-link, sections as headings (``h2`` and below). The ``fragments/policy_body.html``
    fragment, also used by notices and acceptance pages; its self-links' labels are in
    ``language`` (default English)."""
    template = environment(templates, language=language).get_template("fragments/policy_body.html")
    return template.render(groups=body_tree(document, bodies))


_MD_LINK = re.compile(r'href="([^"#?:]+\.md)(#[^"]*)?"')


def rewrite_policy_links(
    body: str, source: str, page: str, targets: Mapping[str, str], urls: Urls
) -> str:
    """Links in a policy body to another policy's file (``privacy.md``, ``../legal/tos.md``,
    relative to ``source``, the policy's path in the repository) made links to that policy's
    page on the site, relative to ``page``. ``targets`` maps every path a policy had to its
    slug, with its fragment (a ``#c-…`` clause anchor, or a GitHub-style heading anchor,
    which the target page has as an alias). Links to files that are not policies stay as
    written."""
    if ".md" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        href, fragment = match.group(1), match.group(2) or ""
        path = unquote(html.unescape(href))
        joined = (
            path.lstrip("/")
            if path.startswith("/")
            else posixpath.join(posixpath.dirname(source), path)
        )
        slug = targets.get(posixpath.normpath(joined))
        if slug is None:
            return match.group(0)
        return f'href="{html.escape(relative_url(urls.policy(slug) + fragment, page))}"'

    return _MD_LINK.sub(replace, body)
