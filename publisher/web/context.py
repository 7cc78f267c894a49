"""What an acceptance page needs, read from the store for one link: the customer, the version
asked for, the notice, the customer's previous acceptance of the policy, whether this
version is already accepted, and the text shown — the translation in the customer's language
when one renders exactly this version, else the source text
(:func:`publisher.store.translations.pick_shown`). Reads only; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select, true

from publisher.errors import NotFoundError
from publisher.links import LinkClaims
from publisher.store.customers import CustomerInfo
from publisher.store.db import Database
from publisher.store.integrity import text_problem
from publisher.store.ledger import AcceptanceRecord, AcceptanceRequest
from publisher.store.models import Acceptance, Customer, Notice, PolicyVersion, Translation
from publisher.store.record import read_records
from publisher.store.tables import ACCEPTANCES
from publisher.store.translations import (
    SOURCE,
    Candidate,
    Shown,
    StoredTranslation,
    as_candidate,
    candidates_filter,
    pick_shown,
)
from publisher.store.versions import StoredVersion


class LinkTargetMissing(NotFoundError):
    """The link is authentic but its customer, version or notice is not in the store."""


class StoredTextTampered(LinkTargetMissing):
    """A text the page would show does not hash as its version (or the acceptance) says:
    it is never shown."""


@dataclass(frozen=True)
class NoticeInfo:
    id: int
    subject: str
    summary: str | None
    effective: date | None
    created_at: datetime


@dataclass(frozen=True)
class LinkContext:
    claims: LinkClaims
    customer: CustomerInfo
    version: StoredVersion
    notice: NoticeInfo | None
    accepted: AcceptanceRecord | None
    """This customer's acceptance of this version, if already given."""
    previous: StoredVersion | None
    """The newest earlier version of this policy the customer accepted (None: none)."""
    earlier: StoredVersion | None = None
    """The version just before this one (None: this is the first): what a customer who never
    accepted the policy is shown the changes from."""
    current: StoredVersion | None = None
    """The newest version of the policy when it is not this one (None: this one is current)."""
    newer_accepted: StoredVersion | None = None
    """The newest later version the customer already accepted (then this one is not offered)."""
    organisation: CustomerInfo | None = None
    """The organisation a member's link accepts for (its acceptances are the ones above)."""
    shown: Shown = SOURCE
    """Which text the page shows, and why (the customer's language, its translation)."""
    translation: StoredTranslation | None = None
    """The translation shown (None: the source text, ``version``, is shown)."""

    @property
    def superseded(self) -> bool:
        return self.current is not None

    @property
    def text(self) -> StoredVersion | StoredTranslation:
        """The text the page shows (and the acceptance records the sha256 of)."""
        return self.translation if self.translation is not None else self.version


def load_context(database: Database, claims: LinkClaims) -> LinkContext:
    """Everything the landing and receipt pages show for ``claims``."""
    with database.session() as session:
        customer = session.get(Customer, claims.customer)
        # whose acceptances these are: the organisation's, on a member's link for it
        holder = claims.organisation or claims.customer
        organisation = None
        if claims.organisation is not None and customer is not None:
            organisation = session.get(Customer, claims.organisation)
            if organisation is None or customer.organisation_id != organisation.id:
                raise LinkTargetMissing("link for an organisation the customer is not a member of")
        version = session.scalars(
            select(PolicyVersion).where(
                PolicyVersion.slug == claims.policy, PolicyVersion.label == claims.version
            )
        ).first()
        if customer is None or version is None:
            raise LinkTargetMissing(
                f"link for unknown {'customer' if customer is None else 'policy version'}"
            )
        notice = None
        if claims.notice is not None:
            row = session.get(Notice, claims.notice)
            if row is None or (row.slug, row.version_label) != (claims.policy, claims.version):
                raise LinkTargetMissing(f"link for unknown notice {claims.notice}")
            notice = NoticeInfo(row.id, row.subject, row.summary, row.effective, row.created_at)
        accepted_rows = read_records(
            session.connection(),
            select(ACCEPTANCES).where(
                Acceptance.customer_id == holder,
                Acceptance.slug == claims.policy,
                Acceptance.version_label == claims.version,
            ),
        )

        def neighbour(*, later: bool, accepted: bool) -> PolicyVersion | None:
            """The nearest earlier version (or the newest later one), optionally only among
            those the customer accepted."""
            query = select(PolicyVersion).where(
                PolicyVersion.slug == claims.policy,
                PolicyVersion.position > version.position
                if later
                else PolicyVersion.position < version.position,
            )
            if accepted:
                query = query.join(
                    Acceptance,
                    (Acceptance.slug == PolicyVersion.slug)
                    & (Acceptance.version_label == PolicyVersion.label),
                ).where(Acceptance.customer_id == holder)
            return session.scalars(query.order_by(PolicyVersion.position.desc()).limit(1)).first()

        previous = neighbour(later=False, accepted=True)
        earlier = neighbour(later=False, accepted=False)
        current = neighbour(later=True, accepted=False)
        newer_accepted = None if current is None else neighbour(later=True, accepted=True)
        translations = {
            row.id: StoredTranslation.from_model(row)
            for row in session.scalars(
                select(Translation).where(
                    Translation.slug == claims.policy, candidates_filter(claims.version)
                )
            )
        }
        shown = pick_shown(
            customer.locale, claims.version, [as_candidate(t) for t in translations.values()]
        )
        context = LinkContext(
            claims=claims,
            customer=_info(customer),
            version=StoredVersion.from_model(version),
            notice=notice,
            accepted=accepted_rows[0] if accepted_rows else None,
            previous=StoredVersion.from_model(previous) if previous else None,
            earlier=StoredVersion.from_model(earlier) if earlier else None,
            current=StoredVersion.from_model(current) if current else None,
            newer_accepted=StoredVersion.from_model(newer_accepted) if newer_accepted else None,
            organisation=_info(organisation) if organisation is not None else None,
            shown=shown,
            translation=translations[shown.candidate.id] if shown.candidate else None,
        )
    _check_texts(context)
    return context


_SHOWN = (
    select(
        Customer.locale,
        PolicyVersion.sha256,
        Customer.organisation_id,
        Translation.id,
        Translation.language,
        Translation.position,
        Translation.renders,
        Translation.sha256,
    )
    .select_from(Customer)
    .join(PolicyVersion, true())  # one customer row beside one version row
    .outerjoin(  # … beside each translation version the choice needs
        Translation,
        (Translation.slug == PolicyVersion.slug) & candidates_filter(PolicyVersion.label),
    )
    .where(
        Customer.id == bindparam("customer"),
        PolicyVersion.slug == bindparam("policy"),
        PolicyVersion.label == bindparam("version"),
    )
)
"""The query of :func:`shown_facts`, built once (the POST of every link page runs it)."""


_SHOWN_MANY = (
    select(Customer.id, PolicyVersion.slug, PolicyVersion.label, *_SHOWN.selected_columns)
    .select_from(Customer)
    .join(PolicyVersion, true())
    .outerjoin(
        Translation,
        (Translation.slug == PolicyVersion.slug) & candidates_filter(PolicyVersion.label),
    )
    .where(
        Customer.id.in_(bindparam("customers", expanding=True)),
        PolicyVersion.slug.in_(bindparam("policies", expanding=True)),
        PolicyVersion.label.in_(bindparam("versions", expanding=True)),
    )
)
"""The query of :func:`shown_facts_many`: :data:`_SHOWN` for many links at once (each
customer beside each version named; the rows of pairs nobody asked for are ignored)."""


def shown_facts_many(
    database: Database, many: Sequence[LinkClaims]
) -> list[tuple[str | None, str] | LinkTargetMissing]:
    """:func:`shown_facts` for each of ``many`` in one query (the POSTs of one batch on
    PostgreSQL: one round trip instead of one each): each one's facts, or the
    :class:`LinkTargetMissing` that refuses it alone. (SQLite: one read each, microseconds
    in process; its hot path compiles a statement once, which an IN list cannot be.)"""
    if database.dialect == "sqlite":
        answers_each: list[tuple[str | None, str] | LinkTargetMissing] = []
        for claims in many:
            try:
                answers_each.append(shown_facts(database, claims))
            except LinkTargetMissing as error:
                answers_each.append(error)
        return answers_each
    rows = database.hot_rows(
        _SHOWN_MANY,
        {
            "customers": sorted({c.customer for c in many}),
            "policies": sorted({c.policy for c in many}),
            "versions": sorted({c.version for c in many}),
        },
    )
    found: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        found.setdefault((row[0], row[1], row[2]), []).append(row[3:])
    answers: list[tuple[str | None, str] | LinkTargetMissing] = []
    for claims in many:
        try:
            answers.append(
                _facts(found.get((claims.customer, claims.policy, claims.version), []), claims)
            )
        except LinkTargetMissing as error:
            answers.append(error)
    return answers


class ShownFor(NamedTuple):
    """Whose link page a POST came from, for :func:`with_shown_facts`."""

    database: Database
    default_language: str
    claims: LinkClaims


def with_shown_facts(
    items: list[tuple[ShownFor, AcceptanceRequest]],
) -> list[AcceptanceRequest | Exception]:
    """The link POSTs of one batch, each with the language and hash of the text its page
    showed (:func:`shown_facts_many`: one query on PostgreSQL), or the error that refuses it
    alone; a :class:`~publisher.store.group_commit.BatchPrepare` run by the ledger writer."""
    facts = shown_facts_many(items[0][0].database, [shown.claims for shown, _ in items])
    done: list[AcceptanceRequest | Exception] = []
    for (shown, asked), fact in zip(items, facts, strict=True):
        if isinstance(fact, Exception):
            done.append(fact)
        else:
            language, sha256 = fact
            done.append(
                replace(asked, language=language or shown.default_language, shown_sha256=sha256)
            )
    return done


def shown_facts(database: Database, claims: LinkClaims) -> tuple[str | None, str]:
    """What recording an acceptance from a link's page needs of it, in one indexed query:
    the language of the text the page showed (the translation's; None: the source text, in
    the default language) and its sha256 (the stored translation's or version's, which the
    page checked its text against when it rendered; :func:`load_context` loads everything
    else the pages show); a member's link for an organisation they have left is refused here
    too. The text is chosen as the page chose it (:func:`pick_shown`, from the same rows).
    On the hot path: a statement built once, run without a transaction of its own
    (:meth:`~publisher.store.db.Database.hot_rows`)."""
    rows = database.hot_rows(
        _SHOWN, {"customer": claims.customer, "policy": claims.policy, "version": claims.version}
    )
    return _facts(rows, claims)


def _facts(rows: Sequence[Any], claims: LinkClaims) -> tuple[str | None, str]:
    """:func:`shown_facts` from the rows of its query."""
    if not rows:
        raise LinkTargetMissing("link for unknown customer or policy version")
    locale, source_sha256, organisation = rows[0][0], rows[0][1], rows[0][2]
    if claims.organisation is not None and organisation != claims.organisation:
        raise LinkTargetMissing("link for an organisation the customer is not a member of")
    found = [Candidate(*row[3:]) for row in rows if row[3] is not None]
    shown = pick_shown(locale, claims.version, found)
    if shown.candidate is not None:
        return shown.candidate.language, shown.candidate.sha256
    return None, source_sha256


def _info(row: Customer) -> CustomerInfo:
    return CustomerInfo(row.id, row.email, row.name, row.company, row.locale)


def _check_texts(context: LinkContext) -> None:
    """Re-hash every text the pages show (StoredTextTampered for the first that fails)."""
    accepted = context.accepted.content_sha256 if context.accepted else None
    shown = [(context.version, accepted)] + [
        (v, None) for v in (context.previous, context.earlier, context.current) if v is not None
    ]
    for version, expected in shown:
        problem = text_problem(version, expected)
        if problem is not None:
            raise StoredTextTampered(problem)
    if context.translation is not None:
        problem = text_problem(context.translation)
        if problem is not None:
            raise StoredTextTampered(problem)
