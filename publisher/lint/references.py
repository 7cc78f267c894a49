"""``dangling-reference``: "see Section 14" when no clause is numbered 14. Pure.

A reference is ``Section``/``Clause`` (any case, singular or plural) followed by a number as
people write them: ``14``, ``B``, ``3.2``, ``B(5)``, ``2(a)(iii)``, ``(c)``, and lists or
ranges of them (``Sections 3 and 4``, ``Clauses 2.1 to 2.4``). It resolves when its parts
match the end of some clause's number path: in a document whose section B has an item 5,
``Section B(5)``, ``Section B.5`` and ``Section 5`` all resolve.

References into other documents are left alone: ``Section 230 of the Communications Decency
Act`` (a capitalised name after "of", later in the same sentence, other than "of this …" /
"of these …"), statute citations (``17 U.S.C. Section 512``, ``Title 17, Section 512(g)``),
and references that are the text of a link to another page (the link check covers those).
Numbers of four digits or more are never clause numbers here. A paragraph that starts with a
dotted number (``7.1 Partner shall…``) counts as numbered.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from publisher.document import Clause, Document
from publisher.lint.findings import Finding, body_lines

_NUMBER = r"(?:\d{1,3}(?![\d])|[IVX]{1,5}(?![A-Za-z])|[A-Z](?![A-Za-z]))"
_MORE = r"(?:\.\d{1,3}(?!\d)|\.[a-z](?![a-z])|\([A-Za-z0-9]{1,4}\))*"
_REF = rf"(?:{_NUMBER}|\([a-z0-9]{{1,4}}\)){_MORE}"
_LISTED = _NUMBER + _MORE  # after "and", "to"…: "(iii)" there is the sentence's own list
_JOIN = r"\s*(?:,\s*(?:and\s+|or\s+)?|\band\b|\bor\b|\bto\b|\bthrough\b|–|—|-)\s*"
_REFERENCE = re.compile(
    rf"\b(?P<word>(?i:sections?|clauses?))\s+(?P<refs>{_REF}(?:{_JOIN}{_LISTED})*)"
)
_ONE_REF = re.compile(_REF)
#: "… of the Communications Decency Act", "… OF THE AGREEMENT" later in the sentence.
_EXTERNAL_AFTER = re.compile(
    r"[^.;:]{0,80}?\b(?i:of)\s+(?!(?i:this|these)\b)(?:(?i:the|our)\s+)?[A-Z]"
)
_STATUTE_BEFORE = re.compile(
    r"(?:U\.?\s?S\.?\s?C\.?|C\.?\s?F\.?\s?R\.?|§|\bTitle\s+\d+,?|\bCode,?|\bAct,?)\s*$"
)
# A link's text holds no "[" and its destination no "(": every attempt stops at the next
# bracket, so no part of a line is scanned from more than one "[" (linear on "[" x 100,000).
_LINK_TEXT = re.compile(r"\[([^\[\]]*)\]\((?!#)[^()]*\)")
_HEADING_NAME = re.compile(rf"^(?i:section|clause|article)\s+(?P<ref>{_REF})")
_TEXT_NUMBER = re.compile(r"^(?P<ref>\d{1,3}(?:\.\d{1,3})+)\.?\s")
#: References and clause numbers are compared on their last parts only: "1.1.1…" with
#: thousands of parts would otherwise make every suffix of it a known number (quadratic).
_MAX_PARTS = 8
#: How far before a reference a statute citation ("17 U.S.C.", "Title 17,") is looked for.
_STATUTE_WINDOW = 40
#: How much of a long reference a message quotes.
_QUOTE_MAX = 60


def number_tokens(number: str) -> tuple[str, ...]:
    """``"B."`` -> ``("b",)``, ``"(a)"`` -> ``("a",)``, ``"3.2"`` -> ``("3", "2")``,
    ``"B(5)"`` -> ``("b", "5")``: the parts of a clause number or reference, lower-cased."""
    parts = re.split(r"[.()\[\]\s\\*]+", number.strip().lower())
    return tuple(p for p in parts if p)


def known_numbers(document: Document) -> set[tuple[str, ...]]:
    """Every way a reference may name a clause: each suffix of each clause's number path
    (the numbers of its numbered ancestors, then its own), plus "Section 5" headings."""
    known: set[tuple[str, ...]] = set()

    def visit(clause: Clause, path: tuple[str, ...]) -> None:
        own = number_tokens(clause.number)[-_MAX_PARTS:] if clause.number else ()
        here = (path + own)[-_MAX_PARTS:]
        if own:
            for start in range(len(here)):
                known.add(here[start:])
        if clause.heading and (named := _HEADING_NAME.match(clause.heading)):
            known.add(number_tokens(named["ref"]))
        if not own and (numbered := _TEXT_NUMBER.match(clause.text)):  # "7.1 Partner shall…"
            dotted = number_tokens(numbered["ref"])[-_MAX_PARTS:]
            known.update({dotted, *((path + dotted[i:])[-_MAX_PARTS:] for i in range(len(dotted)))})
        for child in clause.children:
            visit(child, here)

    for clause in document.clauses:
        visit(clause, ())
    return known


def _numbers_sample(document: Document) -> str:
    top = [c.number.strip() for c in document.clauses if c.number]
    if not top:
        top = [c.number.strip() for c in document.walk() if c.number][:8]
    if not top:
        return "this policy has no numbered clauses"
    shown = ", ".join(top[:8]) + (", …" if len(top) > 8 else "")
    return f"numbered clauses start {shown}"


def dangling_reference_findings(document: Document, source: str, path: str) -> list[Finding]:
    """A finding for each reference to a clause number that no clause has."""
    known = known_numbers(document)
    findings: list[Finding] = []
    for number, text in body_lines(source, document.body_start_line):
        in_links = [m.span(1) for m in _LINK_TEXT.finditer(text)]  # in order, disjoint
        link_starts = [begin for begin, _ in in_links]
        for match in _REFERENCE.finditer(text):
            if _EXTERNAL_AFTER.match(text, match.end()):
                continue
            start = match.start()
            if _STATUTE_BEFORE.search(text[max(0, start - _STATUTE_WINDOW) : start]):
                continue
            before = bisect_right(link_starts, start) - 1
            if before >= 0 and start < in_links[before][1]:
                continue  # "[Section K. Payment](/other-policy#k)": the link says where
            quoted = match[0] if len(match[0]) <= _QUOTE_MAX else match[0][:_QUOTE_MAX] + "…"
            for ref in dict.fromkeys(_ONE_REF.findall(match["refs"])):
                if number_tokens(ref)[-_MAX_PARTS:] in known:
                    continue
                findings.append(
                    Finding(
                        "dangling-reference",
                        "error",
                        path,
                        number,
                        f"{quoted!r} refers to no clause: nothing in this policy is numbered {ref}",
                        f"correct the reference ({_numbers_sample(document)}); if it points into "
                        'another document, name it ("Section 5 of the Terms of Service")',
                    )
                )
    return findings
