"""Change notices (campaigns): creating one, its recipients grouped by what they last
accepted, and the notice-period rule (reminders: :mod:`publisher.notices.reminders`).

A notice is for one policy version. Its recipients are the customers who have not accepted
that version (nor a newer one; an organisation's members for it, see
:mod:`publisher.notices.members`); each gets an outbox row (:class:`~publisher.store.models.Delivery`)
that remembers the version they last accepted (``since_label``, None for none), so their email
shows the changes since *their* version. Customers with the same ``since_label`` form a
group; each group's change set is computed and rendered once.

:func:`notice_period_problem` is the pure rule: a material change needs ``notice_days``
(the policy's front matter ``notice_days``, else the setting) between the day the notice is
sent and the effective date. :func:`create_notice` refuses otherwise unless forced, and
records the override. Recipients are planned in the database with one ``INSERT … SELECT``,
so 100,000 customers cost one statement, not 100,000 round trips.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from publisher.errors import NotFoundError, PublisherError
from publisher.notices.changes import (
    ChangeSource,
    GroupChanges,
    group_changes,
    is_material,
)
from publisher.notices.members import recipients
from publisher.notices.states import NoticeStatus, State
from publisher.store.db import Database
from publisher.store.models import (
    Notice,
    UTCDateTime,
    utcnow,
)
from publisher.store.tables import CUSTOMERS, DELIVERIES, NOTICES
from publisher.store.versions import StoredVersion, get_version, stored_versions

NOTICE = "notice"
REMINDER = "reminder"


class NoticeError(PublisherError):
    """A notice cannot be created, found or changed as asked."""


class NoticePeriodError(NoticeError):
    """A material change would take effect before the notice period has passed."""


# ------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class NoticeInfo:
    """A stored notice."""

    id: int
    slug: str
    version_label: str
    subject: str
    summary: str | None
    effective: date | None
    status: str
    forced: bool
    override: str | None
    notice_days: int | None
    material: bool | None
    kind: str
    parent_id: int | None
    created_at: datetime
    sent_at: datetime | None
    mailer: str | None

    @classmethod
    def from_model(cls, row: Notice) -> NoticeInfo:
        return cls(
            id=row.id,
            slug=row.slug,
            version_label=row.version_label,
            subject=row.subject,
            summary=row.summary,
            effective=row.effective,
            status=row.status,
            forced=row.forced,
            override=row.override,
            notice_days=row.notice_days,
            material=row.material,
            kind=row.kind,
            parent_id=row.parent_id,
            created_at=row.created_at,
            sent_at=row.sent_at,
            mailer=row.mailer,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "parent": self.parent_id,
            "policy": self.slug,
            "version": self.version_label,
            "subject": self.subject,
            "summary": self.summary,
            "effective": self.effective.isoformat() if self.effective else None,
            "status": self.status,
            "material": self.material,
            "notice_days": self.notice_days,
            "forced": self.forced,
            "override": self.override,
            "mailer": self.mailer,
            "created_at": self.created_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


@dataclass(frozen=True)
class RecipientGroup:
    """Recipients who last accepted the same version (``since`` None: never accepted)."""

    since: str | None
    count: int


# ------------------------------------------------------------------------------ the rule


def notice_period_problem(
    *, effective: date, today: date, days: int, material: bool, what: str = "this version"
) -> str | None:
    """Why the notice period is not met, or None when it is (or the change is editorial).

    Material changes need ``effective >= today + days``.
    """
    if not material or days <= 0:
        return None
    earliest = today + timedelta(days=days)
    if effective >= earliest:
        return None
    gap = (effective - today).days
    when = (
        f"{gap} day{'s' if gap != 1 else ''} from today ({today.isoformat()})"
        if gap >= 0
        else f"{-gap} day{'s' if gap != -1 else ''} ago"
    )
    return (
        f"{what} has material changes and takes effect on {effective.isoformat()}, "
        f"{when}; material changes need {days} days' notice, so the earliest effective "
        f"date is {earliest.isoformat()}"
    )


# ------------------------------------------------------------------------------ reading


def get_notice(database: Database, notice_id: int) -> NoticeInfo:
    """One notice; NotFoundError with a hint otherwise."""
    with database.session() as session:
        row = session.get(Notice, notice_id)
        if row is None:
            raise NotFoundError(
                f"no notice {notice_id}", hint="see `publisher notice list` for the notices"
            )
        return NoticeInfo.from_model(row)


def list_notices(database: Database, *, slug: str | None = None) -> list[NoticeInfo]:
    """Every notice (optionally of one policy), oldest first."""
    query = select(Notice).order_by(Notice.id)
    if slug is not None:
        query = query.where(Notice.slug == slug)
    with database.session() as session:
        return [NoticeInfo.from_model(row) for row in session.scalars(query)]


def recipient_groups(database: Database, notice_id: int) -> list[RecipientGroup]:
    """The notice's recipients per last accepted version (None first, then by label)."""
    query = (
        select(DELIVERIES.c.since_label, func.count())
        .where(DELIVERIES.c.notice_id == notice_id)
        .group_by(DELIVERIES.c.since_label)
    )
    with database.read() as connection:
        rows = [(since, int(count)) for since, count in connection.execute(query)]
    return _ordered(rows, stored_positions(database, get_notice(database, notice_id).slug))


def stored_positions(database: Database, slug: str) -> dict[str, int]:
    return {v.label: v.position for v in stored_versions(database, slug=slug)}


def _ordered(rows: list[tuple[str | None, int]], positions: dict[str, int]) -> list[RecipientGroup]:
    rows.sort(key=lambda r: (-1 if r[0] is None else positions.get(r[0], 10**9), r[0] or ""))
    return [RecipientGroup(since, count) for since, count in rows]


@dataclass(frozen=True)
class RecipientRow:
    """One recipient of a notice, as the outbox holds it."""

    delivery_id: int
    customer_id: str
    email: str
    name: str
    since: str | None
    state: str
    on_behalf_of: str | None = None
    """The organisation the customer (its member) is written to for."""


def recipient_row(database: Database, notice_id: int, customer_id: str | None) -> RecipientRow:
    """The outbox row of ``customer_id`` (default: the notice's first recipient)."""
    query = (
        select(
            DELIVERIES.c.id,
            DELIVERIES.c.customer_id,
            DELIVERIES.c.email,
            CUSTOMERS.c.name,
            DELIVERIES.c.since_label,
            DELIVERIES.c.state,
            DELIVERIES.c.on_behalf_of,
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == DELIVERIES.c.customer_id)
        .where(DELIVERIES.c.notice_id == notice_id)
        .order_by(DELIVERIES.c.id)
        .limit(1)
    )
    if customer_id is not None:
        query = query.where(DELIVERIES.c.customer_id == customer_id)
    with database.read() as connection:
        row = connection.execute(query).first()
    if row is None:
        notice = get_notice(database, notice_id)
        if customer_id is None:
            raise NotFoundError(
                f"notice {notice_id} has no recipients",
                hint="every customer has accepted this version already",
            )
        raise NotFoundError(
            f"customer {customer_id!r} is not a recipient of notice {notice_id}",
            hint=f"they are unknown or have accepted {notice.slug} version "
            f"{notice.version_label} (or a newer one) already",
        )
    return RecipientRow(
        row.id, row.customer_id, row.email, row.name, row.since_label, row.state, row.on_behalf_of
    )


# ------------------------------------------------------------------------------ planning


def carried_labels(database: Database, version: StoredVersion) -> frozenset[str]:
    """Labels whose acceptance (as a customer's newest) carries forward to ``version`` under
    the re-acceptance rule (:mod:`publisher.acceptance_rules`): no notice for them."""
    from publisher.store.reaccept import PolicyRules

    return PolicyRules(stored_versions(database, slug=version.slug)).carrying(current=version.label)


def planned_groups(database: Database, version: StoredVersion) -> list[RecipientGroup]:
    """Who a new notice for ``version`` would go to, per last accepted version."""
    plan = recipients(version, carried_labels(database, version)).subquery("plan")
    query = select(plan.c.label, func.count()).group_by(plan.c.label)
    with database.read() as connection:
        rows = [(label, int(count)) for label, count in connection.execute(query)]
    return _ordered(rows, stored_positions(database, version.slug))


def _plan(
    connection: Connection,
    notice_id: int,
    version: StoredVersion,
    moment: datetime,
    carried: frozenset[str],
) -> int:
    """Add an outbox row for every recipient who has none yet; returns how many."""
    wanted = recipients(version, carried).where(
        ~exists(
            select(DELIVERIES.c.id).where(
                DELIVERIES.c.notice_id == notice_id, DELIVERIES.c.customer_id == CUSTOMERS.c.id
            )
        )
    )
    rows = wanted.with_only_columns(
        literal(notice_id),
        CUSTOMERS.c.id,
        CUSTOMERS.c.email,
        wanted.selected_columns[2],
        wanted.selected_columns[3],
        literal(State.QUEUED.value),
        literal(0),
        literal(moment, UTCDateTime()),
    )
    result = connection.execute(queue_deliveries(rows).returning(DELIVERIES.c.id))
    return sum(1 for _ in result)


DELIVERY_COLUMNS = (
    "notice_id",
    "customer_id",
    "email",
    "since_label",
    "on_behalf_of",
    "state",
    "attempts",
    "queued_at",
)
"""The columns an outbox row is queued with, in the order of the rows' select."""


def queue_deliveries(rows: Select[Any]) -> Insert:
    """The insert of one outbox row per row of ``rows`` (which selects
    :data:`DELIVERY_COLUMNS`, in order): a notice's plan and a reminder's alike."""
    return insert(DELIVERIES).from_select(list(DELIVERY_COLUMNS), rows)


@dataclass(frozen=True)
class CreatedNotice:
    """What :func:`create_notice` did: the notice, its groups and their changes, warnings."""

    notice: NoticeInfo
    groups: tuple[RecipientGroup, ...]
    changes: tuple[GroupChanges, ...]
    warnings: tuple[str, ...]


def create_notice(
    database: Database,
    *,
    slug: str,
    label: str | None,
    effective: date | None,
    source: ChangeSource,
    default_notice_days: int,
    subject: str | None = None,
    summary: str | None = None,
    force: bool = False,
    subject_for: Callable[[StoredVersion, date, date], str] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> CreatedNotice:
    """Record a notice for ``slug`` version ``label`` (default: the newest stored) and plan
    its recipients.

    ``effective`` defaults to the version's own effective date. Refuses
    (:class:`NoticePeriodError`) when the version's changes are material (see
    :func:`is_material`) and ``effective`` is closer than the notice period, and
    (:class:`NoticeError`) when ``effective`` is not the version's effective date (the site
    and the receipts show the version's), unless ``force`` (then the reasons are recorded in
    ``override``). Refuses a second notice for the same version (send or remind the
    existing one instead).
    """
    version = get_version(database, slug, label)
    if effective is None:
        if version.effective is None:
            raise NoticeError(
                f"{slug} version {version.label} has no effective date",
                hint="pass --effective DATE",
            )
        effective = version.effective
    versions = stored_versions(database, slug=slug)
    existing = [
        n
        for n in list_notices(database, slug=slug)
        if n.version_label == version.label and n.kind == NOTICE
    ]
    if existing:
        raise NoticeError(
            f"{slug} version {version.label} already has notice {existing[0].id}",
            hint=f"resume it with `publisher notice send {existing[0].id}`, or remind with "
            f"`publisher notice remind {existing[0].id}`",
        )
    moment = now()
    groups = planned_groups(database, version)
    changes = tuple(group_changes(source, versions, version, g.since) for g in groups)
    material = any(c.material for c in changes) or is_material(source, versions, version)
    days = source.notice_days(version)
    days = default_notice_days if days is None else days
    problem = notice_period_problem(
        effective=effective,
        today=moment.date(),
        days=days,
        material=material,
        what=f"{slug} version {version.label}",
    )
    earliest = moment.date() + timedelta(days=days)
    if problem and not force:
        raise NoticePeriodError(
            f"refusing to create the notice: {problem}",
            hint=f"announce a version effective {earliest.isoformat()} or later (the "
            "`effective` date in its front matter), or pass --force to record an override",
        )
    mismatch = None
    if version.effective is not None and version.effective != effective:
        mismatch = (
            f"the notice says effective {effective.isoformat()} but {slug} version "
            f"{version.label} is effective {version.effective.isoformat()} (its front "
            "matter, which the site and the receipts show)"
        )
        if not force:
            raise NoticeError(
                f"refusing to create the notice: {mismatch}",
                hint=f"leave out --effective (it defaults to {version.effective.isoformat()}), "
                "change the front matter's `effective` and commit, or pass --force to record "
                "an override",
            )
    reasons = [reason for reason in (problem, mismatch) if reason]
    warnings: list[str] = []
    if not groups:
        warnings.append(_no_recipients(database, slug, version.label))
    title = version.title or slug
    carried = carried_labels(database, version)
    subject = subject or (
        subject_for(version, effective, moment.date()) if subject_for else f"Changes to our {title}"
    )
    with database.write() as connection:
        notice_id = connection.execute(
            insert(NOTICES)
            .values(
                slug=slug,
                version_label=version.label,
                subject=subject,
                summary=summary if summary is not None else version.summary,
                effective=effective,
                status=NoticeStatus.DRAFT,
                forced=bool(problem),
                created_at=moment,
                kind=NOTICE,
                notice_days=days,
                material=material,
                override="forced: " + "; ".join(reasons) if reasons else None,
            )
            .returning(NOTICES.c.id)
        ).scalar_one()
        _plan(connection, int(notice_id), version, moment, carried)
    notice = get_notice(database, int(notice_id))
    return CreatedNotice(
        notice, tuple(recipient_groups(database, notice.id)), changes, tuple(warnings)
    )


def _no_recipients(database: Database, slug: str, label: str) -> str:
    """Why a new notice has no recipients: an empty store, or everyone accepted already."""
    with database.read() as connection:
        customers = int(
            connection.execute(select(func.count()).select_from(CUSTOMERS)).scalar_one()
        )
    if customers == 0:
        return (
            "the notice has no recipients: there are no customers in the store (add them "
            "with `publisher customers import FILE.csv`, or --customers FILE.csv; "
            "`notice send` adds customers imported later)"
        )
    return (
        f"every customer has already accepted {slug} version {label}: the notice has no recipients"
    )


def top_up(database: Database, notice: NoticeInfo, *, now: Callable[[], datetime] = utcnow) -> int:
    """Plan customers who became recipients after the notice was created (new customers);
    returns how many were added. Reminders are never topped up."""
    if notice.kind != NOTICE:
        return 0
    version = get_version(database, notice.slug, notice.version_label)
    carried = carried_labels(database, version)
    with database.write() as connection:
        return _plan(connection, notice.id, version, now(), carried)


def recheck_material(database: Database, notice: NoticeInfo, source: ChangeSource) -> NoticeInfo:
    """``notice`` with its materiality computed again from its version and its recipients as
    they are now (customers added since may have accepted an older version); a notice
    found material is recorded as such."""
    if notice.kind != NOTICE or notice.material:
        return notice
    version = get_version(database, notice.slug, notice.version_label)
    versions = stored_versions(database, slug=notice.slug)
    since = [g.since for g in recipient_groups(database, notice.id)]
    if not is_material(source, versions, version, since):
        return notice
    with database.write() as connection:
        connection.execute(update(NOTICES).where(NOTICES.c.id == notice.id).values(material=True))
    return get_notice(database, notice.id)


def check_still_in_time(notice: NoticeInfo, *, today: date) -> str | None:
    """The notice-period problem of sending ``notice`` today (None: fine or overridden)."""
    if notice.forced or notice.effective is None or notice.kind != NOTICE:
        return None
    return notice_period_problem(
        effective=notice.effective,
        today=today,
        days=notice.notice_days or 0,
        material=bool(notice.material),
        what=f"{notice.slug} version {notice.version_label}",
    )


def record_override(database: Database, notice_id: int, reason: str) -> None:
    """Record that the notice period was overridden when sending (``send --force``)."""
    with database.write() as connection:
        connection.execute(
            update(NOTICES)
            .where(NOTICES.c.id == notice_id)
            .values(forced=True, override=f"forced at send: {reason}")
        )
