"""Who a notice is written to, organisations included.

A customer is written to for the customer whose acceptance counts for them, their
**account**: a person of no organisation and an organisation without members for
themselves; a member of an organisation for the organisation (``deliveries.on_behalf_of``),
since an acceptance at organisation level is theirs too (:mod:`publisher.store.organisations`).
So, under the one re-acceptance rule (:mod:`publisher.store.reaccept`):

- an organisation that needs to accept a version gets the notice through its members, each
  with their own signed link that accepts **on its behalf** (the record names both); the
  organisation's own contact address is not written to while it has members (none of them
  could be the one to accept);
- an organisation that accepted (by any of its members, or carried forward) gets nothing,
  and neither do its members; a member's own acceptance for themselves does not count for
  the organisation, so they are still written to for it;
- every member's email shows what changed since the version **the organisation** last
  accepted (the row's ``since_label``).

:func:`recipients` is the planning query (one ``INSERT … SELECT`` in
:func:`publisher.notices.campaign.create_notice`); :func:`on_behalf` lists a notice's member
rows and the link each gets, for ``notice create`` and its preview.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from publisher.store.db import Database
from publisher.store.tables import ACCEPTANCES, CUSTOMERS, DELIVERIES, VERSIONS
from publisher.store.versions import StoredVersion


def account_of(customer_id: Any, organisation_id: Any) -> ColumnElement[Any]:
    """The customer whose acceptance counts for a recipient: their organisation, or them."""
    return func.coalesce(organisation_id, customer_id)


def _last_accepted(slug: str) -> Any:
    """Per customer: the position of the newest version of ``slug`` they accepted."""
    return (
        select(
            ACCEPTANCES.c.customer_id.label("customer_id"),
            func.max(VERSIONS.c.position).label("position"),
        )
        .join(
            VERSIONS,
            and_(
                VERSIONS.c.slug == ACCEPTANCES.c.slug,
                VERSIONS.c.label == ACCEPTANCES.c.version_label,
            ),
        )
        .where(ACCEPTANCES.c.slug == slug)
        .group_by(ACCEPTANCES.c.customer_id)
        .subquery("last_accepted")
    )


def recipients(version: StoredVersion, carried: frozenset[str]) -> Select[Any]:
    """customer id, email, the account's last accepted label and the organisation written
    to for (None: themselves) of everyone whose account has not accepted ``version`` or a
    newer one, nor a version in ``carried``; organisations with members are left out (their
    members are written to instead)."""
    last = _last_accepted(version.slug)
    since = VERSIONS.alias("since_version")
    member = CUSTOMERS.alias("member")
    account = account_of(CUSTOMERS.c.id, CUSTOMERS.c.organisation_id)
    return (
        select(CUSTOMERS.c.id, CUSTOMERS.c.email, since.c.label, CUSTOMERS.c.organisation_id)
        .select_from(CUSTOMERS)
        .outerjoin(last, last.c.customer_id == account)
        .outerjoin(since, and_(since.c.slug == version.slug, since.c.position == last.c.position))
        .where(or_(last.c.position.is_(None), last.c.position < version.position))
        .where(or_(since.c.label.is_(None), since.c.label.not_in(sorted(carried))))
        .where(~exists(select(member.c.id).where(member.c.organisation_id == CUSTOMERS.c.id)))
    )


@dataclass(frozen=True)
class OnBehalf:
    """A member written to for their organisation, and the link their email carries."""

    member: str
    email: str
    name: str
    organisation: str
    organisation_name: str
    link: str

    def to_dict(self) -> dict[str, str]:
        return {
            "member": self.member,
            "email": self.email,
            "name": self.name,
            "organisation": self.organisation,
            "organisation_name": self.organisation_name,
            "link": self.link,
        }

    def describe(self) -> str:
        return (
            f"{self.member} <{self.email}> for {self.organisation} ({self.organisation_name}): "
            f"{self.link}"
        )


def on_behalf(
    database: Database,
    notice_id: int,
    link: Callable[[str, str | None], str],
    *,
    limit: int | None = None,
) -> list[OnBehalf]:
    """The notice's rows written to a member for their organisation, by organisation and
    member, each with ``link(member, organisation)`` (the renderer's signed link)."""
    organisation = CUSTOMERS.alias("organisation")
    query = (
        select(
            DELIVERIES.c.customer_id,
            DELIVERIES.c.email,
            CUSTOMERS.c.name,
            DELIVERIES.c.on_behalf_of,
            organisation.c.name.label("organisation_name"),
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == DELIVERIES.c.customer_id)
        .join(organisation, organisation.c.id == DELIVERIES.c.on_behalf_of)
        .where(DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.on_behalf_of.is_not(None))
        .order_by(DELIVERIES.c.on_behalf_of, DELIVERIES.c.customer_id)
        .limit(limit)
    )
    with database.read() as connection:
        rows = list(connection.execute(query))
    return [
        OnBehalf(
            r.customer_id,
            r.email,
            r.name,
            r.on_behalf_of,
            r.organisation_name,
            link(r.customer_id, r.on_behalf_of),
        )
        for r in rows
    ]


def count_on_behalf(database: Database, notice_id: int) -> int:
    """How many of the notice's rows are written to a member for their organisation."""
    query = select(func.count()).where(
        DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.on_behalf_of.is_not(None)
    )
    with database.read() as connection:
        return int(connection.execute(query).scalar_one())
