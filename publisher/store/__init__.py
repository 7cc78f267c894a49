"""The acceptance store: customers, policy versions, notices, deliveries and the ledger.

:mod:`~publisher.store.db` connects (SQLite WAL or PostgreSQL), :mod:`~publisher.store.migrate`
runs the Alembic revisions, :mod:`~publisher.store.ledger` appends hash-chained acceptance
records (:mod:`~publisher.store.group_commit` batches concurrent appends into shared
transactions); customers, versions, reports and evidence each have their own module.
"""
