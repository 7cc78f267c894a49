"""One customer's acceptance status per policy, for the in-app status API: the current
version, what the customer accepted (version, time, record hash) and whether a new
acceptance is needed, by the re-acceptance rule (:mod:`publisher.acceptance_rules`).

:func:`read_status` reads the store in one read transaction (three indexed queries, no
policy texts), so an answer is never older than the last committed acceptance. Nothing about
customers or acceptances is cached; only materiality (a pure function of two texts) is, and
with ``diff=False`` a pair never computed in this process raises
:class:`~publisher.store.reaccept.NotCached` instead of diffing inline (the web handler then
retries with ``diff=True`` in a worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from publisher.acceptance_rules import Decision, Materiality, VersionRule, decide, parse_mode
from publisher.errors import NotFoundError
from publisher.store.db import Database
from publisher.store.ledger import format_time
from publisher.store.models import Acceptance, Customer, PolicyVersion
from publisher.store.reaccept import StoredMateriality, cached_only
from publisher.store.versions import split_trailers

_ACCEPTANCES = cast(Table, Acceptance.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_VERSIONS = cast(Table, PolicyVersion.__table__)

MAX_POLICIES = 50
"""At most this many ``policy`` parameters per request."""


@dataclass(frozen=True)
class AcceptedVersion:
    """The customer's newest acceptance of a policy: which version, when, which record."""

    version: str
    accepted_at: datetime
    seq: int
    hash: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "accepted_at": format_time(self.accepted_at),
                "record": self.seq, "hash": self.hash, "method": self.method}


@dataclass(frozen=True)
class PolicyStatus:
    """One policy for one customer."""

    policy: str
    title: str | None
    current: str
    effective: date | None
    sha256: str
    accepted: AcceptedVersion | None
    decision: Decision

    @property
    def needs_acceptance(self) -> bool:
        return self.decision.needed

    def to_dict(self, accept_url: str | None = None) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "title": self.title,
            "current": {"version": self.current, "sha256": self.sha256,
                        "effective": self.effective.isoformat() if self.effective else None},
            "accepted": self.accepted.to_dict() if self.accepted else None,
            **self.decision.to_dict(),
            "accept_url": accept_url,
        }


@dataclass(frozen=True)
class CustomerPolicies:
    """The status of every requested policy for one customer."""

    customer: str
    policies: tuple[PolicyStatus, ...]

    @property
    def needs_acceptance(self) -> bool:
        return any(p.needs_acceptance for p in self.policies)


@dataclass(frozen=True)
class _Version:
    rule: VersionRule
    title: str | None
    effective: date | None


def _bodies(connection: Connection, slug: str) -> Any:
    def load(label: str) -> str:
        body = connection.execute(select(_VERSIONS.c.body).where(
            _VERSIONS.c.slug == slug, _VERSIONS.c.label == label)).scalar_one()
        return str(body)
    return load


def read_status(database: Database, customer: str, policies: Sequence[str] = (), *,
                diff: bool = True) -> CustomerPolicies:
    """``customer``'s status for ``policies`` (default: every stored policy), in slug order.

    NotFoundError for an unknown customer or policy (the hint lists the known policies).
    """
    wanted = sorted(set(policies))
    with database.read() as connection:
        known = connection.execute(
            select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.id == customer)).first()
        if known is None:
            raise NotFoundError(f"no customer {customer!r} in the store",
                                hint="import customers with `publisher customers import`")
        query = select(_VERSIONS.c.slug, _VERSIONS.c.label, _VERSIONS.c.position,
                       _VERSIONS.c.title, _VERSIONS.c.effective, _VERSIONS.c.sha256,
                       _VERSIONS.c.reaccept, _VERSIONS.c.policy_change)
        accepted_query = select(_ACCEPTANCES.c.slug, _ACCEPTANCES.c.version_label,
                                _ACCEPTANCES.c.accepted_at, _ACCEPTANCES.c.seq,
                                _ACCEPTANCES.c.hash, _ACCEPTANCES.c.method).where(
            _ACCEPTANCES.c.customer_id == customer)
        if wanted:
            query = query.where(_VERSIONS.c.slug.in_(wanted))
            accepted_query = accepted_query.where(_ACCEPTANCES.c.slug.in_(wanted))
        versions: dict[str, list[_Version]] = {}
        for row in connection.execute(query):
            versions.setdefault(row.slug, []).append(_Version(
                VersionRule(row.label, row.position, row.sha256,
                            reaccept=parse_mode(row.reaccept) if row.reaccept else None,
                            policy_change=split_trailers(row.policy_change)),
                row.title, row.effective))
        missing = [slug for slug in wanted if slug not in versions]
        if missing:
            all_slugs = connection.execute(select(_VERSIONS.c.slug).distinct()).scalars()
            raise NotFoundError(
                f"no policy {', '.join(map(repr, missing))} in the store",
                hint="known: " + (", ".join(sorted(all_slugs)) or "none — run `publisher db sync`"),
            )
        accepted: dict[str, dict[str, AcceptedVersion]] = {}
        for done in connection.execute(accepted_query):
            accepted.setdefault(done.slug, {})[done.version_label] = AcceptedVersion(
                done.version_label, done.accepted_at, done.seq, done.hash, done.method)
        statuses = []
        for slug in sorted(versions):
            ordered = sorted(versions[slug], key=lambda v: v.rule.position)
            rules = [v.rule for v in ordered]
            mine = accepted.get(slug, {})
            material: Materiality = StoredMateriality(bodies=_bodies(connection, slug)) \
                if diff else cached_only
            decision = decide(rules, list(mine), material)
            current = ordered[-1]
            statuses.append(PolicyStatus(
                policy=slug, title=current.title, current=current.rule.label,
                effective=current.effective, sha256=current.rule.sha256,
                accepted=mine.get(decision.accepted) if decision.accepted else None,
                decision=decision,
            ))
    return CustomerPolicies(customer, tuple(statuses))
