"""Alembic environment for the acceptance store.

Run through :mod:`publisher.store.migrate`, which passes an open connection in
``config.attributes["connection"]``; there is no alembic.ini and no logging set-up here.
"""

from __future__ import annotations

from alembic import context

from publisher.store.migrate import VERSION_TABLE
from publisher.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
