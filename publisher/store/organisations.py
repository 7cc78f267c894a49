"""Organisations and the people who accept on their behalf.

A customer is a ``person`` (the default) or an ``organisation``. A person may belong to one
organisation (``customers.organisation_id``); as its named user they may accept a policy on
its behalf, and that acceptance is the organisation's: the ledger record is for the
organisation customer, with the person in its ``acting_user`` field. For the organisation's
members, an acceptance at organisation level counts as their own (see
:mod:`publisher.store.status`); reports answer per organisation
(:mod:`publisher.store.org_reports`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from publisher.errors import NotFoundError, PublisherError
from publisher.store.customers import (
    CustomerInfo,
    CustomerRow,
    get_customer,
    import_customers,
)
from publisher.store.db import Database
from publisher.store.models import Customer


class NotAMember(PublisherError):
    """A customer acting for an organisation does not belong to it."""


@dataclass(frozen=True)
class Saved:
    """What :func:`save_customer` did: ``created``, ``updated`` or ``unchanged``."""

    customer: CustomerInfo
    outcome: str


def save_customer(database: Database, row: CustomerRow) -> Saved:
    """Create or update one customer (by id); the organisation it names must be a customer of
    kind organisation, and an organisation with members stays one (CustomerFileError)."""
    result = import_customers(database, [row], path=f"customer {row.id}")
    outcome = "created" if result.created else "updated" if result.updated else "unchanged"
    return Saved(get_customer(database, row.id), outcome)


def members(database: Database, organisation_id: str) -> list[CustomerInfo]:
    """The members of organisation ``organisation_id``, by id (NotFoundError when it is not a
    stored organisation)."""
    organisation = get_customer(database, organisation_id)
    if organisation.kind != "organisation":
        raise NotFoundError(
            f"customer {organisation_id!r} is a person, not an organisation",
            hint="make it one with `publisher customers add ID --kind organisation …`",
        )
    with database.session() as session:
        found = session.scalars(
            select(Customer.id).where(Customer.organisation_id == organisation_id)
        ).all()
    return [get_customer(database, member) for member in sorted(found)]


def acting_for(database: Database, member_id: str, organisation_id: str) -> CustomerInfo:
    """Check that ``member_id`` may accept on behalf of ``organisation_id`` and return the
    organisation: NotFoundError for an unknown customer, NotAMember otherwise."""
    member = get_customer(database, member_id)
    organisation = get_customer(database, organisation_id)
    if organisation.kind != "organisation":
        raise NotAMember(
            f"customer {organisation_id!r} is not an organisation",
            hint="only a customer of kind organisation is accepted for on its behalf",
        )
    if member.organisation != organisation_id:
        belongs = (
            f"belongs to {member.organisation!r}"
            if member.organisation
            else "belongs to no organisation"
        )
        raise NotAMember(
            f"customer {member_id!r} is not a member of organisation {organisation_id!r} "
            f"(it {belongs})",
            hint=f"add them with `publisher customers add {member_id} --organisation "
            f"{organisation_id} …`",
        )
    return organisation
