"""Notices to an organisation's members: deliveries.on_behalf_of names the organisation a
member is written to for (NULL: the customer is written to for themselves). The member's
email carries their own signed on-behalf link; the row's ``since_label`` is the
organisation's last accepted version.

Revision ID: 0010_notice_members
Revises: 0009_apps
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_notice_members"
down_revision = "0009_apps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("on_behalf_of", sa.String(200), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # in place (SQLite >= 3.35): batch mode would copy the table, which the foreign
        # keys pointing at it forbid
        op.execute('ALTER TABLE deliveries DROP COLUMN "on_behalf_of"')
    else:
        op.drop_column("deliveries", "on_behalf_of")
