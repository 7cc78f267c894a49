"""Evidence export for one customer: what they accepted, exactly, when, and what they were sent.

The export holds the customer, every acceptance record (with its place in the hash chain and
the chain's verification at export time), the exact text of each accepted version — written
normalised, so ``sha256sum`` of the file equals the recorded ``content_sha256`` — and of each
translation a record says the customer was shown instead (its ``shown_sha256``), every notice
sent to the customer, and each delivery's events. :func:`collect_evidence` reads the store;
:func:`evidence_document` and :func:`write_evidence` format it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.document import body_sha256
from publisher.errors import PublisherError
from publisher.gitio import Git
from publisher.store.customers import CustomerInfo, get_customer
from publisher.store.db import Database
from publisher.store.integrity import (
    TAMPERED_HINT,
    TRANSLATION_TAMPERED_HINT,
    open_repo,
    repo_problem,
    require_text,
    translation_repo_problem,
)
from publisher.store.ledger import (
    AcceptanceRecord,
    ChainVerification,
    format_time,
    records,
    verify_chain,
)
from publisher.store.models import Delivery, DeliveryEvent, Notice, utcnow
from publisher.store.record import ERASURE, PERSONAL_FIELDS
from publisher.store.translations import StoredTranslation, stored_translations
from publisher.store.versions import StoredVersion, stored_versions


class EvidenceError(PublisherError):
    """The evidence cannot be written (output folder) or is inconsistent."""


def normalised_text(body: str) -> str:
    """The policy body exactly as hashed by :func:`publisher.document.body_sha256`."""
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines).strip("\n") + "\n"
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != body_sha256(body):
        raise EvidenceError(
            "the evidence text does not hash like body_sha256",
            hint="publisher.document.body_sha256 changed its normalisation; update "
            "publisher.store.evidence.normalised_text to match",
        )
    return text


@dataclass(frozen=True)
class DeliveryEvidence:
    """One notice sent (or queued) to the customer and the provider's events for it."""

    notice_id: int
    policy: str
    version: str
    subject: str
    notice_created_at: datetime
    email: str
    since: str | None
    state: str
    attempts: int
    message_id: str | None
    queued_at: datetime
    sent_at: datetime | None
    last_error: str | None
    events: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice_id,
            "policy": self.policy,
            "version": self.version,
            "subject": self.subject,
            "notice_created_at": format_time(self.notice_created_at),
            "email": self.email,
            "changes_since_version": self.since,
            "state": self.state,
            "attempts": self.attempts,
            "message_id": self.message_id,
            "queued_at": format_time(self.queued_at),
            "sent_at": format_time(self.sent_at) if self.sent_at else None,
            "last_error": self.last_error,
            "events": list(self.events),
        }


@dataclass(frozen=True)
class Evidence:
    """Everything the store knows about one customer's acceptances."""

    customer: CustomerInfo
    generated_at: datetime
    records: tuple[AcceptanceRecord, ...]
    texts: dict[tuple[str, str], StoredVersion]
    deliveries: tuple[DeliveryEvidence, ...]
    chain: ChainVerification
    shown: dict[int, StoredTranslation] = field(default_factory=dict)
    """Record seq -> the translation its page showed (records showing the source text, or
    an app's own text, have none)."""


def collect_evidence(
    database: Database,
    customer_id: str,
    *,
    now: Callable[[], datetime] = utcnow,
    repo_root: Path | None = None,
) -> Evidence:
    """Gather one customer's evidence from the store (NotFoundError for an unknown id).

    Every accepted text is re-hashed and compared with its record's ``content_sha256`` (and,
    given ``repo_root``, with the version's file at its commit in git): a text that does not
    match raises :class:`~publisher.store.integrity.TextMismatch` and nothing is exported.
    """
    customer = get_customer(database, customer_id)
    found = tuple(records(database, customer_id=customer_id))
    wanted = {(r.policy, r.version) for r in found}
    texts = {
        (v.slug, v.label): v
        for slug in sorted({p for p, _ in wanted})
        for v in stored_versions(database, slug=slug)
        if (v.slug, v.label) in wanted
    }
    shown = _shown_translations(database, found)
    _check_texts(found, texts, shown, repo_root)
    deliveries: list[DeliveryEvidence] = []
    with database.session() as session:
        rows = session.execute(
            select(Delivery, Notice)
            .join(Notice, Notice.id == Delivery.notice_id)
            .where(Delivery.customer_id == customer_id)
            .order_by(Delivery.queued_at, Delivery.id)
        ).all()
        for delivery, notice in rows:
            events = tuple(
                {
                    "event": e.event,
                    "reason": e.reason,
                    "occurred_at": format_time(e.occurred_at),
                    "received_at": format_time(e.received_at),
                    "provider_event_id": e.provider_event_id,
                    "payload": json.loads(e.payload) if e.payload else None,
                }
                for e in session.scalars(
                    select(DeliveryEvent)
                    .where(DeliveryEvent.delivery_id == delivery.id)
                    .order_by(DeliveryEvent.occurred_at, DeliveryEvent.id)
                )
            )
            deliveries.append(
                DeliveryEvidence(
                    notice_id=notice.id,
                    policy=notice.slug,
                    version=notice.version_label,
                    subject=notice.subject,
                    notice_created_at=notice.created_at,
                    email=delivery.email,
                    since=delivery.since_label,
                    state=delivery.state,
                    attempts=delivery.attempts,
                    message_id=delivery.message_id,
                    queued_at=delivery.queued_at,
                    sent_at=delivery.sent_at,
                    last_error=delivery.last_error,
                    events=events,
                )
            )
    return Evidence(customer, now(), found, texts, tuple(deliveries), verify_chain(database), shown)


def shows_translation(record: AcceptanceRecord) -> bool:
    """Whether ``record`` says the customer was shown another text than the source's."""
    return (
        record.method != ERASURE
        and record.shown_sha256 is not None
        and record.shown_sha256 != record.content_sha256
    )


def _shown_translations(
    database: Database, found: tuple[AcceptanceRecord, ...]
) -> dict[int, StoredTranslation]:
    """The stored translation each record showed, found by its ``shown_sha256`` (the one in
    the record's language rendering its version first). A link's record whose text is not
    in the store is an error: the pages show only stored texts."""
    shown: dict[int, StoredTranslation] = {}
    for record in found:
        if not shows_translation(record):
            continue
        assert record.shown_sha256 is not None
        rows = stored_translations(database, slug=record.policy, sha256=record.shown_sha256)
        if not rows:
            if record.method == "link":
                raise EvidenceError(
                    f"the text shown for {record.policy} version {record.version} (record seq "
                    f"{record.seq}, {record.language} translation, sha256 "
                    f"{record.shown_sha256[:12]}…) is not in the store",
                    hint=TRANSLATION_TAMPERED_HINT,
                )
            continue  # an app's record: the app showed its own text
        shown[record.seq] = max(rows, key=partial(_fit, record))
    return shown


def _fit(record: AcceptanceRecord, translation: StoredTranslation) -> tuple[bool, bool]:
    """How well a stored translation with the record's ``shown_sha256`` fits it: rendering
    its version first, then in its language."""
    return translation.renders == record.version, translation.language == record.language


def _check_texts(
    found: tuple[AcceptanceRecord, ...],
    texts: dict[tuple[str, str], StoredVersion],
    shown: dict[int, StoredTranslation],
    repo_root: Path | None,
) -> None:
    """Every accepted text re-hashed against its record (and git), and every translation
    shown against the record's ``shown_sha256``: raise at the first that fails, before
    anything is exported."""
    git = open_repo(repo_root)
    try:
        for record in found:
            if record.method == ERASURE:  # accepted no text
                continue
            translation = shown.get(record.seq)
            if translation is not None:
                _check_translation(translation, record, git)
            version = texts.get((record.policy, record.version))
            if version is None:
                raise EvidenceError(
                    f"the text of {record.policy} version {record.version} (record seq "
                    f"{record.seq}) is not in the store",
                    hint=TAMPERED_HINT,
                )
            require_text(version, record.content_sha256)
            problem = repo_problem(version, git) if git is not None else None
            if problem is not None:
                raise EvidenceError(problem, hint=TAMPERED_HINT)
    finally:
        if git is not None:
            git.close()


def _check_translation(
    translation: StoredTranslation, record: AcceptanceRecord, git: Git | None
) -> None:
    require_text(translation, record.shown_sha256, expected="shown_sha256")
    problem = translation_repo_problem(translation, git) if git is not None else None
    if problem is not None:
        raise EvidenceError(problem, hint=TRANSLATION_TAMPERED_HINT)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "_"


def text_path(policy: str, version: str, language: str | None = None) -> str:
    """Where the text of a version (or of its translation into ``language`` that a
    customer was shown) goes inside an evidence folder (POSIX, relative)."""
    suffix = f".{_safe(language)}" if language else ""
    return f"texts/{_safe(policy)}/{_safe(version)}{suffix}.md"


def shown_path(translation: StoredTranslation) -> str:
    """Where a translation shown goes: beside the version it renders, named by its language
    and the first 12 digits of its sha256 (two texts of one language never share a file)."""
    renders = translation.renders or translation.label
    return text_path(translation.slug, renders, f"{translation.language}.{translation.sha256[:12]}")


def _translation_dict(translation: StoredTranslation) -> dict[str, Any]:
    return {
        "language": translation.language,
        "version": translation.label,
        "renders": translation.renders,
        "inferred": translation.inferred,
        "title": translation.title,
        "commit": translation.commit,
        "path": translation.path,
        "blob": translation.blob,
        "sha256": translation.sha256,
    }


def _version_dict(version: StoredVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    effective: date | None = version.effective
    return {
        "title": version.title,
        "effective": effective.isoformat() if effective else None,
        "commit": version.commit,
        "path": version.path,
        "sha256": version.sha256,
    }


def evidence_document(evidence: Evidence, *, inline_texts: bool = True) -> dict[str, Any]:
    """The evidence as one JSON-ready document (texts inline, or as file references)."""
    accepted = []
    erasures = []
    for record in evidence.records:
        if record.method == ERASURE:
            erasures.append(
                {"record": record.to_dict(), "erased_at": format_time(record.accepted_at)}
            )
            continue
        version = evidence.texts.get((record.policy, record.version))
        entry: dict[str, Any] = {
            "record": record.to_dict(),
            "version": _version_dict(version),
            "text_matches_record": bool(
                version and body_sha256(version.body) == record.content_sha256
            ),
            "erased": _erased(record),
        }
        if version is not None:
            if inline_texts:
                entry["text"] = normalised_text(version.body)
            else:
                entry["text_file"] = text_path(record.policy, record.version)
        translation = evidence.shown.get(record.seq)
        entry["text_shown"] = (
            "translation"
            if translation is not None
            else ("source" if record.shown_sha256 == record.content_sha256 else None)
        )
        entry["translation"] = _translation_dict(translation) if translation else None
        if translation is not None:
            if inline_texts:
                entry["translation_text"] = normalised_text(translation.body)
            else:
                entry["translation_text_file"] = shown_path(translation)
        accepted.append(entry)
    customer = evidence.customer
    return {
        "customer": {
            "id": customer.id,
            "email": customer.email,
            "name": customer.name,
            "company": customer.company,
            "locale": customer.locale,
        },
        "generated_at": format_time(evidence.generated_at),
        "acceptances": accepted,
        "erasures": erasures,
        "notices": [d.to_dict() for d in evidence.deliveries],
        "ledger": evidence.chain.to_dict(),
    }


def _erased(record: AcceptanceRecord) -> dict[str, str]:
    """key → "erased on" time of each personal field of ``record`` whose value was erased
    (its commitment stays in the chain)."""
    if record.erased_at is None:
        return {}
    return {
        f.key: format_time(record.erased_at)
        for f in PERSONAL_FIELDS
        if f.attribute in record.commitments and getattr(record, f.attribute) is None
    }


def _readme(evidence: Evidence) -> str:
    customer = evidence.customer
    lines = [
        f"Acceptance evidence for {customer.name} <{customer.email}> (customer id {customer.id})",
        f"Generated {format_time(evidence.generated_at)} by policy-publisher.",
        "",
        "evidence.json  every acceptance record (with its hash-chain fields), the version",
        "               accepted, the notices sent and their delivery events",
        "texts/         the exact text of each accepted version; sha256 of each file equals",
        "               the record's content_sha256 (check: sha256sum -c SHA256SUMS); a",
        "               translation shown instead (<version>.<language>.<sha>.md) hashes to",
        "               the record's shown_sha256",
        "",
    ]
    for record in evidence.records:
        if record.method == ERASURE:
            lines.append(
                f"- personal data erased on {record.accepted_at:%Y-%m-%d} (ledger seq "
                f"{record.seq}; the chain keeps only salted commitments to it)"
            )
            continue
        erased = _erased(record)
        where = f" from {record.ip}" if record.ip else ""
        if "ip" in erased:
            where = f" from an IP address erased on {erased['ip'][:10]}"
        lines.append(
            f"- {record.policy} version {record.version}: accepted "
            f"{format_time(record.accepted_at)} via {record.method}"
            + where
            + f"; content sha256 {record.content_sha256}; ledger seq {record.seq}"
        )
        translation = evidence.shown.get(record.seq)
        if translation is not None:
            lines.append(
                f"  shown in {translation.language} (translation version {translation.label}, "
                f"sha256 {translation.sha256}): {shown_path(translation)}"
            )
    if not evidence.records:
        lines.append("- no acceptance recorded")
    lines.append("")
    verdict = (
        "intact"
        if evidence.chain.ok
        else "NOT intact: " + (evidence.chain.first.message if evidence.chain.first else "")
    )
    lines.append(f"Ledger at export: {evidence.chain.records} records, chain {verdict}.")
    return "\n".join(lines) + "\n"


def write_evidence(evidence: Evidence, out_dir: Path | str) -> list[Path]:
    """Write the evidence folder; returns the files written (SHA256SUMS last)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if any(out.iterdir()):
            raise EvidenceError(
                f"{out} is not empty",
                path=out,
                hint="choose a new folder with --out, so old and new evidence never mix",
            )
        written: dict[str, bytes] = {}
        for (policy, label), version in sorted(evidence.texts.items()):
            written[text_path(policy, label)] = normalised_text(version.body).encode("utf-8")
        for translation in evidence.shown.values():
            written[shown_path(translation)] = normalised_text(translation.body).encode("utf-8")
        document = evidence_document(evidence, inline_texts=False)
        written["evidence.json"] = (
            json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        ).encode("utf-8")
        written["README.txt"] = _readme(evidence).encode("utf-8")
        paths = []
        for relative, data in written.items():
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
        sums = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {relative}\n"
            for relative, data in sorted(written.items())
        )
        (out / "SHA256SUMS").write_text(sums, encoding="utf-8")
        paths.append(out / "SHA256SUMS")
    except OSError as exc:
        raise EvidenceError(f"cannot write evidence: {exc}", path=out) from exc
    return paths
