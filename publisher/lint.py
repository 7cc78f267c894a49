"""Policy checks with file:line messages, a rule name and a fix hint each.

Rules (``publisher lint --rules`` lists them):

- ``front-matter``: the YAML front matter is malformed or a field has the wrong type.
- ``encoding``: the file is binary, not UTF-8, or too large.
- ``duplicate-slug``: two policies share a slug (their site URLs would collide).
- ``numbering-gap`` / ``numbering-repeat``: sibling clauses numbered 1, 2, 4 or 1, 2, 2.
- ``unversioned-change``: the body differs from a committed revision with the same
  ``version`` label (customers accepted that exact text; publish a new label instead).

One place can be silenced with an HTML comment on the line before it (or on the same line)::

    <!-- publisher-lint: disable numbering-gap -->

and a whole file with ``<!-- publisher-lint: disable-file numbering-gap -->``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from publisher.config import Settings
from publisher.document import Clause, Document
from publisher.errors import NotFoundError, PublisherError
from publisher.history import Policy, PolicyRepo, slug_from_path
from publisher.markdown import decode_policy

Severity = Literal["error", "warning"]

RULES: dict[str, str] = {
    "front-matter": "front matter is valid YAML with the documented types",
    "encoding": "a policy is UTF-8 text, not binary, and not huge",
    "duplicate-slug": "every policy has its own slug",
    "numbering-gap": "numbered sibling clauses have no gaps",
    "numbering-repeat": "numbered sibling clauses do not repeat a number",
    "unversioned-change": "a published version's text is never changed without a new version label",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    path: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message} [{self.rule}]\n  hint: {self.hint}"

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


# --- numbering -------------------------------------------------------------------------

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


# --- silencing -------------------------------------------------------------------------

_DISABLE = re.compile(r"<!--\s*publisher-lint:\s*(disable|disable-file)\s+([\w,\s-]+?)\s*-->")


def silenced(findings: Iterable[Finding], source: str) -> list[Finding]:
    """Drop the findings that a ``publisher-lint: disable`` comment silences."""
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
        f for f in findings
        if f.rule not in whole_file and f.rule not in per_line.get(f.line, set())
    ]


def version_line(source: str) -> int:
    """The line of the ``version:`` key in the front matter (1 if there is none)."""
    for number, text in enumerate(source.splitlines()[:200], start=1):
        if re.match(r"^version\s*:", text):
            return number
    return 1


# --- whole repository ------------------------------------------------------------------


@dataclass(frozen=True)
class LintTarget:
    """One policy file to check: its path as shown to the user and its text."""

    path: str
    source: str
    unreadable: PublisherError | None = None
    """Why the file could not be read as text (binary, not UTF-8, too large), if so."""


def lint_source(target: LintTarget) -> tuple[Document | None, list[Finding]]:
    """Parse one policy and run the single-file checks."""
    from publisher.frontmatter import validate_front_matter
    from publisher.markdown import parse_document

    errors = validate_front_matter(target.source, path=target.path)
    if errors:
        return None, silenced([finding_from_error(e) for e in errors], target.source)
    try:
        document = parse_document(target.source, path=target.path)
    except PublisherError as exc:
        return None, [finding_from_error(exc)]
    return document, silenced(numbering_findings(document, target.path), target.source)


def duplicate_slug_findings(slugs: Sequence[tuple[str, LintTarget]]) -> list[Finding]:
    """Every policy after the first that reuses a slug."""
    first: dict[str, LintTarget] = {}
    findings: list[Finding] = []
    for slug, target in slugs:
        if slug in first:
            findings.append(Finding(
                "duplicate-slug", "error", target.path, _slug_line(target.source),
                f"slug {slug!r} is already used by {first[slug].path}",
                "give one of them its own `slug:` in the front matter (or rename the file)",
            ))
        else:
            first[slug] = target
    return findings


def _slug_line(source: str) -> int:
    for number, text in enumerate(source.splitlines()[:200], start=1):
        if re.match(r"^slug\s*:", text):
            return number
    return 1


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule))


def _published_text_findings(
    repo: PolicyRepo, policy: Policy, target: LintTarget, document: Document
) -> list[Finding]:
    """``unversioned-change``: the text under a version label must stay what was published
    under it (the first commit carrying the label), in history and in the work tree."""
    label = document.meta.version
    if label is None or label not in policy.labels:
        return []
    version = policy.version(label)
    if not version.labelled:
        return []
    published = repo.document(version.first_revision)
    if published.sha256 == document.sha256:
        return []
    return [Finding(
        "unversioned-change", "error", target.path, version_line(target.source),
        f"the text of version {label!r} differs from what was published as {label!r} in commit "
        f"{version.first_revision.short} ({version.first_revision.committed:%Y-%m-%d})",
        "customers accepted the published text: give this text a new `version:` label "
        "(and an `effective:` date and `summary:`)",
    )]


def lint_repository(settings: Settings, paths: Sequence[str] = ()) -> list[Finding]:
    """Lint the given policy files (default: every policy in the work tree, or at the tip of
    a bare repository) against each other and against their git history."""
    with PolicyRepo.open(settings) as repo:
        bare = repo.git.info.bare
        root = repo.git.info.top
        targets: dict[str, LintTarget] = {}
        if bare:
            if paths:
                raise PublisherError(
                    "a bare repository has no files to lint by path",
                    hint="lint in a work tree, or run without paths to lint the branch tip",
                )
            for policy in repo.policies():
                targets[policy.path] = LintTarget(policy.path, repo.read(policy.latest))
        else:
            chosen = [Path(p) for p in paths] or sorted(
                p for p in root.glob(settings.policies) if p.is_file()
            )
            for path in chosen:
                full = path if path.is_absolute() else (Path.cwd() / path)
                try:
                    relative = full.resolve().relative_to(root)
                except ValueError:
                    relative = None
                shown = relative.as_posix() if relative is not None else str(path)
                if not full.is_file():
                    raise NotFoundError(f"no such file: {path}", hint="give the path of a policy file")
                try:
                    source = decode_policy(full.read_bytes(), path=shown)
                except PublisherError as exc:
                    targets[shown] = LintTarget(shown, "", unreadable=exc)
                    continue
                targets[shown] = LintTarget(shown, source)

        findings: list[Finding] = []
        slugs: list[tuple[str, LintTarget]] = []
        known = {p.path: p for p in repo.policies()}
        for target in targets.values():
            if target.unreadable is not None:
                findings.append(finding_from_error(target.unreadable, rule="encoding"))
                continue
            document, found = lint_source(target)
            findings.extend(found)
            if document is None:
                continue
            slugs.append((document.meta.slug or slug_from_path(target.path), target))
            committed = known.get(target.path)
            if committed is not None:
                findings.extend(silenced(
                    _published_text_findings(repo, committed, target, document), target.source
                ))
        # Slugs are compared with every policy, not only the ones given on the command line.
        for known_path, known_policy in known.items():
            if known_path not in targets:
                slugs.append((known_policy.slug, LintTarget(known_path, "")))
        findings.extend(
            f for f in duplicate_slug_findings(slugs) if f.path in targets
        )
        return sort_findings(findings)
