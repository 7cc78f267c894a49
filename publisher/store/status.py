"""One customer's acceptance status per policy, for the in-app status API: the current
version, what the customer accepted (version, time, record hash) and whether a new
acceptance is needed, by the re-acceptance rule (:mod:`publisher.acceptance_rules`).

:func:`read_status` reads the store in one statement (indexed, no policy texts), so an answer
is never older than the last committed acceptance. It remembers nothing about customers or
acceptances (the web service keeps whole answers, each valid only while the store's status
mark is unchanged: :mod:`publisher.store.status_cache`); only materiality (a pure function
of two texts) is remembered here, and with ``diff=False`` a pair never computed in this
process raises
:class:`~publisher.store.reaccept.NotCached` instead of diffing inline (the web handler then
retries with ``diff=True`` in a worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, select

from publisher.acceptance_rules import Decision, VersionRule, decide, parse_mode
from publisher.errors import NotFoundError
from publisher.store.db import Database
from publisher.store.ledger import format_time
from publisher.store.reaccept import StoredMateriality, cached_only
from publisher.store.record import opened_sql
from publisher.store.tables import VERSIONS
from publisher.store.versions import split_trailers

MAX_POLICIES = 50
"""At most this many ``policy`` parameters per request."""


@dataclass(frozen=True)
class AcceptedVersion:
    """The customer's newest acceptance of a policy: which version, when, which record."""

    version: str
    accepted_at: datetime
    """When it was given: an imported record's claimed time, else the record's time."""
    seq: int
    hash: str
    method: str
    organisation: str | None = None
    """The organisation whose acceptance this is, for a member (None: the customer's own)."""
    acting_user: str | None = None
    """Who accepted on the organisation's behalf (for an organisation's record)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "accepted_at": format_time(self.accepted_at),
            "record": self.seq,
            "hash": self.hash,
            "method": self.method,
            "organisation": self.organisation,
            "acting_user": self.acting_user,
        }


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
            "current": {
                "version": self.current,
                "sha256": self.sha256,
                "effective": self.effective.isoformat() if self.effective else None,
            },
            "accepted": self.accepted.to_dict() if self.accepted else None,
            **_decision_fields(self.decision),
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


# Pure functions of the values read in this request, remembered between requests (the same
# rows give the same objects): the rows themselves are read on every request, so a
# changed version or a new acceptance is answered by at once.


@lru_cache(maxsize=4096)
def _version(
    label: str,
    position: Any,
    sha256: str,
    reaccept: str | None,
    policy_change: str | None,
    title: str | None,
    effective: Any,
) -> _Version:
    rule = VersionRule(
        label,
        int(position),
        sha256,
        reaccept=parse_mode(reaccept) if reaccept else None,
        policy_change=split_trailers(policy_change),
    )
    return _Version(rule, title, _day(effective))


@lru_cache(maxsize=4096)
def _decided(rules: tuple[VersionRule, ...], accepted: tuple[str, ...]) -> Decision:
    """:func:`decide` from remembered materiality only (NotCached, never remembered, when a
    pair was never diffed in this process)."""
    return decide(rules, accepted, cached_only)


@lru_cache(maxsize=1024)
def _decision_fields(decision: Decision) -> dict[str, Any]:
    return decision.to_dict()  # copied into each answer's dict, never handed out itself


def _bodies(connection: Connection, slug: str) -> Any:
    def load(label: str) -> str:
        body = connection.execute(
            select(VERSIONS.c.body).where(VERSIONS.c.slug == slug, VERSIONS.c.label == label)
        ).scalar_one()
        return str(body)

    return load


# One statement, so one snapshot without a transaction of our own: rows "a" are the
# customer (one row with NULL acceptance columns when there is none; no row at all for an
# unknown customer) with their acceptances, rows "o" the acceptances of the organisation
# the customer belongs to (its id in the title column), rows "v" the versions (no texts).
_STATUS_SQL = (
    "SELECT 'a', a.slug, a.version_label, COALESCE(a.claimed_at, a.accepted_at), a.seq, "
    "a.hash, a.method, NULL, NULL, NULL, NULL, NULL, NULL, " + opened_sql("acting_user") + " "
    "FROM customers c LEFT JOIN acceptances a ON a.customer_id = c.id{accepted} "
    "WHERE c.id = ? "
    "UNION ALL "
    "SELECT 'v', slug, label, NULL, NULL, NULL, NULL, "
    "position, title, effective, sha256, reaccept, policy_change, NULL "
    "FROM policy_versions{versions} "
    "UNION ALL "  # last: PostgreSQL types the NULL columns from the branches before
    "SELECT 'o', a.slug, a.version_label, COALESCE(a.claimed_at, a.accepted_at), a.seq, "
    "a.hash, a.method, NULL, c.organisation_id, NULL, NULL, NULL, NULL, "
    + opened_sql("acting_user")
    + " "
    "FROM customers c JOIN acceptances a ON a.customer_id = c.organisation_id{accepted} "
    "WHERE c.id = ?"
)


def _status_sql(count: int) -> str:
    if not count:
        return _STATUS_SQL.format(accepted="", versions="")
    marks = ", ".join("?" * count)
    return _STATUS_SQL.format(
        accepted=f" AND a.slug IN ({marks})", versions=f" WHERE slug IN ({marks})"
    )


def _fetch(connection: Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?`` placeholders) straight from the DBAPI cursor: the status API's
    hot path skips SQLAlchemy's statement machinery and transaction events, which cost
    several times the query itself."""
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def _utc(value: Any) -> datetime:
    """A stored time as tz-aware UTC (SQLite hands back text, PostgreSQL an aware time)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def status_engine(database: Database) -> Engine:
    """The engine status reads use. SQLite: the store's own. PostgreSQL: the store's pool in
    autocommit (:attr:`~publisher.store.db.Database.autocommit_engine`), so one status
    answer is one round trip (the single statement is its own snapshot)."""
    return database.autocommit_engine


def read_status(
    database: Database,
    customer: str,
    policies: Sequence[str] = (),
    *,
    diff: bool = True,
    engine: Engine | None = None,
) -> CustomerPolicies:
    """``customer``'s status for ``policies`` (default: every stored policy), in slug order.

    NotFoundError for an unknown customer or policy (the hint lists the known policies).
    One statement (one snapshot): the customer joined with their acceptances, and the
    versions (no texts). ``engine``: see :func:`status_engine` (default: the store's).
    """
    wanted = sorted(set(policies))
    with (engine or database.engine).connect() as connection:
        rows = _fetch(
            connection, _status_sql(len(wanted)), [*wanted, customer, *wanted, *wanted, customer]
        )
        if not any(row[0] == "a" for row in rows):
            raise NotFoundError(
                f"no customer {customer!r} in the store",
                hint="import customers with `publisher customers import`",
            )
        versions: dict[str, list[_Version]] = {}
        accepted: dict[str, dict[str, AcceptedVersion]] = {}
        for_organisation: dict[str, dict[str, AcceptedVersion]] = {}
        for (
            kind,
            slug,
            label,
            at,
            seq,
            hash_,
            method,
            position,
            title,
            effective,
            sha256,
            reaccept,
            policy_change,
            acting_user,
        ) in rows:
            if kind == "v":
                versions.setdefault(slug, []).append(
                    _version(label, position, sha256, reaccept, policy_change, title, effective)
                )
            elif slug is not None:
                found = AcceptedVersion(
                    label,
                    _utc(at),
                    int(seq),
                    hash_,
                    method,
                    organisation=title if kind == "o" else None,
                    acting_user=acting_user,
                )
                (for_organisation if kind == "o" else accepted).setdefault(slug, {})[label] = found
        missing = [slug for slug in wanted if slug not in versions]
        if missing:
            all_slugs = connection.execute(select(VERSIONS.c.slug).distinct()).scalars()
            raise NotFoundError(
                f"no policy {', '.join(map(repr, missing))} in the store",
                hint="known: " + (", ".join(sorted(all_slugs)) or "none — run `publisher db sync`"),
            )
        statuses = []
        for slug in sorted(versions):
            ordered = sorted(versions[slug], key=lambda v: v.rule.position)
            rules = [v.rule for v in ordered]
            # an acceptance at organisation level counts as the member's own
            mine = {**for_organisation.get(slug, {}), **accepted.get(slug, {})}
            if diff:
                material = StoredMateriality(bodies=_bodies(connection, slug))
                decision = decide(rules, list(mine), material)
            else:
                decision = _decided(tuple(rules), tuple(sorted(mine)))
            current = ordered[-1]
            statuses.append(
                PolicyStatus(
                    policy=slug,
                    title=current.title,
                    current=current.rule.label,
                    effective=current.effective,
                    sha256=current.rule.sha256,
                    accepted=mine.get(decision.accepted) if decision.accepted else None,
                    decision=decision,
                )
            )
    return CustomerPolicies(customer, tuple(statuses))
