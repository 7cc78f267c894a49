"""Lint rules of translations: ``translation-lag`` (the source has newer versions than the
one the translation renders) and ``translation-structure`` (clauses on one side only,
numbering that diverges), on the translation's file. The logic is
:mod:`publisher.translations`; this module words the findings."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from publisher.config import Settings
from publisher.counting import counted
from publisher.document import Clause, Document
from publisher.errors import PublisherError
from publisher.history import Policy, PolicyRepo
from publisher.lint.findings import Finding, key_line
from publisher.translations import mismatches, translation_status


def translation_findings(
    repo: PolicyRepo,
    translation: Policy,
    path: str,
    source_text: str,
    document: Document,
    rules: Collection[str],
    settings: Settings,
    today: date,
) -> list[Finding]:
    """The findings of both rules for the translation ``translation`` whose text (work tree,
    index or commit) is ``source_text``, parsed as ``document``."""
    declared = document.meta.extra.get("translation_of")
    status = translation_status(
        repo,
        translation,
        today=today,
        grace_days=settings.translation_lag_grace_days,
        declared=declared,
    )
    source, render = status.source, status.rendering
    line = key_line(source_text, "translation_of") if declared is not None else 1
    findings: list[Finding] = []
    if "translation-lag" in rules:
        if render.renders is None:
            findings.append(
                Finding(
                    "translation-lag",
                    "error",
                    path,
                    line,
                    f"translation_of {render.declared!r} is no version of {source.path}",
                    f"versions of {source.slug}: {', '.join(source.labels)}",
                )
            )
        elif status.lagging:
            assert status.severity is not None
            how = "inferred" if render.inferred else "translation_of"
            when = (
                f"in force since {status.in_force_since.isoformat()}"
                if status.in_force_since
                else "not in force yet"
            )
            clauses = (
                ", ".join(
                    f"{c.id} ({c.kind}"
                    + (f", here line {c.translation_line}" if c.translation_line else "")
                    + ")"
                    for c in status.clauses
                )
                or "none (front matter only)"
            )
            findings.append(
                Finding(
                    "translation-lag",
                    status.severity,
                    path,
                    line,
                    f"translates {source.path} version {render.renders.label} ({how}), "
                    f"{counted(status.behind, 'version')} behind {source.current.label} ({when}); "
                    f"clauses to revisit: {clauses}",
                    f'update the translation, then set `translation_of: "{source.current.label}"` '
                    "in its front matter",
                )
            )
    if "translation-structure" in rules and render.renders is not None:
        try:
            rendered = repo.document(render.renders.revision)
        except PublisherError:
            return findings
        where = f"{source.path} version {render.renders.label}"
        for mismatch in mismatches(rendered, document):
            if mismatch.kind == "only_translation":
                assert mismatch.translation is not None
                message = f"clause {_name(mismatch.translation)} has no counterpart in {where}"
            elif mismatch.kind == "only_source":
                assert mismatch.source is not None
                message = f"clause {_name(mismatch.source)} of {where} is missing here"
            else:
                assert mismatch.source is not None and mismatch.translation is not None
                message = (
                    f"clause numbered {mismatch.translation.number} here is numbered "
                    f"{mismatch.source.number} in {where}"
                )
            findings.append(
                Finding(
                    "translation-structure",
                    "error",
                    path,
                    mismatch.line,
                    message,
                    "keep the translation's clauses and numbering as the source's",
                )
            )
    return findings


def _name(clause: Clause) -> str:
    """A clause as a reader finds it: its number and heading, else its id and first words."""
    if clause.label:
        return clause.label
    words = clause.text if len(clause.text) <= 30 else clause.text[:30].rstrip() + "…"
    return f"{clause.id} ({words!r})"
