"""Ledger record format 2: the optional hashed fields, and an append function that names no
column.

acceptances gets ``format`` (1 for every record written before: its hash covers the first
twelve fields and still verifies; 2 for new records, whose hash also covers ``format``
and the five new fields) and the new fields, all nullable: ``language`` (BCP 47 tag of the
text shown), ``shown_sha256`` (sha256 of the exact text shown when it is a translation),
``acting_user`` (the named user who accepted for an organisation), ``claimed_at`` and
``source`` (an import's original time and origin).

PostgreSQL: ``publisher_append_acceptances`` is replaced by one that inserts the row the
caller built (``entry->'row'``, by column, through ``jsonb_populate_record``) with the chain's
``seq``, ``prev_hash`` and hash added, so the fields are declared once, in Python
(:data:`publisher.store.record.FIELDS`); the hash is computed as before from the canonical
JSON the caller prepared around ``prev_hash`` and ``seq``.

Revision ID: 0006_ledger
Revises: 0005_in_app
Create Date: 2026-12-03
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0006_ledger"
down_revision = "0005_in_app"
branch_labels = None
depends_on = None

FUNCTION = "publisher_append_acceptances"


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("format", sa.Integer, nullable=False, server_default="1"),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("shown_sha256", sa.String(64), nullable=True),
        sa.Column("acting_user", sa.String(300), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.Text, nullable=True),
    ]


CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(items jsonb, durable boolean DEFAULT true)
RETURNS TABLE (item integer, record_id integer, record_seq integer, record_prev text,
               record_hash text, outcome text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head_seq integer;
    head_hash text;
    entry jsonb;
    digest text;
    new_id integer;
    n integer := 0;
BEGIN
    IF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM chain_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger head missing: tampered (the chain_head row was deleted)';
    END IF;
    FOR entry IN SELECT value FROM jsonb_array_elements(items) LOOP
        n := n + 1;
        item := n;
        record_id := NULL; record_seq := NULL; record_prev := NULL; record_hash := NULL;
        IF entry->'row'->>'method' <> 'import' AND EXISTS (
            SELECT 1 FROM acceptances a
            JOIN policy_versions p ON p.slug = a.slug AND p.label = a.version_label
            WHERE a.customer_id = entry->'row'->>'customer_id'
              AND a.slug = entry->'row'->>'slug'
              AND p.position > (entry->>'position')::integer
        ) THEN
            outcome := 'newer';
            RETURN NEXT;
            CONTINUE;
        END IF;
        digest := encode(sha256(convert_to(
            (entry->>'head') || '"prev_hash":"' || head_hash || '","seq":'
            || (head_seq + 1)::text || (entry->>'tail'), 'UTF8')), 'hex');
        INSERT INTO acceptances
        SELECT (jsonb_populate_record(NULL::acceptances, (entry->'row') || jsonb_build_object(
            'id', nextval(pg_get_serial_sequence('acceptances', 'id')),
            'seq', head_seq + 1, 'prev_hash', head_hash, 'hash', digest))).*
        ON CONFLICT ON CONSTRAINT uq_acceptances_once DO NOTHING
        RETURNING id INTO new_id;
        IF new_id IS NULL THEN
            outcome := 'existing';
            RETURN NEXT;
            CONTINUE;
        END IF;
        head_seq := head_seq + 1;
        record_id := new_id; record_seq := head_seq; record_prev := head_hash;
        record_hash := digest; outcome := 'created';
        head_hash := digest;
        RETURN NEXT;
    END LOOP;
    UPDATE chain_head SET seq = head_seq, hash = head_hash WHERE id = 1;
END $$
"""


def upgrade() -> None:
    for column in _columns():
        op.add_column("acceptances", column)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    """Refused by ``publisher db downgrade`` while the ledger holds records (unless forced:
    records of format 2 then no longer verify, their new fields gone)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        previous = importlib.import_module(
            "publisher.store.migrations.versions.0004_append_function"
        )
        op.execute(f"DROP FUNCTION {FUNCTION}(jsonb, boolean)")
        op.execute(previous.CREATE)
    for column in reversed(_columns()):
        if bind.dialect.name == "sqlite":
            # in place (SQLite >= 3.35): batch mode would copy the table, which the
            # append-only triggers and the foreign keys pointing at it forbid
            op.execute(f'ALTER TABLE acceptances DROP COLUMN "{column.name}"')
        else:
            op.drop_column("acceptances", column.name)
