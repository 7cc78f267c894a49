"""``policy-link``: links between policies resolve. Pure: the policies are behind a
:class:`LinkResolver` that :mod:`publisher.lint.repository` implements.

Checked links (inline ``[text](url)``, reference definitions ``[id]: url``, ``href="url"``):

- ``#c-b-3``: a clause anchor of this policy;
- ``acceptable-use.md#c-3``, ``../legal/terms.md``: a policy file (relative to this one)
  exists, and so does the clause anchor;
- site URLs ``/<slug>/``, ``/<slug>/v/<label>/``, ``/<slug>/versions/`` (also under a one-folder
  prefix, relative ones like ``../<slug>/``, and absolute ones on the ``site_url``): the policy
  and the version exist, and so does the clause anchor in that version.

Other links (external sites, mail, images, site pages that are not policies) are left alone;
a site URL ``/<name>/#c-…`` (a clause anchor) where no policy has the slug ``name`` is reported.

Anchors are the ones the site makes (``fragments/policy_body.html``): ``c-<id>`` on every
clause, ``c-<id>-h`` on a section's heading, and GitHub's slug of each section heading as an
alias (``## C. Acceptable Use`` -> ``#c-acceptable-use``, as in github/site-policy; see
:mod:`publisher.anchors`). A GitHub slug whose alias the site cannot make (it would collide
with one of its own anchors) is a warning that names the section's anchor on the site.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterator
from typing import Protocol
from urllib.parse import unquote

from publisher.anchors import github_heading_anchors, page_anchors
from publisher.document import Document
from publisher.lint.findings import Finding, Severity, body_lines
from publisher.pages import label_path

# An inline link's text runs from an unescaped "[" that is no image's to the next "]", and
# holds no other unescaped "[": each part of a line is scanned by one attempt at most, so a
# line of 100,000 "[" is linear (a text that may hold "[" re-scans the rest of the line from
# every one of them). After the destination comes ")" or a title: whether a ")" closes the
# title is looked up once per line (:func:`_links`), not scanned for from each link.
_INLINE = re.compile(
    r"(?<![!\\])\[(?:[^\[\]\\]|\\.)*\]\(\s*<?(?P<url>[^()\s<>]+)>?(?P<after>\)|\s+[\"'(])"
)
_REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(?P<url>[^\s<>]+)>?")
_HREF = re.compile(r"\bhref\s*=\s*[\"'](?P<url>[^\"']+)[\"']", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class LinkResolver(Protocol):
    """What the link check needs to know about the repository's policies."""

    def slugs(self) -> Collection[str]:
        """Every policy's slug."""

    def slug_at(self, path: str) -> str | None:
        """The slug of the policy at repository path ``path``, None if it is no policy."""

    def exists(self, path: str) -> bool:
        """True if any file is at repository path ``path``."""

    def labels(self, slug: str) -> Collection[str]:
        """The version labels of a policy (committed ones and the one being linted)."""

    def document_of(self, slug: str, label: str | None = None) -> Document | None:
        """A policy's current text (``label`` None) or a version of it, parsed; None when
        it cannot be known (the policy does not parse)."""


Problem = tuple[Severity, str, str]
"""What is wrong with a link: severity, message, hint."""


def site_anchors(document: Document) -> set[str]:
    """The anchors the site makes on a policy's page (:func:`publisher.anchors.page_anchors`):
    ``c-<id>`` on every clause, ``c-<id>-h`` on each section's heading, and GitHub-style
    aliases of the section headings."""
    return page_anchors(document)


def _links(source: str, first_line: int) -> Iterator[tuple[int, str]]:
    for number, text in body_lines(source, first_line):
        last_close = text.rfind(")")
        for match in _INLINE.finditer(text):
            if match["after"] == ")" or match.end() <= last_close:  # a title, then ")"
                yield number, unquote(match["url"])
        for pattern in (_REFDEF, _HREF):
            for match in pattern.finditer(text):
                yield number, unquote(match["url"])


class _Checker:
    def __init__(
        self, document: Document, path: str, resolver: LinkResolver, site_url: str
    ) -> None:
        self.document = document
        self.path = path
        self.resolver = resolver
        self.site_url = site_url.rstrip("/") + "/" if site_url else ""
        self.own_slug = resolver.slug_at(path)

    def check(self, url: str) -> Problem | None:
        """What is wrong when ``url`` is a broken link to a policy, else None."""
        if self.site_url and url.startswith(self.site_url):
            return self.site_path("/" + url[len(self.site_url) :])
        if _SCHEME.match(url) or url.startswith("//"):
            return None
        target, _, fragment = url.partition("#")
        target = target.partition("?")[0]
        if not target:
            return self.anchor(self.own_slug, None, fragment, "this policy")
        if target.startswith("/"):
            return self.site_path(url)
        if target.endswith(".md"):
            return self.file(target, fragment)
        if self.own_slug is not None:  # relative to this policy's page /<slug>/
            resolved = posixpath.normpath(posixpath.join(f"/{self.own_slug}/", target))
            return self.site_path(
                resolved
                + ("/" if target.endswith("/") else "")
                + (f"#{fragment}" if fragment else ""),
                quiet=True,
            )
        return None

    def file(self, target: str, fragment: str) -> Problem | None:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.path), target))
        if joined.startswith("../"):
            return None
        slug = self.resolver.slug_at(joined)
        if slug is None:
            if self.resolver.exists(joined):
                return None
            return (
                "error",
                f"the link to {target!r} points to {joined}, which does not exist",
                "correct the path (relative to this file), or link to the policy's page /<slug>/",
            )
        return self.anchor(slug, None, fragment, joined)

    def site_path(self, url: str, *, quiet: bool = False) -> Problem | None:
        path, _, fragment = url.partition("#")
        parts = [p for p in path.partition("?")[0].split("/") if p]
        slugs = self.resolver.slugs()
        if parts and parts[0] in slugs:
            slug, rest = parts[0], parts[1:]
        elif len(parts) > 1 and parts[1] in slugs:
            slug, rest = parts[1], parts[2:]
        else:
            if fragment.startswith("c-") and len(parts) == 1 and not quiet:
                return (
                    "error",
                    f"the link {url!r} has a clause anchor, but no policy has the slug "
                    f"{parts[0]!r}",
                    f"use one of the slugs: {', '.join(sorted(slugs)) or '(none)'}",
                )
            return None
        label: str | None = None
        if len(rest) >= 2 and rest[0] == "v":
            labels = {label_path(known): known for known in self.resolver.labels(slug)}
            if rest[1] not in labels:
                return (
                    "error",
                    f"the link {url!r} names version {rest[1]!r} of {slug}, which does not exist",
                    f"versions of {slug}: {', '.join(labels.values()) or '(none)'}",
                )
            label = labels[rest[1]]
        elif rest:
            return None  # versions/, changes/…, feed.xml: no clause anchors to check
        return self.anchor(slug, label, fragment, f"/{slug}/" + (f"v/{rest[1]}/" if label else ""))

    def anchor(
        self, slug: str | None, label: str | None, fragment: str, where: str
    ) -> Problem | None:
        if not fragment:
            return None
        if slug is None or (slug == self.own_slug and label is None):
            document: Document | None = self.document
        else:
            document = self.resolver.document_of(slug, label)
        if document is None:
            return None
        anchors = site_anchors(document)
        if fragment in anchors:
            return None
        section = github_heading_anchors(document).get(fragment)
        if section is not None:
            heading = " ".join(p for p in (section.number, section.heading) if p)
            return (
                "warning",
                f"#{fragment} is GitHub's anchor for the heading {heading!r} of {where} "
                f"(line {section.lines[0]}); the site makes no such anchor, there that "
                f"section is #{section.anchor}",
                f"link to #{section.anchor} instead (on the site anchors are c- plus the "
                "clause id; `publisher show POLICY` lists the ids)",
            )
        if not fragment.startswith("c-"):
            return None
        near = sorted(a for a in anchors if a.startswith(fragment.rsplit("-", 1)[0]))[:5]
        return (
            "error",
            f"#{fragment} is no clause anchor of {where}",
            "anchors are c- plus the clause id (`publisher show POLICY` lists the ids)"
            + (f"; similar: {', '.join('#' + a for a in near)}" if near else ""),
        )


def policy_link_findings(
    document: Document, source: str, path: str, resolver: LinkResolver, *, site_url: str = ""
) -> list[Finding]:
    """A finding for each broken link to a policy, a version of one, or a clause anchor
    (a warning for a GitHub heading anchor, an error otherwise)."""
    checker = _Checker(document, path, resolver, site_url)
    findings: list[Finding] = []
    for number, url in _links(source, document.body_start_line):
        problem = checker.check(url)
        if problem is not None:
            severity, message, hint = problem
            findings.append(Finding("policy-link", severity, path, number, message, hint))
    return findings
