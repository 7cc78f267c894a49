"""Erasure of a customer's personal data outside the hash chain (GDPR Art. 17), keeping the
chain verifiable.

:func:`erase_customer` replaces the customer's name, email and company with a pseudonym
(the provider's customer id stays: it is the pseudonymous key the records are under),
and removes the email address, provider payloads and errors from the notices' outbox and
delivery events. The acceptance records are untouched, so ``audit verify`` still passes.

Not erased (and reported as such): the IP address and user agent of records of the current
record format, which are inside the hashed fields. Erasing those needs salted commitments in
the chain instead of plaintext (issue 17, item 3), which changes the append path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from publisher.store.customers import get_customer
from publisher.store.db import Database
from publisher.store.models import Acceptance, Customer, Delivery, DeliveryEvent, utcnow

ERASED_NAME = "erased customer"


def pseudonym_email(customer_id: str) -> str:
    """The address an erased customer's email is replaced with (never deliverable)."""
    return f"erased-{hashlib.sha256(customer_id.encode('utf-8')).hexdigest()[:16]}@erased.invalid"


@dataclass(frozen=True)
class ErasureResult:
    """What :func:`erase_customer` changed, and what it could not."""

    customer_id: str
    deliveries: int
    events: int
    records_keeping_ip: int
    """Acceptance records whose IP address or user agent stays in the chain."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer_id,
            "erased": ["name", "email", "company"],
            "deliveries": self.deliveries,
            "delivery_events": self.events,
            "records_keeping_ip_or_user_agent": self.records_keeping_ip,
        }


def erase_customer(
    database: Database, customer_id: str, *, now: Callable[[], datetime] = utcnow
) -> ErasureResult:
    """Pseudonymise the customer and their outbox rows, in one transaction (NotFoundError
    for an unknown id). Running it again changes nothing more."""
    customer = get_customer(database, customer_id)
    email = pseudonym_email(customer_id)
    erased = (customer.name, customer.email, customer.company) == (ERASED_NAME, email, "")
    with database.session() as session, session.begin():
        if not erased:
            session.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(name=ERASED_NAME, email=email, company="", locale=None, updated_at=now())
            )
        delivery_ids = list(
            session.scalars(select(Delivery.id).where(Delivery.customer_id == customer_id))
        )
        session.execute(
            update(Delivery)
            .where(Delivery.customer_id == customer_id)
            .values(email=email, last_error=None)
        )
        events = 0
        for start in range(0, len(delivery_ids), 500):
            chunk = delivery_ids[start : start + 500]
            events += (
                session.scalar(
                    select(func.count())
                    .select_from(DeliveryEvent)
                    .where(DeliveryEvent.delivery_id.in_(chunk))
                )
                or 0
            )
            session.execute(
                update(DeliveryEvent)
                .where(DeliveryEvent.delivery_id.in_(chunk))
                .values(payload=None, reason=None)
            )
        keeping = (
            session.scalar(
                select(func.count())
                .select_from(Acceptance)
                .where(
                    Acceptance.customer_id == customer_id,
                    or_(Acceptance.ip.is_not(None), Acceptance.user_agent.is_not(None)),
                )
            )
            or 0
        )
    return ErasureResult(customer_id, len(delivery_ids), events, keeping)
