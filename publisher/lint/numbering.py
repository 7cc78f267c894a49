"""``numbering-gap`` / ``numbering-repeat``: sibling clauses numbered 1, 2, 4 or 1, 2, 2. Pure.

A number is read in every way it can be meant ("i" is the ninth letter and roman one), and a
run continues when any reading follows the one before, so (h), (i), (j) is no gap.

Items of one Markdown list are checked as *written* too: CommonMark numbers a list from its
first marker on, so ``1. 2. 4.`` shows (and the clause is numbered) 1, 2, 3, and a reference
to "Section 4" no longer means what the author wrote. The markers are read from the source
lines; a list whose markers all repeat the first one (``1. 1. 1.``, the lazy style that
leaves the numbering to Markdown) is fine, any other skip or repeat is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import pairwise

from publisher.counting import counted
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
                    "numbering-repeat",
                    "error",
                    path,
                    clause.lines[0],
                    f"clause {clause.number!r} repeats the number of the clause before it "
                    f"(line {previous.lines[0]})",
                    "renumber the clauses, or merge them if one is a copy",
                )
            elif gaps:
                p, c = gaps[0]
                yield Finding(
                    "numbering-gap",
                    "error",
                    path,
                    clause.lines[0],
                    f"clause {clause.number!r} follows {previous.number!r} "
                    f"(line {previous.lines[0]}): {counted(c[2] - p[2] - 1, 'number')} missing",
                    "renumber the clauses, or restore the missing one",
                )
        # Keep the readings that continue the sequence ("h", "i" is a letter), else all of them.
        before = follows or readings
        previous = clause


#: The marker an ordered list item starts with on its first line (after block-quote marks).
_MARKER = re.compile(r"^[ \t]*(?:>[ \t]?)*(?P<value>\d{1,9})(?P<delimiter>[.)])(?:[ \t]|$)")
#: A clause number that came from the list marker (items may carry "(a)" instead).
_LIST_NUMBER = re.compile(r"^(?P<value>\d{1,9})(?P<delimiter>[.)])$")


def _written(clause: Clause, lines: Sequence[str]) -> tuple[int, int, str] | None:
    """(shown value, written value, delimiter) of an item numbered by its list marker."""
    if clause.kind != "item" or clause.number is None:
        return None
    shown = _LIST_NUMBER.match(clause.number)
    index = clause.lines[0] - 1
    marker = _MARKER.match(lines[index]) if 0 <= index < len(lines) else None
    if shown is None or marker is None or marker["delimiter"] != shown["delimiter"]:
        return None
    return int(shown["value"]), int(marker["value"]), shown["delimiter"]


def _lists(siblings: Sequence[Clause], lines: Sequence[str]) -> Iterable[list[tuple[Clause, int]]]:
    """The runs of sibling items that form one Markdown list, each item with its written
    value: consecutive items with the same delimiter whose shown numbers count up by one."""
    run: list[tuple[Clause, int]] = []
    last: tuple[int, str] | None = None
    for clause in siblings:
        written = _written(clause, lines)
        if written is None or last is None or (written[0], written[2]) != (last[0] + 1, last[1]):
            if len(run) > 1:
                yield run
            run = []
        if written is None:
            last = None
            continue
        run.append((clause, written[1]))
        last = (written[0], written[2])
    if len(run) > 1:
        yield run


def _marker_findings(
    siblings: Sequence[Clause], lines: Sequence[str], path: str
) -> Iterable[Finding]:
    for run in _lists(siblings, lines):
        if all(value == run[0][1] for _, value in run):
            continue  # "1. 1. 1.": the author leaves the numbering to Markdown
        for (previous, before), (clause, value) in pairwise(run):
            if value == before + 1:
                continue
            delimiter = clause.number[-1] if clause.number else "."
            written, after = f"{value}{delimiter}", f"{before}{delimiter}"
            shown = (
                f"Markdown numbers a list on from its first item, so the site shows it "
                f"as {clause.number!r}"
            )
            if value > before + 1:
                yield Finding(
                    "numbering-gap",
                    "error",
                    path,
                    clause.lines[0],
                    f"list item written {written!r} follows {after!r} "
                    f"(line {previous.lines[0]}): {counted(value - before - 1, 'number')} missing; "
                    f"{shown}",
                    "renumber the items as they should read, or restore the missing one "
                    '(references such as "Section N" name the number shown)',
                )
            else:
                yield Finding(
                    "numbering-repeat",
                    "error",
                    path,
                    clause.lines[0],
                    f"list item written {written!r} "
                    f"{'repeats' if value == before else 'goes back after'} "
                    f"{after!r} (line {previous.lines[0]}); {shown}",
                    "renumber the items as they should read; to start a new list, put a "
                    "paragraph between the lists",
                )


def numbering_findings(document: Document, path: str, source: str | None = None) -> list[Finding]:
    """Gaps and repeats in every run of numbered sibling clauses, and (given the
    ``source`` the document was parsed from) in the markers written in each list."""
    lines = source.splitlines() if source is not None else None
    groups = [document.clauses, *(clause.children for clause in document.walk())]
    findings: list[Finding] = []
    for siblings in groups:
        findings.extend(_numbering_findings(siblings, path))
        if lines is not None:
            findings.extend(_marker_findings(siblings, lines, path))
    return findings
