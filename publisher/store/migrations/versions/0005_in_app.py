"""What acceptance inside the provider's own app needs.

policy_versions: what the re-acceptance rule needs of each version, so the acceptance
service decides without a git checkout: the front matter ``reaccept`` (material, always,
never; NULL for the default) and the ``Policy-Change`` trailer values of the commits that
made the version (newline-separated; NULL for none).

app_acceptances: acceptances recorded by the provider's app through ``POST
/api/v1/acceptances``, beside their ledger record: the app's own user id, the end user's IP
and user agent as the app forwarded them (the ledger record holds the same values; this row
says they were forwarded), the address the call came from, and the ``Idempotency-Key`` with
the hash of the request it was first used for.

Revision ID: 0005_in_app
Revises: 0004_append_function
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_in_app"
down_revision = "0004_append_function"
branch_labels = None
depends_on = None

COLUMNS = ("reaccept", "policy_change")


def upgrade() -> None:
    op.add_column("policy_versions", sa.Column("reaccept", sa.String(10), nullable=True))
    op.add_column("policy_versions", sa.Column("policy_change", sa.Text, nullable=True))
    op.create_table(
        "app_acceptances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("acceptance_id", sa.Integer, sa.ForeignKey("acceptances.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("created", sa.Boolean, nullable=False),
        sa.Column("app_user_id", sa.String(200), nullable=True),
        sa.Column("forwarded_ip", sa.String(64), nullable=True),
        sa.Column("forwarded_user_agent", sa.Text, nullable=True),
        sa.Column("caller_ip", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_app_acceptances_key"),
    )
    op.create_index("ix_app_acceptances_acceptance", "app_acceptances", ["acceptance_id"])


def downgrade() -> None:
    op.drop_index("ix_app_acceptances_acceptance", table_name="app_acceptances")
    op.drop_table("app_acceptances")
    for name in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # in place (SQLite >= 3.35): batch mode would copy the table, which the foreign
            # keys pointing at it forbid
            op.execute(f'ALTER TABLE policy_versions DROP COLUMN "{name}"')
        else:
            op.drop_column("policy_versions", name)
