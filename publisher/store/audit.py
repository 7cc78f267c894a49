"""The full audit of the acceptance store: the hash chain and what the chain alone misses.

:func:`publisher.store.ledger.verify_chain` proves that no record was edited, deleted or
reordered unless the whole chain after it was recomputed. :func:`audit_ledger` adds what an
administrator of the database could otherwise change unseen:

- the stored texts: every ``policy_versions.body`` must hash to its ``sha256`` and to the
  ``content_sha256`` of every record of that version (and, given the repository, to the
  version's file at its commit); every ``translations.body`` to its ``sha256`` (and to its
  blob in git), and the translation a link's record says it showed (``shown_sha256``) must
  be in the store;
- record times: ``accepted_at`` never decreases along the chain (the server clock stamps each
  record as it is appended, so a record appended at the tail and backdated shows);
- the append-only triggers (migrations ``0002_append_only``, ``0012_translations``) exist
  and are enabled;
- the anchors kept outside the database (:mod:`publisher.store.checkpoints`), when given.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from publisher.store.db import Database
from publisher.store.integrity import (
    open_repo,
    repo_problem,
    text_problem,
    translation_repo_problem,
)
from publisher.store.ledger import AcceptanceRecord, ChainVerification, records, verify_chain
from publisher.store.record import ERASURE
from publisher.store.translations import StoredTranslation, stored_translations
from publisher.store.versions import StoredVersion, stored_versions

TRIGGERS = {
    "sqlite": ("acceptances_no_delete", "acceptances_no_update"),
    "postgresql": ("acceptances_append_only", "acceptances_no_truncate"),
}
"""The append-only triggers each backend must have on ``acceptances``."""
TRANSLATION_TRIGGERS = {
    "sqlite": ("translations_no_delete", "translations_no_update"),
    "postgresql": ("translations_append_only", "translations_no_truncate"),
}
"""… and on ``translations``."""


@dataclass(frozen=True)
class AuditProblem:
    """A defect found beyond the chain's own hashes and links."""

    kind: str
    """``text`` (a stored text was changed), ``time`` (a record is older than the one before
    it), ``trigger`` (an append-only trigger is missing or disabled) or ``anchor``."""
    seq: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "id": None, "message": self.message}


@dataclass(frozen=True)
class Audit:
    """The result of :func:`audit_ledger`: the chain's verification and the other checks."""

    chain: ChainVerification
    problems: tuple[AuditProblem, ...]
    anchors: int = 0
    """How many anchors were checked."""

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(kind, message) of every problem, the chain's first."""
        return [(p.kind, p.message) for p in self.chain.problems] + [
            (p.kind, p.message) for p in self.problems
        ]

    def to_dict(self) -> dict[str, Any]:
        document = self.chain.to_dict()
        document["ok"] = self.ok
        document["problems"] += [p.to_dict() for p in self.problems]
        document["anchors_checked"] = self.anchors
        return document


def text_problems(
    versions: Sequence[StoredVersion],
    rows: Sequence[AcceptanceRecord],
    *,
    repo_root: Path | None = None,
    translations: Sequence[StoredTranslation] = (),
) -> list[AuditProblem]:
    """Stored texts that do not hash as their version and their records say."""
    by_key = {(v.slug, v.label): v for v in versions}
    problems: list[AuditProblem] = []
    bad: set[tuple[str, str]] = set()
    git = open_repo(repo_root)
    try:
        for version in versions:
            problem = text_problem(version)
            if problem is None and git is not None:
                problem = repo_problem(version, git)
            if problem is not None:
                bad.add((version.slug, version.label))
                problems.append(AuditProblem("text", None, problem))
        for translation in translations:
            problem = text_problem(translation)
            if problem is None and git is not None:
                problem = translation_repo_problem(translation, git)
            if problem is not None:
                problems.append(AuditProblem("text", None, problem))
    finally:
        if git is not None:
            git.close()
    problems += _shown_problems(rows, translations)
    for row in rows:
        key = (row.policy, row.version)
        stored = by_key.get(key)
        if key in bad or row.method == ERASURE:  # an erasure record accepted no text
            continue
        if stored is None:
            problems.append(
                AuditProblem(
                    "text",
                    row.seq,
                    f"record seq {row.seq}: the text of {row.policy} version "
                    f"{row.version} is not in the store",
                )
            )
            bad.add(key)
            continue
        problem = text_problem(stored, row.content_sha256)
        if problem is not None:
            problems.append(AuditProblem("text", row.seq, f"record seq {row.seq}: {problem}"))
            bad.add(key)
    return problems


def _shown_problems(
    rows: Sequence[AcceptanceRecord], translations: Sequence[StoredTranslation]
) -> list[AuditProblem]:
    """Records of the link pages whose ``shown_sha256`` names a translation the store does
    not hold (the pages show only stored texts; an app's records may name its own)."""
    held = {(t.slug, t.sha256) for t in translations}
    return [
        AuditProblem(
            "text",
            row.seq,
            f"record seq {row.seq}: the text shown ({row.language} translation of "
            f"{row.policy} version {row.version}, sha256 {row.shown_sha256[:12]}…) is not "
            "in the store",
        )
        for row in rows
        if row.method == "link"
        and row.shown_sha256 is not None
        and row.shown_sha256 != row.content_sha256
        and (row.policy, row.shown_sha256) not in held
    ]


def time_problems(rows: Sequence[AcceptanceRecord]) -> list[AuditProblem]:
    """Records (in chain order) stamped earlier than the record before them."""
    problems: list[AuditProblem] = []
    for before, row in itertools.pairwise(rows):
        if row.accepted_at < before.accepted_at:
            problems.append(
                AuditProblem(
                    "time",
                    row.seq,
                    f"record seq {row.seq} ({row.customer_id} {row.policy} {row.version}) is "
                    f"stamped {row.accepted_at:%Y-%m-%d %H:%M:%S}, before record seq {before.seq} "
                    f"({before.accepted_at:%Y-%m-%d %H:%M:%S}): records are stamped as they are "
                    "appended, so it was backdated or inserted later",
                )
            )
    return problems


def trigger_problems(database: Database) -> list[AuditProblem]:
    """Append-only triggers that are missing (or, on PostgreSQL, disabled)."""
    problems = []
    for table, triggers in (("acceptances", TRIGGERS), ("translations", TRANSLATION_TRIGGERS)):
        found = _triggers(database, table)
        for name in triggers.get(database.dialect, ()):
            if name not in found:
                problems.append(
                    AuditProblem(
                        "trigger", None, f"the append-only trigger {name} on {table} was dropped"
                    )
                )
            elif not found[name]:
                problems.append(
                    AuditProblem(
                        "trigger", None, f"the append-only trigger {name} on {table} is disabled"
                    )
                )
    return problems


def _triggers(database: Database, table: str) -> dict[str, bool]:
    """The triggers on ``table`` (a constant of this module) and whether each is enabled."""
    with database.read() as connection:
        if database.dialect == "sqlite":
            return {
                row[0]: True
                for row in connection.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = :table"
                    ),
                    {"table": table},
                )
            }
        return {
            row[0]: row[1] != "D"
            for row in connection.execute(
                text(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid = CAST(:table AS regclass) AND NOT tgisinternal"
                ),
                {"table": table},
            )
        }


def audit_ledger(
    database: Database,
    *,
    anchor: tuple[int, str] | None = None,
    repo_root: Path | None = None,
    anchors: Sequence[tuple[int, str]] = (),
    anchor_problems: Sequence[str] = (),
) -> Audit:
    """Verify the chain, the stored texts, the record times, the triggers and ``anchors``
    ((seq, hash) pairs kept outside the database; see :mod:`publisher.store.checkpoints`);
    ``anchor_problems`` are what was found wrong with the anchors themselves (signatures)."""
    chain = verify_chain(database, anchor=anchor)
    rows = records(database)
    problems = text_problems(
        stored_versions(database),
        rows,
        repo_root=repo_root,
        translations=stored_translations(database),
    )
    problems += time_problems(rows)
    problems += trigger_problems(database)
    problems += [AuditProblem("anchor", None, message) for message in anchor_problems]
    by_seq = {row.seq: row for row in rows}
    for seq, digest in anchors:
        row = by_seq.get(seq)
        if row is None:
            problems.append(
                AuditProblem(
                    "anchor",
                    seq,
                    f"anchor seq {seq} {digest[:12]}…: that record is missing "
                    "(the ledger was cut back or rewritten)",
                )
            )
        elif row.hash != digest:
            problems.append(
                AuditProblem(
                    "anchor",
                    seq,
                    f"anchor seq {seq} {digest[:12]}…: the record now has hash "
                    f"{row.hash[:12]}… (the chain was recomputed after an edit)",
                )
            )
    return Audit(chain, tuple(problems), anchors=len(anchors))
