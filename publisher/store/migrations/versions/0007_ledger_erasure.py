"""Erasable personal data: ledger record format 3 hashes salted commitments of the IP
address, user agent and acting user instead of the values; the values and their salts are
kept in ``personal_data`` (not append-only), which erasure empties while the chain verifies.
``acceptances.ip`` widens to 80 characters to hold a commitment.

personal_data: (acceptance_id, field) → salt, value, erased_at. Erasure sets salt and value
to NULL and stamps erased_at: the commitment in the record can then no longer be opened,
nor the value guessed from it.

PostgreSQL: ``publisher_append_acceptances`` also inserts each item's ``personal`` rows, in
the same transaction as the record.

Revision ID: 0007_ledger_erasure
Revises: 0006_ledger
Create Date: 2026-12-03
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0007_ledger_erasure"
down_revision = "0006_ledger"
branch_labels = None
depends_on = None

FUNCTION = "publisher_append_acceptances"

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
        INSERT INTO personal_data (acceptance_id, field, salt, value)
        SELECT new_id, p->>'field', p->>'salt', p->>'value'
        FROM jsonb_array_elements(COALESCE(entry->'personal', '[]'::jsonb)) AS p;
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
    op.create_table(
        "personal_data",
        sa.Column("acceptance_id", sa.Integer, sa.ForeignKey("acceptances.id"), primary_key=True),
        sa.Column("field", sa.String(40), primary_key=True),
        sa.Column("salt", sa.String(64), nullable=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        # a commitment (``c1:`` and 64 hex digits) is longer than an address
        op.alter_column("acceptances", "ip", type_=sa.String(80), existing_nullable=True)
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        previous = importlib.import_module("publisher.store.migrations.versions.0006_ledger")
        op.execute(previous.CREATE)
        op.alter_column("acceptances", "ip", type_=sa.String(64), existing_nullable=True)
    op.drop_table("personal_data")
