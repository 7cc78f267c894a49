"""What lint reports: a :class:`Finding` (rule, file:line, message, hint), the rule list,
and the ``publisher-lint`` comments that silence a rule for one place or one file. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from publisher.errors import PublisherError

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    "front-matter": "front matter is valid YAML with the documented types",
    "encoding": "a policy is UTF-8 text, not binary, and not huge",
    "duplicate-slug": "every policy has its own slug",
    "numbering-gap": "numbered sibling clauses have no gaps",
    "numbering-repeat": "numbered sibling clauses do not repeat a number",
    "dangling-reference": 'a reference such as "Section 14" or "section 3.2" names a clause that exists',
    "policy-link": "links to another policy, its site pages or a clause anchor (#c-…) resolve",
    "unversioned-change": "a published version's text is never changed without a new version label",
    "notice-period": "a material change takes effect at least notice_days after it is published",
    "limits": "slug, version label, title and path fit the site's file names and the store",
    "translation-lag": "a translation renders its source's current version (warning; an error "
    "once a newer source version is in force, after translation_lag_grace_days)",
    "translation-structure": "a translation has the clauses and numbering of the source version "
    "it renders",
}


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, where (file:line), what, and how to fix it."""

    rule: str
    severity: Severity
    path: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.severity}: {self.message} [{self.rule}]\n"
            f"  hint: {self.hint}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }


def finding_from_error(error: PublisherError, *, rule: str = "front-matter") -> Finding:
    """A lint finding for an error the parser raised (front matter, encoding)."""
    return Finding(
        rule=rule,
        severity="error",
        path=error.path or "?",
        line=error.line or 1,
        message=error.message,
        hint=error.hint or "fix the front matter",
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule))


def key_line(source: str, key: str) -> int:
    """The line of front matter key ``key:`` (1 if there is none)."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, text in enumerate(source.splitlines()[:200], start=1):
        if pattern.match(text):
            return number
    return 1


def version_line(source: str) -> int:
    """The line of the ``version:`` key in the front matter (1 if there is none)."""
    return key_line(source, "version")


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def body_lines(source: str, first_line: int) -> Iterator[tuple[int, str]]:
    """(line number, text) of the body, without fenced code blocks."""
    fence: str | None = None
    for number, text in enumerate(source.splitlines(), start=1):
        if number < first_line:
            continue
        opening = _FENCE.match(text)
        if fence is not None:
            if opening and opening.group(1) == fence:
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        yield number, text


# --- silencing -------------------------------------------------------------------------

# The rule list is bounded (all the rules fit in 300 characters): an unclosed comment is
# then given up on after 300 characters instead of at the end of the line (quadratic).
_DISABLE = re.compile(
    r"<!--\s{0,20}publisher-lint:\s{0,20}(disable|disable-file)\s+([\w,\s-]{1,300}?)\s*-->"
)


def silenced(findings: Iterable[Finding], source: str) -> list[Finding]:
    """Drop the findings that a ``publisher-lint: disable`` comment silences: on the same
    line, or on the line before (blank lines in between allowed); ``disable-file`` anywhere
    silences the rule in the whole file."""
    lines = source.splitlines()
    per_line: dict[int, set[str]] = {}
    whole_file: set[str] = set()
    for number, text in enumerate(lines, start=1):
        for match in _DISABLE.finditer(text):
            rules = {r.strip() for r in match.group(2).replace(",", " ").split()}
            if match.group(1) == "disable-file":
                whole_file |= rules
                continue
            per_line.setdefault(number, set()).update(rules)
            following = number + 1
            while following <= len(lines) and not lines[following - 1].strip():
                following += 1
            per_line.setdefault(following, set()).update(rules)
    return [
        f
        for f in findings
        if f.rule not in whole_file and f.rule not in per_line.get(f.line, set())
    ]


def unknown_rules(names: Iterable[str]) -> list[str]:
    """The names that are not rules (for ``--select``/``--ignore`` and silencing comments)."""
    return [n for n in names if n not in RULES]
