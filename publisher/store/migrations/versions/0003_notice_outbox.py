"""Add what the notice outbox needs: the notice period and its override, reminders, the send
lock, batch ids on deliveries and the provider's delivery status.

notices: ``kind`` (notice or reminder) and ``parent_id`` (the notice a reminder is for),
``notice_days`` and ``material`` (the rule checked when the notice was created) and
``override`` (why it was forced), ``mailer``, and the send lock (``sender``,
``sender_heartbeat``) that keeps two ``notice send`` processes off the same notice.
deliveries: ``batch_id`` and ``claimed_at`` (the batch a row was last handed to the mailer
in: a batch found ``sending`` after a crash has an unknown outcome) and the provider's
``provider_status`` from delivery events; an index to claim queued rows group by group.

Revision ID: 0003_notice_outbox
Revises: 0002_append_only
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_notice_outbox"
down_revision = "0002_append_only"
branch_labels = None
depends_on = None


def _notice_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("kind", sa.String(20), nullable=False, server_default="notice"),
        sa.Column("parent_id", sa.Integer, nullable=True),
        sa.Column("notice_days", sa.Integer, nullable=True),
        sa.Column("material", sa.Boolean, nullable=True),
        sa.Column("override", sa.Text, nullable=True),
        sa.Column("mailer", sa.String(20), nullable=True),
        sa.Column("sender", sa.String(200), nullable=True),
        sa.Column("sender_heartbeat", sa.DateTime(timezone=True), nullable=True),
    )


def _delivery_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("batch_id", sa.String(40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_status", sa.String(40), nullable=True),
        sa.Column("provider_status_at", sa.DateTime(timezone=True), nullable=True),
    )


def upgrade() -> None:
    for column in _notice_columns():
        op.add_column("notices", column)
    for column in _delivery_columns():
        op.add_column("deliveries", column)
    op.create_index("ix_deliveries_claim", "deliveries", ["notice_id", "state", "since_label"])
    op.create_index("ix_deliveries_batch", "deliveries", ["batch_id"])
    op.create_index("ix_notices_parent", "notices", ["parent_id"])


def _drop_columns(table: str, columns: tuple[sa.Column[object], ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite >= 3.35 drops columns in place; Alembic's batch mode would copy the table,
        # which foreign keys pointing at it (acceptances, delivery_events) forbid.
        for column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN "{column.name}"')
        return
    for column in columns:
        op.drop_column(table, column.name)


def downgrade() -> None:
    op.drop_index("ix_notices_parent", table_name="notices")
    op.drop_index("ix_deliveries_batch", table_name="deliveries")
    op.drop_index("ix_deliveries_claim", table_name="deliveries")
    _drop_columns("deliveries", _delivery_columns())
    _drop_columns("notices", _notice_columns())
