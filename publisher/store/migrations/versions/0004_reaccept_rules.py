"""Store what the re-acceptance rule needs of each policy version, so the acceptance service
decides without a git checkout: the front matter ``reaccept`` (material, always, never; NULL
for the default) and the ``Policy-Change`` trailer values of the commits that made the
version (newline-separated; NULL for none).

Revision ID: 0004_reaccept_rules
Revises: 0003_notice_outbox
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reaccept_rules"
down_revision = "0003_notice_outbox"
branch_labels = None
depends_on = None


COLUMNS = ("reaccept", "policy_change")


def upgrade() -> None:
    op.add_column("policy_versions", sa.Column("reaccept", sa.String(10), nullable=True))
    op.add_column("policy_versions", sa.Column("policy_change", sa.Text, nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            # in place (SQLite >= 3.35): batch mode would copy the table, which the foreign
            # keys pointing at it forbid
            op.execute(f'ALTER TABLE policy_versions DROP COLUMN "{name}"')
        else:
            op.drop_column("policy_versions", name)
