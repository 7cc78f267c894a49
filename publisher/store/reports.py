"""Acceptance reports: accepted / pending / rate per policy version, and who is pending.

:func:`acceptance_report` reads the store; the renderers (:func:`render_text`,
:func:`render_csv`, :meth:`AcceptanceReport.to_dict`) are pure functions of the report.
A customer is "pending" for the current version of a policy when the re-acceptance rule
(:mod:`publisher.acceptance_rules`) says they need to accept it; one whose earlier acceptance
carries forward (editorial-only changes since, or ``reaccept: never``) is "carried". A
superseded version is never pending: a customer who did not accept it is "superseded" there
(they are asked for the current one), so the CSV for reminders only chases the current text.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, literal_column, select

from publisher.errors import NotFoundError
from publisher.store.db import Database
from publisher.store.ledger import format_time
from publisher.store.models import (
    Acceptance,
    Customer,
    Delivery,
    Notice,
    PolicyVersion,
    utcnow,
)
from publisher.store.reaccept import PolicyRules
from publisher.store.record import opened_sql
from publisher.store.versions import StoredVersion

PENDING_SHOWN = 50
"""How many pending customers the text report lists per version (CSV and JSON list all)."""


@dataclass(frozen=True)
class CustomerStatus:
    """One customer's standing for one policy version."""

    id: str
    email: str
    name: str
    company: str
    accepted_at: datetime | None
    method: str | None
    last_accepted: str | None
    """The newest version of this policy the customer accepted (None: none)."""
    notified: bool
    """A notice for this version was sent to the customer."""
    superseded: bool = False
    """The version is no longer the current one (so the customer is never pending for it)."""
    carried_from: str | None = None
    """The earlier version whose acceptance carries forward to this (current) one."""
    organisation: str | None = None
    """For a member: the organisation whose acceptance counts for them here (None: their own,
    or none)."""
    acting_user: str | None = None
    """Who accepted on the organisation's behalf (an organisation's record)."""

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def pending(self) -> bool:
        return not self.accepted and not self.superseded and self.carried_from is None

    @property
    def status(self) -> str:
        """``accepted``, ``carried`` (an earlier acceptance stands for this version),
        ``pending`` (current version) or ``superseded`` (not accepted, and no longer asked
        for)."""
        if self.accepted:
            return "accepted"
        if self.carried_from is not None:
            return "carried"
        return "superseded" if self.superseded else "pending"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "company": self.company,
            "status": self.status,
            "accepted_at": format_time(self.accepted_at) if self.accepted_at else None,
            "method": self.method,
            "last_accepted": self.last_accepted,
            "carried_from": self.carried_from,
            "notified": self.notified,
            "organisation": self.organisation,
            "acting_user": self.acting_user,
        }


@dataclass(frozen=True)
class VersionReport:
    """Acceptance of one policy version."""

    policy: str
    version: str
    title: str | None
    effective: date | None
    sha256: str
    current: bool
    customers: tuple[CustomerStatus, ...]

    @property
    def accepted(self) -> int:
        return sum(1 for c in self.customers if c.accepted)

    @property
    def pending(self) -> int:
        """Customers who have not accepted the current version (0 for a superseded one)."""
        return sum(1 for c in self.customers if c.pending)

    @property
    def carried(self) -> int:
        """Customers whose acceptance of an earlier version carries forward to this one."""
        return sum(1 for c in self.customers if c.status == "carried")

    @property
    def superseded(self) -> int:
        """Customers who did not accept this version before it was superseded."""
        return sum(1 for c in self.customers if c.status == "superseded")

    @property
    def rate(self) -> float | None:
        """Accepted / customers (None when there are no customers)."""
        return self.accepted / len(self.customers) if self.customers else None

    @property
    def pending_customers(self) -> tuple[CustomerStatus, ...]:
        return tuple(c for c in self.customers if c.pending)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "title": self.title,
            "effective": self.effective.isoformat() if self.effective else None,
            "sha256": self.sha256,
            "current": self.current,
            "customers": len(self.customers),
            "accepted": self.accepted,
            "pending": self.pending,
            "carried": self.carried,
            "superseded": self.superseded,
            "rate": round(self.rate, 4) if self.rate is not None else None,
            "pending_customers": [c.to_dict() for c in self.pending_customers],
        }


@dataclass(frozen=True)
class AcceptanceReport:
    """Acceptance of every selected policy version."""

    generated_at: datetime
    versions: tuple[VersionReport, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": format_time(self.generated_at),
            "versions": [v.to_dict() for v in self.versions],
        }


def acceptance_report(
    database: Database,
    *,
    policy: str | None = None,
    version: str | None = None,
    now: Callable[[], datetime] = utcnow,
) -> AcceptanceReport:
    """Accepted / pending per stored policy version (optionally one policy or version)."""
    with database.session() as session:
        query = select(PolicyVersion).order_by(PolicyVersion.slug, PolicyVersion.position)
        if policy is not None:
            query = query.where(PolicyVersion.slug == policy)
        all_versions = list(session.scalars(query))
        if policy is not None and not all_versions:
            known = session.scalars(select(PolicyVersion.slug).distinct()).all()
            raise NotFoundError(
                f"no policy {policy!r} in the store",
                hint="known: " + (", ".join(sorted(known)) or "none — run `publisher db sync`"),
            )
        chosen = all_versions
        if version is not None:
            chosen = [v for v in all_versions if v.label == version]
            if not chosen:
                raise NotFoundError(
                    f"no version {version!r}" + (f" of {policy}" if policy else ""),
                    hint="known versions: " + ", ".join(sorted({v.label for v in all_versions})),
                )
        latest = {v.slug: v.label for v in all_versions}  # ordered by position: last wins
        positions = {(v.slug, v.label): v.position for v in all_versions}
        customers = session.execute(
            select(
                Customer.id,
                Customer.email,
                Customer.name,
                Customer.company,
                Customer.organisation_id,
            ).order_by(Customer.id)
        ).all()
        slugs = {v.slug for v in chosen}
        rules = {
            slug: PolicyRules([StoredVersion.from_model(v) for v in all_versions if v.slug == slug])
            for slug in slugs
        }
        accepted: dict[tuple[str, str], dict[str, tuple[datetime, str, str | None]]] = defaultdict(
            dict
        )
        labels: dict[tuple[str, str], list[str]] = defaultdict(list)
        newest: dict[tuple[str, str], tuple[int, str]] = {}
        for row in session.execute(
            select(
                Acceptance.customer_id,
                Acceptance.slug,
                Acceptance.version_label,
                Acceptance.accepted_at,
                Acceptance.claimed_at,
                Acceptance.method,
                literal_column(opened_sql("acting_user", Acceptance.__tablename__), String).label(
                    "acting_user"
                ),
            ).where(Acceptance.slug.in_(slugs))
        ):
            # an imported acceptance counts at the time it claims
            moment = row.claimed_at or row.accepted_at
            accepted[(row.slug, row.version_label)][row.customer_id] = (
                moment,
                row.method,
                row.acting_user,
            )
            labels[(row.customer_id, row.slug)].append(row.version_label)
            position = positions.get((row.slug, row.version_label), -1)
            key = (row.customer_id, row.slug)
            if key not in newest or position > newest[key][0]:
                newest[key] = (position, row.version_label)
        notified: dict[tuple[str, str], set[str]] = defaultdict(set)
        for sent in session.execute(
            select(Notice.slug, Notice.version_label, Delivery.customer_id)
            .join(Delivery, Delivery.notice_id == Notice.id)
            .where(Notice.slug.in_(slugs), Delivery.state == "sent")
        ):
            notified[(sent.slug, sent.version_label)].add(sent.customer_id)
    reports = []
    for stored in chosen:
        key = (stored.slug, stored.label)
        statuses = []
        current = latest[stored.slug] == stored.label
        for customer in customers:
            done = accepted[key].get(customer.id)
            org = customer.organisation_id
            # a member counts their organisation's acceptance as their own
            via = org if done is None and org and org in accepted[key] else None
            if via is not None:
                done = accepted[key][via]
            last = max(
                (
                    newest[k]
                    for k in ((customer.id, stored.slug), (org, stored.slug))
                    if k in newest
                ),
                default=None,
            )
            carried = None
            if current and done is None:
                mine = labels[(customer.id, stored.slug)]
                theirs = labels[(org, stored.slug)] if org else []
                decision = rules[stored.slug].decide([*mine, *theirs])
                carried = decision.accepted if not decision.needed else None
            statuses.append(
                CustomerStatus(
                    id=customer.id,
                    email=customer.email,
                    name=customer.name,
                    company=customer.company,
                    accepted_at=done[0] if done else None,
                    method=done[1] if done else None,
                    last_accepted=last[1] if last else None,
                    notified=customer.id in notified[key],
                    superseded=not current,
                    carried_from=carried,
                    organisation=via,
                    acting_user=done[2] if done else None,
                )
            )
        reports.append(
            VersionReport(
                policy=stored.slug,
                version=stored.label,
                title=stored.title,
                effective=stored.effective,
                sha256=stored.sha256,
                current=latest[stored.slug] == stored.label,
                customers=tuple(statuses),
            )
        )
    return AcceptanceReport(now(), tuple(reports))


def _rate(report: VersionReport) -> str:
    return "–" if report.rate is None else f"{report.rate:.1%}"


def render_text(report: AcceptanceReport, *, all_pending: bool = False) -> str:
    """A table of versions, then the pending customers of each current version (a
    superseded version has none: its pending column reads "–")."""
    if not report.versions:
        return "no policy versions in the store (run `publisher db sync`)\n"
    header = ("policy", "version", "effective", "accepted", "pending", "rate")
    rows = [
        (
            v.policy,
            v.version + (" (current)" if v.current else ""),
            v.effective.isoformat() if v.effective else "–",
            str(v.accepted),
            str(v.pending) if v.current else "–",
            _rate(v),
        )
        for v in report.versions
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    numeric = {3, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    out.extend(line(r) for r in rows)
    for version in report.versions:
        if not version.pending:
            continue
        pending = version.pending_customers
        shown = pending if all_pending else pending[:PENDING_SHOWN]
        out.append("")
        out.append(f"pending for {version.policy} {version.version} ({len(pending)}):")
        for c in shown:
            last = f"last accepted {c.last_accepted}" if c.last_accepted else "never accepted"
            sent = "notified" if c.notified else "not notified"
            company = f", {c.company}" if c.company else ""
            out.append(f"  {c.id}  {c.name} <{c.email}>{company}  ({last}; {sent})")
        if len(shown) < len(pending):
            out.append(f"  … and {len(pending) - len(shown)} more (--format csv lists all)")
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "policy",
    "version",
    "customer_id",
    "email",
    "name",
    "company",
    "status",
    "accepted_at",
    "method",
    "last_accepted",
    "notified",
)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to spreadsheets (OWASP: CSV injection)."""


def spreadsheet_safe(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def render_csv(report: AcceptanceReport) -> str:
    """One row per customer and version (status accepted|carried|pending|superseded), for
    reminders: only the current versions have pending rows.

    Customer fields come from outside: cells a spreadsheet would evaluate (``=``, ``+``,
    ``-``, ``@``, tab, carriage return first) get a leading ``'``, and rows end in CRLF
    (RFC 4180) so a carriage return inside a field is quoted, never a row break.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for version in report.versions:
        for c in version.customers:
            data = c.to_dict()
            writer.writerow(
                [
                    spreadsheet_safe(cell)
                    for cell in (
                        version.policy,
                        version.version,
                        c.id,
                        c.email,
                        c.name,
                        c.company,
                        c.status,
                        data["accepted_at"] or "",
                        c.method or "",
                        c.last_accepted or "",
                        "yes" if c.notified else "no",
                    )
                ]
            )
    return buffer.getvalue()
