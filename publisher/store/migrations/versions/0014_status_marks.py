"""A change mark for the status API's answer cache: ``status_marks`` holds one row whose
``mark`` moves whenever a table a status answer reads changes (customers, policy_versions,
acceptances, personal_data), and only then, so a cached answer is checked with one
one-row read (:mod:`publisher.store.status_cache`).

SQLite: row triggers (SQLite has no statement triggers) bump the mark in the writer's own
transaction; its writers are serialised, so the row is never contended.

PostgreSQL: deferred constraint triggers bump it at most once per transaction, at commit
(a transaction-local setting remembers that it did): the row lock is taken last and held
only for the commit, so writers of these tables never wait on it mid-transaction nor
deadlock on it against the ledger's chain-head lock. TRUNCATE (not a constraint trigger
event) bumps it with a statement trigger. The bump commits with the data: a reader that
sees the new mark sees the change.

Revision ID: 0014_status_marks
Revises: 0013_linker
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_status_marks"
down_revision = "0013_linker"
branch_labels = None
depends_on = None

TABLES = ("customers", "policy_versions", "acceptances", "personal_data")
"""What :func:`publisher.store.status.read_status` reads."""

BUMP = "UPDATE status_marks SET mark = mark + 1 WHERE id = 1"
FUNCTION = "publisher_status_mark"
TRUNCATE_FUNCTION = "publisher_status_mark_truncate"


def upgrade() -> None:
    op.create_table(
        "status_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("mark", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO status_marks (id, mark) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for action in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER status_mark_{table}_{action.lower()} AFTER {action} "
                    f"ON {table} BEGIN {BUMP}; END"
                )
        return
    op.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('publisher.status_marked', true) IS DISTINCT FROM 'yes' THEN "
        f"{BUMP}; PERFORM set_config('publisher.status_marked', 'yes', true); "
        "END IF; RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER status_mark AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER status_mark_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER status_mark_{table}_{action}")
    else:
        for table in TABLES:
            op.execute(f"DROP TRIGGER status_mark ON {table}")
            op.execute(f"DROP TRIGGER status_mark_truncate ON {table}")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
        op.execute(f"DROP FUNCTION {TRUNCATE_FUNCTION}()")
    op.drop_table("status_marks")
