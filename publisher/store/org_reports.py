"""The acceptance report per organisation (``publisher acceptance report --by organisation``).

For every selected policy version, one line per customer of kind organisation: whether the
organisation accepted (through one of its members, named as ``acting_user``), carries an
earlier acceptance forward, is pending or was superseded, and its members. Built from
:func:`publisher.store.reports.acceptance_report`, so the rules are the same; the renderers
are pure functions of the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from publisher.counting import counted
from publisher.store.db import Database
from publisher.store.ledger import format_time
from publisher.store.models import Customer, utcnow
from publisher.store.reports import CustomerStatus, acceptance_report, spreadsheet_safe


@dataclass(frozen=True)
class OrganisationStanding:
    """One organisation for one policy version."""

    status: CustomerStatus
    members: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        mine = self.status
        return {
            "organisation": mine.id,
            "name": mine.name,
            "status": mine.status,
            "accepted_at": format_time(mine.accepted_at) if mine.accepted_at else None,
            "acting_user": mine.acting_user,
            "method": mine.method,
            "last_accepted": mine.last_accepted,
            "carried_from": mine.carried_from,
            "members": list(self.members),
        }


@dataclass(frozen=True)
class OrganisationVersion:
    policy: str
    version: str
    current: bool
    organisations: tuple[OrganisationStanding, ...]

    def count(self, status: str) -> int:
        return sum(1 for o in self.organisations if o.status.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "current": self.current,
            "organisations": len(self.organisations),
            **{s: self.count(s) for s in ("accepted", "carried", "pending", "superseded")},
            "standings": [o.to_dict() for o in self.organisations],
        }


@dataclass(frozen=True)
class OrganisationReport:
    generated_at: datetime
    versions: tuple[OrganisationVersion, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": format_time(self.generated_at),
            "by": "organisation",
            "versions": [v.to_dict() for v in self.versions],
        }


def organisation_report(
    database: Database,
    *,
    policy: str | None = None,
    version: str | None = None,
    now: Callable[[], datetime] = utcnow,
) -> OrganisationReport:
    """Per selected policy version, the standing of every organisation (by id)."""
    base = acceptance_report(database, policy=policy, version=version, now=now)
    with database.read() as connection:
        rows = connection.execute(
            select(Customer.id, Customer.kind, Customer.organisation_id)
        ).all()
    organisations = {row.id for row in rows if row.kind == "organisation"}
    members: dict[str, list[str]] = {}
    for row in rows:
        if row.organisation_id is not None:
            members.setdefault(row.organisation_id, []).append(row.id)
    versions = []
    for stored in base.versions:
        standings = tuple(
            OrganisationStanding(c, tuple(sorted(members.get(c.id, []))))
            for c in stored.customers
            if c.id in organisations
        )
        versions.append(
            OrganisationVersion(stored.policy, stored.version, stored.current, standings)
        )
    return OrganisationReport(base.generated_at, tuple(versions))


def _describe(standing: OrganisationStanding) -> str:
    mine = standing.status
    if mine.accepted and mine.accepted_at is not None:
        by = f" by {mine.acting_user}" if mine.acting_user else ""
        what = f"accepted {mine.accepted_at:%Y-%m-%d}{by}"
    elif mine.carried_from is not None:
        what = f"carried from version {mine.carried_from}"
    else:
        last = f"last accepted {mine.last_accepted}" if mine.last_accepted else "never accepted"
        what = f"{mine.status} ({last})"
    return f"  {mine.id}  {mine.name}  {what}; {counted(len(standing.members), 'member')}"


def render_organisations_text(report: OrganisationReport) -> str:
    """Per version: how many organisations accepted, then one line per organisation."""
    if not report.versions:
        return "no policy versions in the store (run `publisher db sync`)\n"
    out: list[str] = []
    for v in report.versions:
        if out:
            out.append("")
        current = " (current)" if v.current else ""
        out.append(
            f"{v.policy} {v.version}{current}: {v.count('accepted')} of "
            f"{counted(len(v.organisations), 'organisation')} accepted"
            + (f", {v.count('pending')} pending" if v.current else "")
        )
        out.extend(_describe(standing) for standing in v.organisations)
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "policy",
    "version",
    "organisation",
    "name",
    "status",
    "accepted_at",
    "acting_user",
    "method",
    "members",
)


def render_organisations_csv(report: OrganisationReport) -> str:
    """One row per organisation and version; members joined by spaces. Cells are made safe
    for spreadsheets and rows end in CRLF, as in the customer report."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for v in report.versions:
        for standing in v.organisations:
            data = standing.to_dict()
            writer.writerow(
                [
                    spreadsheet_safe(cell)
                    for cell in (
                        v.policy,
                        v.version,
                        data["organisation"],
                        data["name"],
                        data["status"],
                        data["accepted_at"] or "",
                        data["acting_user"] or "",
                        data["method"] or "",
                        " ".join(standing.members),
                    )
                ]
            )
    return buffer.getvalue()
