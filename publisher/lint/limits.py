"""``limits``: a policy's slug, version label, title and path fit the site and the store
(:mod:`publisher.limits`). Pure."""

from __future__ import annotations

from publisher.document import Document
from publisher.limits import LABEL_MAX, PATH_MAX, SLUG_MAX, TITLE_MAX
from publisher.lint.findings import Finding, key_line
from publisher.pages import label_path


def _too_long(value: str, most: int) -> str | None:
    """What is too long about ``value`` (None when it fits in ``most`` characters). Slugs
    and the site's label folders are ASCII (``[A-Za-z0-9._-]``), so characters are bytes
    and every limit here is within one file name (``FILE_NAME_BYTES``)."""
    if len(value) > most:
        return f"{len(value):,} characters; at most {most:,} fit"
    return None


def _heading_line(document: Document, source: str) -> int:
    """The line of the ``#`` heading that gives the title."""
    for number, text in enumerate(source.splitlines(), start=1):
        if number >= document.body_start_line and text.lstrip().startswith("# "):
            return number
    return document.body_start_line


def limit_findings(document: Document, source: str, path: str, slug: str) -> list[Finding]:
    """A finding for each name of the policy at ``path`` (its ``slug`` as the site uses it)
    that is longer than the site or the store can hold."""
    findings: list[Finding] = []
    from_key = document.meta.slug is not None
    problem = _too_long(slug, SLUG_MAX)
    if problem is not None:
        findings.append(
            Finding(
                "limits",
                "error",
                path,
                key_line(source, "slug") if from_key else 1,
                f"the slug {slug[:40]!r}… is {problem} (the site's folder name and the store's "
                "slug column)",
                "set a shorter `slug:` in the front matter"
                + ("" if from_key else " (this one comes from the file name)"),
            )
        )
    label = document.meta.version
    if label is not None:
        problem = _too_long(label, LABEL_MAX) or _too_long(label_path(label), LABEL_MAX)
        if problem is not None:
            findings.append(
                Finding(
                    "limits",
                    "error",
                    path,
                    key_line(source, "version"),
                    f"the version label {label[:40]!r}… is {problem} (the site's folder name and "
                    "the store's label column)",
                    'use a short label such as `version: "4"` or `version: 2024-03`; say what '
                    "changed in `summary:`",
                )
            )
    for title, line in (
        (document.meta.title, key_line(source, "title")),
        (document.title, _heading_line(document, source)),
    ):
        if title is not None and len(title) > TITLE_MAX:
            findings.append(
                Finding(
                    "limits",
                    "error",
                    path,
                    line,
                    f"the title is {len(title):,} characters; the store keeps at most {TITLE_MAX}",
                    "shorten the title (`title:` in the front matter, else the first `#` heading)",
                )
            )
            break
    if len(path) > PATH_MAX:
        findings.append(
            Finding(
                "limits",
                "error",
                path,
                1,
                f"the file's path is {len(path):,} characters; the store keeps at most {PATH_MAX:,}",
                "move the policy to a shorter path",
            )
        )
    return findings
