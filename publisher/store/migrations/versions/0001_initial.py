"""Create the acceptance store: customers, policy versions, notices, deliveries, delivery
events, the acceptance ledger and its chain head.

Revision ID: 0001_initial
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("company", sa.String(300), nullable=False),
        sa.Column("locale", sa.String(35), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("effective", sa.Date, nullable=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("synced_at", _utc(), nullable=False),
        sa.UniqueConstraint("slug", "label", name="uq_policy_versions_slug_label"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("version_label", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("effective", sa.Date, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), nullable=False),
        sa.Column("customer_id", sa.String(200), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("since_label", sa.String(100), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("queued_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.UniqueConstraint("notice_id", "customer_id", name="uq_deliveries_notice_customer"),
    )
    op.create_index("ix_deliveries_customer", "deliveries", ["customer_id"])
    op.create_index("ix_deliveries_state", "deliveries", ["notice_id", "state"])
    op.create_table(
        "delivery_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id"), nullable=True),
        sa.Column("provider_event_id", sa.String(200), nullable=True, unique=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("occurred_at", _utc(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_events_delivery", "delivery_events", ["delivery_id"])
    op.create_table(
        "acceptances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(200), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("version_label", sa.String(100), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notices.id"), nullable=True),
        sa.Column("accepted_at", _utc(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.Text, nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("customer_id", "slug", "version_label", name="uq_acceptances_once"),
        sa.UniqueConstraint("seq", name="uq_acceptances_seq"),
    )
    op.create_index("ix_acceptances_version", "acceptances", ["slug", "version_label"])
    chain_head = op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(chain_head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("chain_head")
    op.drop_index("ix_acceptances_version", table_name="acceptances")
    op.drop_table("acceptances")
    op.drop_index("ix_delivery_events_delivery", table_name="delivery_events")
    op.drop_table("delivery_events")
    op.drop_index("ix_deliveries_state", table_name="deliveries")
    op.drop_index("ix_deliveries_customer", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("notices")
    op.drop_table("policy_versions")
    op.drop_table("customers")
