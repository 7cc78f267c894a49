"""Translations in the store: each version of each translation of a policy, with its exact
text, so the acceptance page can show a customer the text in their language and evidence can
export the text shown.

translations: slug (the source's), language, the translation's own version label and
position, ``renders`` (the source version label it renders; NULL when its
``translation_of`` names none) and ``inferred``, title, commit, path, git blob, sha256 of the
normalised body, the body and when it was copied. Append-only like the ledger (the triggers
of ``0002_append_only`` as a model): a text that changes under the same label is a new row,
so the text a customer was shown is never lost.

Revision ID: 0012_translations
Revises: 0011_receipts
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_translations"
down_revision = "0011_receipts"
branch_labels = None
depends_on = None

MESSAGE = "translations are append-only: stored texts cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("renders", sa.String(100), nullable=True),
        sa.Column("inferred", sa.Boolean, nullable=False),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("blob", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "slug", "language", "label", "sha256", "renders", name="uq_translations_text"
        ),
    )
    op.create_index("ix_translations_renders", "translations", ["slug", "renders"])
    op.create_index("ix_translations_language", "translations", ["slug", "language", "position"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER translations_no_{action.lower()} BEFORE {action} ON translations "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION publisher_translations_append_only() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP; END $$"
    )
    op.execute(
        "CREATE TRIGGER translations_append_only BEFORE UPDATE OR DELETE ON translations "
        "FOR EACH ROW EXECUTE FUNCTION publisher_translations_append_only()"
    )
    op.execute(
        "CREATE TRIGGER translations_no_truncate BEFORE TRUNCATE ON translations "
        "FOR EACH STATEMENT EXECUTE FUNCTION publisher_translations_append_only()"
    )


def downgrade() -> None:
    op.drop_index("ix_translations_language", table_name="translations")
    op.drop_index("ix_translations_renders", table_name="translations")
    op.drop_table("translations")  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION publisher_translations_append_only()")
