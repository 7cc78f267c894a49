"""Receipt emails: the outbox of the optional email receipt sent after an acceptance.

receipts: one row per (ledger record, recipient): the customer the record is for, and for an
acceptance given on an organisation's behalf also the member who gave it. The record's
``seq``, the recipient (their address is read from ``customers`` when the receipt is sent,
so an erasure there reaches it), the row's state (queued, sending, sent, failed,
unknown), attempts, the last error, the message id, the batch it was handed to the mailer
in, and when it was queued and sent.

receipt_cursor: one row, ``seq``: the ledger record up to which receipts have been queued
(the cursor of the outbox scan; it starts at the ledger's head when this revision runs, so
acceptances recorded before it get no receipt), and the send lock of ``publisher notice
receipts`` (``sender``: ``host:pid:token`` of the sending process, with its heartbeat).

Revision ID: 0011_receipts
Revises: 0010_notice_members
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_receipts"
down_revision = "0010_notice_members"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("recipient_id", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("batch_id", sa.String(40), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("seq", "recipient_id", name="uq_receipts_record_recipient"),
    )
    op.create_index("ix_receipts_state", "receipts", ["state"])
    op.create_table(
        "receipt_cursor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("sender", sa.String(200), nullable=True),
        sa.Column("sender_heartbeat", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute(
        "INSERT INTO receipt_cursor (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM acceptances"
    )


def downgrade() -> None:
    op.drop_table("receipt_cursor")
    op.drop_index("ix_receipts_state", table_name="receipts")
    op.drop_table("receipts")
