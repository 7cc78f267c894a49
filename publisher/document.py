"""The clause model: a policy document as a tree of clauses. Pure values, no I/O.

The parser that builds these from Markdown lives in :mod:`publisher.markdown`; front matter in
:mod:`publisher.frontmatter`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ClauseKind = Literal["section", "item", "bullet", "paragraph", "table", "code", "quote"]


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace to one space and strip both ends."""
    return " ".join(text.split())


@dataclass(frozen=True)
class PolicyMeta:
    """Typed front matter of a policy. ``extra`` keeps keys we do not interpret."""

    title: str | None = None
    slug: str | None = None
    version: str | None = None
    effective: date | None = None
    summary: str | None = None
    notice_days: int | None = None
    reaccept: str | None = None
    """``material`` (default), ``always`` or ``never``: see :mod:`publisher.acceptance_rules`."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Clause:
    """One node of a policy: a heading-led section, a numbered/lettered item, a bullet,
    a paragraph, or a block (table, code, quote) kept whole.

    ``id`` is stable within a revision and derived from the number path or position
    (``b.3``, ``2.iv``, ``p4``); ``number`` is the label as written ("3", "B.", "(a)") or
    None; ``text`` is the clause's own plain text (children excluded, markup removed,
    whitespace normalised); ``lines`` is the 1-based inclusive line span in the source file.
    ``links`` holds the links in the clause's own text as (link text, target URL) pairs,
    ``emphasis`` its emphasised words as (``bold``/``italic``, words) pairs (a bold lead-in
    is the heading, not emphasis), and ``cells`` a table's rows of cell texts (header first).
    """

    id: str
    kind: ClauseKind
    number: str | None
    heading: str | None
    text: str
    children: tuple[Clause, ...] = ()
    lines: tuple[int, int] = (0, 0)
    level: int = 0
    links: tuple[tuple[str, str], ...] = ()
    emphasis: tuple[tuple[str, str], ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()

    @property
    def anchor(self) -> str:
        """HTML anchor of this clause on the site (``c-b-3`` for id ``b.3``)."""
        return "c-" + re.sub(r"[^a-z0-9]+", "-", self.id.lower()).strip("-")

    @property
    def label(self) -> str:
        """Number and heading as a reader would cite the clause ("B. Account Terms")."""
        parts = [p for p in (self.number, self.heading) if p]
        return " ".join(parts)

    @property
    def key(self) -> str:
        """The clause's own content for matching: heading and text, normalised."""
        if self.heading and self.text:
            return f"{self.heading}\n{self.text}"
        return self.heading or self.text

    def walk(self) -> Iterator[Clause]:
        """This clause and all its descendants, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def full_text(self) -> str:
        """Heading, text and every descendant's, in document order, space-separated."""
        parts: list[str] = []
        for clause in self.walk():
            parts.extend(p for p in (clause.number, clause.heading, clause.text) if p)
        return " ".join(parts)


@dataclass(frozen=True)
class Document:
    """A parsed policy revision."""

    meta: PolicyMeta
    title: str | None
    clauses: tuple[Clause, ...]
    body: str = ""
    body_start_line: int = 1

    def walk(self) -> Iterator[Clause]:
        """Every clause, in document order (pre-order)."""
        for clause in self.clauses:
            yield from clause.walk()

    def find(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        for clause in self.walk():
            if clause.id == clause_id:
                return clause
        return None

    @property
    def sha256(self) -> str:
        """Content hash of the normalised body (what customers accept)."""
        return body_sha256(self.body)

    @property
    def fingerprint(self) -> str:
        """sha256 of what a reader reads: the title, then every clause's kind, number,
        heading and text, and its link targets and emphasis, in document order. Nesting alone (a ``##`` heading made ``###``)
        does not count: the clause diff reports no change for it either.

        Unlike :attr:`sha256`, Markdown-only edits (blank lines, an HTML comment, ``-`` vs
        ``*`` bullets) leave it unchanged; a changed link target does not (a reader follows
        it): two revisions with the same
        fingerprint are the same version of a policy without version labels.
        """
        digest = hashlib.sha256()
        digest.update(f"title\0{self.title or ''}\0".encode())

        for clause in self.walk():
            fields = (clause.kind, clause.number or "", clause.heading or "", clause.text)
            digest.update(("\x1f".join(fields) + "\x1e").encode())
            if clause.links or clause.emphasis:
                marks = [f"{a}\x1d{b}" for a, b in (*clause.links, *clause.emphasis)]
                digest.update(("\x1c" + "\x1f".join(marks) + "\x1e").encode())
        return digest.hexdigest()


def body_sha256(body: str) -> str:
    """sha256 of a policy body normalised for line endings and trailing whitespace.

    Normalisation is deliberately light: the hash identifies the exact text a customer
    accepted, so only differences no reader can see (CRLF vs LF, trailing blanks, blank
    lines at either end) are ignored.
    """
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    normalised = "\n".join(lines).strip("\n") + "\n"
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
