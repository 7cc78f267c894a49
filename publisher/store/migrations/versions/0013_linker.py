"""PostgreSQL: the chain's serial section does per batch what it did per record.

``publisher_append_acceptances`` (same name, arguments and result as ``0007_ledger_erasure``)
still locks the chain head row and links the batch in one statement, but measured with two
service processes (issue 19) it held the lock about 1 ms per record, and more as the ledger
grew, because of three things:

- its "newer version" and "already recorded" checks looked a customer's records up by
  ``slug`` and ``version_label``: without planner statistics (a new table, or autovacuum
  off) ``ix_acceptances_version`` and ``uq_acceptances_once`` cost the same and PostgreSQL
  took the first, which reads every record of the version to find one customer's. Each
  check now names the customer as its only indexed condition (``slug || ''`` is not
  indexable), so it reads that customer's few records through ``uq_acceptances_once``
  whatever the statistics say;
- it ran three statements per record (the newer check, the insert, the personal rows). It
  now runs one query that judges every item, computes the hashes in a loop that touches no
  table, and inserts all records and their personal rows in one statement; a newer version
  of the same policy for the same customer earlier in the same batch refuses the older, as
  before;
- the store's autocommit pool plans every statement for its values (``plan_cache_mode =
  force_custom_plan``, see :mod:`publisher.store.db`), and inside a function that means
  planning its queries again on every call, about 1 ms per batch: the function keeps its
  plans (``force_generic_plan`` for its own statements only), which cannot go wrong here as
  no plan depends on the values (the customer is always the indexed condition).

The records, their hashes and the outcomes are the same as before, with one more outcome:
records are stamped in chain order. A service process stamps its batch before it waits for
the lock, so with two processes a batch stamped earlier could link after one stamped later
(and ``audit verify`` then reports a backdated record): such a batch now links nothing and
every item comes back ``late``; the caller stamps it again, no earlier than the head record,
and calls again (:func:`publisher.store.pg_append.append_checked`).

Revision ID: 0013_linker
Revises: 0012_translations
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0013_linker"
down_revision = "0012_translations"
branch_labels = None
depends_on = None

FUNCTION = "publisher_append_acceptances"

CREATE = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(items jsonb, durable boolean DEFAULT true)
RETURNS TABLE (item integer, record_id integer, record_seq integer, record_prev text,
               record_hash text, outcome text)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    head_seq integer;
    head_hash text;
    head_time timestamptz;
    start_seq integer;
    serial text := pg_get_serial_sequence('acceptances', 'id');
    verdicts text[];
    entries jsonb[];
    n integer;
    k integer;
    digest text;
    linked_here jsonb := '{{}}'::jsonb;  -- customer and slug -> highest position linked here
    pair text;
    new_ord integer[] := '{{}}';
    new_rows jsonb[] := '{{}}';
    new_prev text[] := '{{}}';
    new_hash text[] := '{{}}';
    new_ids integer[];
BEGIN
    IF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM chain_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger head missing: tampered (the chain_head row was deleted)';
    END IF;
    start_seq := head_seq;
    -- records are stamped in chain order: a batch stamped before the head record (another
    -- process stamped later but took the lock first) links nothing and is told 'late'; the
    -- caller stamps it again, no earlier than the head, and calls again
    SELECT a.accepted_at INTO head_time FROM acceptances a WHERE a.seq = head_seq;
    IF head_time > (SELECT min((e->'row'->>'accepted_at')::timestamptz)
                    FROM jsonb_array_elements(items) AS e) THEN
        FOR i IN 1 .. jsonb_array_length(items) LOOP
            item := i; outcome := 'late';
            record_id := NULL; record_seq := NULL; record_prev := NULL; record_hash := NULL;
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;
    -- what the table says of every item, in one query (under the lock: nobody else appends)
    SELECT array_agg(e.value ORDER BY e.ord),
           array_agg(CASE
               WHEN e.value->'row'->>'method' <> 'import' AND EXISTS (
                   SELECT 1 FROM policy_versions p
                   WHERE p.slug = e.value->'row'->>'slug'
                     AND p.position > (e.value->>'position')::integer
                     AND EXISTS (
                         SELECT 1 FROM acceptances a
                         WHERE a.customer_id = e.value->'row'->>'customer_id'
                           AND a.slug || '' = p.slug AND a.version_label || '' = p.label)
               ) THEN 'newer'
               WHEN EXISTS (
                   SELECT 1 FROM acceptances a
                   WHERE a.customer_id = e.value->'row'->>'customer_id'
                     AND a.slug || '' = e.value->'row'->>'slug'
                     AND a.version_label || '' = e.value->'row'->>'version_label') THEN 'existing'
               ELSE 'created' END ORDER BY e.ord)
      INTO entries, verdicts
      FROM jsonb_array_elements(items) WITH ORDINALITY AS e(value, ord);
    n := coalesce(array_length(entries, 1), 0);
    FOR k IN 1 .. n LOOP
        pair := (entries[k]->'row'->>'customer_id') || chr(31) || (entries[k]->'row'->>'slug');
        IF verdicts[k] = 'created' AND entries[k]->'row'->>'method' <> 'import'
           AND (linked_here->>pair)::integer > (entries[k]->>'position')::integer THEN
            verdicts[k] := 'newer';  -- a later version was linked earlier in this call
        END IF;
        IF verdicts[k] <> 'created' THEN
            CONTINUE;
        END IF;
        IF coalesce((linked_here->>pair)::integer, -1) < (entries[k]->>'position')::integer THEN
            linked_here := linked_here
                || jsonb_build_object(pair, (entries[k]->>'position')::integer);
        END IF;
        digest := encode(sha256(convert_to(
            (entries[k]->>'head') || '"prev_hash":"' || head_hash || '","seq":'
            || (head_seq + 1)::text || (entries[k]->>'tail'), 'UTF8')), 'hex');
        head_seq := head_seq + 1;
        new_ord := new_ord || k;
        new_rows := new_rows || ((entries[k]->'row') || jsonb_build_object(
            'seq', head_seq, 'prev_hash', head_hash, 'hash', digest));
        new_prev := new_prev || head_hash;
        new_hash := new_hash || digest;
        head_hash := digest;
    END LOOP;
    IF head_seq > start_seq THEN
        WITH ins AS (
            INSERT INTO acceptances
            SELECT a.*
            FROM unnest(new_rows) WITH ORDINALITY AS r(row, ord)
            CROSS JOIN LATERAL jsonb_populate_record(NULL::acceptances,
                r.row || jsonb_build_object('id', nextval(serial))) AS a
            RETURNING id, seq
        ), personal AS (
            INSERT INTO personal_data (acceptance_id, field, salt, value)
            SELECT ins.id, p->>'field', p->>'salt', p->>'value'
            FROM ins
            JOIN unnest(new_ord) WITH ORDINALITY AS o(k, ord) ON ins.seq = start_seq + o.ord
            CROSS JOIN LATERAL jsonb_array_elements(
                coalesce(entries[o.k]->'personal', '[]'::jsonb)) AS p
        )
        SELECT array_agg(ins.id ORDER BY ins.seq) INTO new_ids FROM ins;
        UPDATE chain_head SET seq = head_seq, hash = head_hash WHERE id = 1;
    END IF;
    k := 0;
    FOR i IN 1 .. n LOOP
        item := i;
        outcome := verdicts[i];
        record_id := NULL; record_seq := NULL; record_prev := NULL; record_hash := NULL;
        IF outcome = 'created' THEN
            k := k + 1;
            record_id := new_ids[k];
            record_seq := start_seq + k;
            record_prev := new_prev[k];
            record_hash := new_hash[k];
        END IF;
        RETURN NEXT;
    END LOOP;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        previous = importlib.import_module(
            "publisher.store.migrations.versions.0007_ledger_erasure"
        )
        op.execute(previous.CREATE)
