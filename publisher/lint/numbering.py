"""``numbering-gap`` / ``numbering-repeat``: sibling clauses numbered 1, 2, 4 or 1, 2, 2. Pure.

A number is read in every way it can be meant ("i" is the ninth letter and roman one), and a
run continues when any reading follows the one before, so (h), (i), (j) is no gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from publisher.document import Clause, Document
from publisher.lint.findings import Finding

_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ROMAN_RE = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")


def _roman_value(token: str) -> int | None:
    if not token or not _ROMAN_RE.match(token):
        return None
    total = 0
    for i, ch in enumerate(token):
        value = _ROMAN[ch]
        if i + 1 < len(token) and _ROMAN[token[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


def _ordinals(number: str) -> set[tuple[str, str, int]]:
    """Every reading of a clause number as (prefix, style, value): "B." -> {("", "upper", 2)},
    "1.2" -> {("1.", "arabic", 2)}, "(iv)" -> {("", "roman", 4)}, and "i" is both the ninth
    letter and roman one. Empty when the number is not a sequence number."""
    token = number.strip().strip("()").rstrip(".)").strip()
    prefix, _, last = token.rpartition(".")
    prefix = prefix + "." if prefix else ""
    readings: set[tuple[str, str, int]] = set()
    if last.isdigit():
        readings.add((prefix, "arabic", int(last)))
    elif len(last) == 1 and last.isalpha():
        style = "upper" if last.isupper() else "lower"
        readings.add((prefix, style, ord(last.lower()) - ord("a") + 1))
    roman = _roman_value(last.lower()) if last.isalpha() else None
    if roman is not None:
        readings.add((prefix, "roman-upper" if last.isupper() else "roman", roman))
    return readings


def _numbering_findings(siblings: Sequence[Clause], path: str) -> Iterable[Finding]:
    previous: Clause | None = None
    before: set[tuple[str, str, int]] = set()
    for clause in siblings:
        readings = _ordinals(clause.number) if clause.number else set()
        if not readings:
            continue
        pairs = [(p, c) for p in before for c in readings if p[:2] == c[:2]]
        follows = {c for p, c in pairs if c[2] == p[2] + 1}
        if previous is not None and pairs and not follows:
            repeats = [c for p, c in pairs if c[2] == p[2]]
            gaps = [(p, c) for p, c in pairs if c[2] > p[2] + 1]
            if repeats:
                yield Finding(
                    "numbering-repeat", "error", path, clause.lines[0],
                    f"clause {clause.number!r} repeats the number of the clause before it "
                    f"(line {previous.lines[0]})",
                    "renumber the clauses, or merge them if one is a copy",
                )
            elif gaps:
                p, c = gaps[0]
                yield Finding(
                    "numbering-gap", "error", path, clause.lines[0],
                    f"clause {clause.number!r} follows {previous.number!r} "
                    f"(line {previous.lines[0]}): {c[2] - p[2] - 1} number(s) missing",
                    "renumber the clauses, or restore the missing one",
                )
        # Keep the readings that continue the sequence ("h", "i" is a letter), else all of them.
        before = follows or readings
        previous = clause


def numbering_findings(document: Document, path: str) -> list[Finding]:
    """Gaps and repeats in every run of numbered sibling clauses."""
    findings = list(_numbering_findings(document.clauses, path))
    for clause in document.walk():
        findings.extend(_numbering_findings(clause.children, path))
    return findings
