"""Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of acceptance records in the database
itself, so the ledger is append-only even for someone who bypasses publisher.

The hash chain still detects tampering by anyone who drops these triggers first.

Revision ID: 0002_append_only
Revises: 0001_initial
Create Date: 2024-06-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_append_only"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

MESSAGE = "acceptances are append-only: records cannot be changed or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER acceptances_no_{action.lower()} BEFORE {action} ON acceptances "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION publisher_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP; END $$"
    )
    op.execute(
        "CREATE TRIGGER acceptances_append_only BEFORE UPDATE OR DELETE ON acceptances "
        "FOR EACH ROW EXECUTE FUNCTION publisher_append_only()"
    )
    op.execute(
        "CREATE TRIGGER acceptances_no_truncate BEFORE TRUNCATE ON acceptances "
        "FOR EACH STATEMENT EXECUTE FUNCTION publisher_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER acceptances_no_update")
        op.execute("DROP TRIGGER acceptances_no_delete")
        return
    op.execute("DROP TRIGGER acceptances_no_truncate ON acceptances")
    op.execute("DROP TRIGGER acceptances_append_only ON acceptances")
    op.execute("DROP FUNCTION publisher_append_only()")
