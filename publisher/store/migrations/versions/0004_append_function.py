"""PostgreSQL: link acceptances into the chain inside the database, in one statement.

``publisher_append_acceptances(items jsonb)`` locks the chain head row, and for each item
(already checked outside the lock: customer, version, notice, method) refuses an older version
than one the customer accepted since, skips a key recorded meanwhile, computes the record's
hash from the canonical JSON the caller prepared around ``prev_hash`` and ``seq`` (``head`` and
``tail``: see :mod:`publisher.store.pg_append`), inserts it and moves the head. Called as a
statement of its own (autocommit), the serial section is this one statement and its commit.
With ``durable`` false the commit does not wait for the log flush (``synchronous_commit`` off
for this transaction only): the caller must flush before it acknowledges anything.

SQLite has nothing to create: its writers serialise on the file lock.

Revision ID: 0004_append_function
Revises: 0003_notice_outbox
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0004_append_function"
down_revision = "0003_notice_outbox"
branch_labels = None
depends_on = None

FUNCTION = "publisher_append_acceptances"

CREATE = f"""
CREATE FUNCTION {FUNCTION}(items jsonb, durable boolean DEFAULT true)
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
        IF entry->>'method' <> 'import' AND EXISTS (
            SELECT 1 FROM acceptances a
            JOIN policy_versions p ON p.slug = a.slug AND p.label = a.version_label
            WHERE a.customer_id = entry->>'customer_id' AND a.slug = entry->>'slug'
              AND p.position > (entry->>'position')::integer
        ) THEN
            outcome := 'newer';
            RETURN NEXT;
            CONTINUE;
        END IF;
        digest := encode(sha256(convert_to(
            (entry->>'head') || '"prev_hash":"' || head_hash || '","seq":'
            || (head_seq + 1)::text || (entry->>'tail'), 'UTF8')), 'hex');
        INSERT INTO acceptances (seq, customer_id, slug, version_label, content_sha256,
                                 "commit", notice_id, accepted_at, ip, user_agent, method,
                                 prev_hash, hash)
        VALUES (head_seq + 1, entry->>'customer_id', entry->>'slug', entry->>'version_label',
                entry->>'content_sha256', entry->>'commit', (entry->>'notice_id')::integer,
                (entry->>'accepted_at')::timestamptz, entry->>'ip', entry->>'user_agent',
                entry->>'method', head_hash, digest)
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}(jsonb, boolean)")
