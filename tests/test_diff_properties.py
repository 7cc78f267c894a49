"""Hypothesis properties of the clause diff.

* diff(a, a) is empty;
* every clause of both sides is accounted for exactly once: unchanged (paired with no change
  of its own — this includes the children of a moved section that moved along with it), or
  the ``old``/``new`` clause of exactly one change, or ``implied`` by exactly one addition or
  removal of an ancestor — never two of these;
* the inline ops of every change rebuild the old and the new text (and heading) exactly;
* the summary counts what is listed;
* all of it also through the real parser on generated Markdown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from diff_checks import assert_accounted, assert_inline_rebuilds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.diff import compare, word_diff
from publisher.diff.inline import new_text, old_text
from publisher.diff.model import KINDS
from publisher.document import Clause, Document, PolicyMeta
from publisher.markdown import parse_document

WORDS = [
    "you",
    "must",
    "not",
    "send",
    "spam",
    "we",
    "may",
    "suspend",
    "the",
    "account",
    "fees",
    "are",
    "due",
    "monthly",
    "data",
    "privacy",
    "notice",
    "days",
    "30",
    "14",
]
PUNCTUATION = ["", ".", ",", ";", ":", "—", "’s"]


@dataclass(frozen=True)
class Flat:
    """A clause before ids are assigned: depth in the tree and its own content."""

    depth: int
    number: str | None
    heading: str | None
    text: str


texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION)), min_size=0, max_size=9
).map(lambda parts: " ".join(w + p for w, p in parts))
flats = st.builds(
    Flat,
    depth=st.integers(0, 3),
    number=st.one_of(st.none(), st.sampled_from(["1.", "2.", "3.", "A.", "B.", "(a)", "(b)"])),
    heading=st.one_of(st.none(), st.sampled_from(["Fees", "Privacy", "Use", "Accounts"])),
    text=texts,
)
flat_docs = st.lists(flats, min_size=0, max_size=14)


def build(items: list[Flat]) -> Document:
    """A document from a pre-order list of (depth, content); depths are clamped so each
    clause is at most one level below the previous one. Ids are unique positions."""
    roots: list[Clause] = []
    stack: list[tuple[Flat, str, list[Clause]]] = []

    def close() -> None:
        flat, clause_id, children = stack.pop()
        clause = Clause(
            id=clause_id,
            kind="section" if flat.heading else "paragraph",
            number=flat.number,
            heading=flat.heading,
            text=flat.text,
            children=tuple(children),
        )
        (stack[-1][2] if stack else roots).append(clause)

    for counter, flat in enumerate(items):
        depth = min(flat.depth, len(stack))
        while len(stack) > depth:
            close()
        stack.append((flat, f"n{counter}", []))
    while stack:
        close()
    return Document(meta=PolicyMeta(), title=None, clauses=tuple(roots))


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[Flat], list[Flat]]:
    """A document and an edited copy: deletions, insertions, moves, rewording, renumbering."""
    old = draw(flat_docs)
    new = list(old)
    for _ in range(draw(st.integers(0, 5))):
        op = draw(st.sampled_from(["delete", "insert", "move", "reword", "renumber"]))
        if op == "insert" or not new:
            new.insert(draw(st.integers(0, len(new))), draw(flats))
            continue
        at = draw(st.integers(0, len(new) - 1))
        if op == "delete":
            del new[at]
        elif op == "move":
            item = new.pop(at)
            new.insert(draw(st.integers(0, len(new))), item)
        elif op == "reword":
            new[at] = Flat(new[at].depth, new[at].number, new[at].heading, draw(texts))
        else:
            new[at] = Flat(new[at].depth, draw(flats).number, new[at].heading, new[at].text)
    return old, new


@given(flat_docs)
@settings(max_examples=150, deadline=None)
def test_diff_of_a_document_with_itself_is_empty(items: list[Flat]) -> None:
    document = build(items)
    changes = compare(document, document)
    assert changes.changes == ()
    assert len(changes.unchanged) == len(list(document.walk()))


@given(edited())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_clause_is_accounted_for_once(pair: tuple[list[Flat], list[Flat]]) -> None:
    old, new = build(pair[0]), build(pair[1])
    changes = compare(old, new)
    assert_accounted(changes, old, new)
    assert_inline_rebuilds(changes)
    counts = Counter(c.kind for c in changes.changes)
    summary = changes.summary.as_dict()
    assert all(summary[kind] == counts[kind] for kind in KINDS)
    assert summary["material"] + summary["editorial"] == len(changes.changes)
    assert summary["reworded"] == sum(c.reworded for c in changes.changes)
    assert summary["reworded"] >= summary["modified"]


@given(flat_docs, flat_docs)
@settings(max_examples=150, deadline=None)
def test_unrelated_documents_are_accounted_for(a: list[Flat], b: list[Flat]) -> None:
    old, new = build(a), build(b)
    changes = compare(old, new)
    assert_accounted(changes, old, new)
    assert_inline_rebuilds(changes)


@given(st.text(), st.text())
@settings(max_examples=300, deadline=None)
def test_word_diff_rebuilds_both_texts(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert old_text(ops) == old
    assert new_text(ops) == new
    assert all(text for _, text in ops)
    assert all(a[0] != b[0] for a, b in pairwise(ops))


def _number(text: str) -> str:
    return str(len(text) % 9 + 1)


markdown_lines = st.one_of(
    texts.map(lambda t: f"## {t or 'Heading'}"),
    texts.map(lambda t: f"### {_number(t)}. {t or 'Clause'}"),
    texts.map(lambda t: f"1. {t or 'item'}"),
    texts.map(lambda t: f"- {t or 'bullet'}"),
    texts.map(lambda t: f"  - {t or 'nested'}"),
    texts.map(lambda t: f"**Short version:** {t}"),
    texts,
    st.just(""),
)


@given(st.lists(markdown_lines, max_size=25), st.lists(markdown_lines, max_size=25))
@settings(max_examples=150, deadline=None)
def test_parsed_markdown_documents(a: list[str], b: list[str]) -> None:
    """The same properties through the real parser, on Markdown made of headings, numbered
    and bulleted items, lead-ins and paragraphs (the new side keeps half of the old)."""
    old = parse_document("\n\n".join(a) + "\n")
    new = parse_document("\n\n".join(b + a[len(a) // 2 :]) + "\n")
    assert compare(old, old).changes == ()
    changes = compare(old, new)
    assert_accounted(changes, old, new)
    assert_inline_rebuilds(changes)
