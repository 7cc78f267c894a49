"""Organisations: a customer is a person (the default) or an organisation, and a person may
belong to one organisation, whose named user they then are (they may accept on its behalf).

customers.kind: ``person`` or ``organisation``. customers.organisation_id: the id of the
organisation customer a person belongs to (NULL: none). No foreign key: SQLite cannot drop a
column that one names, so the store checks the reference (``publisher.store.organisations``).

Revision ID: 0009_apps
Revises: 0008_webhooks
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_apps"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("kind", sa.String(20), nullable=False, server_default="person"),
    )
    op.add_column("customers", sa.Column("organisation_id", sa.String(200), nullable=True))
    op.create_index("ix_customers_organisation", "customers", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_customers_organisation", table_name="customers")
    for name in ("organisation_id", "kind"):
        if op.get_bind().dialect.name == "sqlite":
            # in place (SQLite >= 3.35): batch mode would copy the table, which the foreign
            # keys pointing at it forbid
            op.execute(f'ALTER TABLE customers DROP COLUMN "{name}"')
        else:
            op.drop_column("customers", name)
