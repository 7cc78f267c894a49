"""Helpers shared by the store, links and web tests: empty databases on SQLite and (when
PUBLISHER_TEST_POSTGRES_URL is set) on PostgreSQL, seed data and a real policy repository.

Each PostgreSQL database is a schema of its own (``search_path`` in the URL), so parallel runs
never see each other's tables. The ``database_url`` and ``database`` fixtures built on these
live in ``tests/fixtures/store.py``; test modules import only the plain helpers from here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.versions import VersionText, store_versions

POSTGRES_ENV = "PUBLISHER_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _schema_url(base: str, schema: str) -> str:
    url = make_url(base)
    if url.drivername in ("postgresql", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def make_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(_schema_url(base, "public"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(base, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BODY_V1 = """# Acceptable Use Policy

1. You shall not send spam.
2. You shall not attack the network.
"""

BODY_V2 = """# Acceptable Use Policy

1. You shall not send bulk or unsolicited mail.
2. You shall not scan other customers' hosts.
3. You shall not attack the network.
"""


def version_text(slug: str, label: str, position: int, body: str) -> VersionText:
    from publisher.document import body_sha256

    return VersionText(
        slug=slug,
        label=label,
        position=position,
        title="Acceptable Use Policy",
        summary=f"version {label}",
        effective=date(2024, 1 + position, 1),
        commit=f"{position + 1:040x}",
        path=f"policies/{slug}.md",
        sha256=body_sha256(body),
        body=body,
    )


SEED_VERSIONS = (
    version_text("acceptable-use", "1", 0, BODY_V1),
    version_text("acceptable-use", "2", 1, BODY_V2),
)

SEED_CUSTOMERS = (
    CustomerRow(2, "c1", "ada@example.com", "Ada Lovelace", "Analytical Ltd", "en-GB"),
    CustomerRow(3, "c2", "bob@example.org", "Bob Stone", "Stone & Co", None),
    CustomerRow(4, "c3", "cy@example.net", "Cy Young", "", None),
)


def seed(database: Database) -> None:
    """Two versions of acceptable-use and three customers."""
    store_versions(database, SEED_VERSIONS)
    import_customers(database, SEED_CUSTOMERS)


def disable_append_only_guard(database: Database) -> None:
    """Drop the triggers that refuse UPDATE/DELETE, to simulate an attacker with DB access."""
    with database.engine.begin() as connection:
        if database.dialect == "sqlite":
            connection.execute(text("DROP TRIGGER acceptances_no_update"))
            connection.execute(text("DROP TRIGGER acceptances_no_delete"))
        else:
            connection.execute(text("ALTER TABLE acceptances DISABLE TRIGGER USER"))


def synced_store(repo: Path, url: str) -> Database:
    """The store at ``url`` (created at head) with ``repo``'s versions and the seed customers."""
    from publisher.config import load_settings
    from publisher.store.versions import sync_versions

    settings = load_settings(repo, env={}, overrides={"database_url": url})
    db = migrate.open_store(settings)
    sync_versions(db, settings)
    import_customers(db, SEED_CUSTOMERS)
    return db


# -- a real policy repository ---------------------------------------------------------------

AUP_FILE_V1 = """---
title: Acceptable Use Policy
slug: acceptable-use
version: "1"
effective: 2024-02-01
summary: First version.
---
# Acceptable Use Policy

1. You shall not send spam.
2. You shall not attack the network.
"""

AUP_FILE_V2 = """---
title: Acceptable Use Policy
slug: acceptable-use
version: "2"
effective: 2024-04-01
summary: Bulk mail and scanning rules.
---
# Acceptable Use Policy

1. You shall not send bulk or unsolicited mail.
2. You shall not scan other customers' hosts.
3. You shall not attack the network.
"""

CUSTOMERS_CSV = """id,email,name,company,locale
c1,ada@example.com,Ada Lovelace,Analytical Ltd,en-GB
c2,bob@example.org,Bob Stone,Stone & Co,
c3,cy@example.net,Cy Young,,
"""


def make_policy_repo(path: Path) -> Path:
    """A git repository with acceptable-use versions 1 and 2 and a customers.csv (untracked)."""
    from gitrepo import GitRepo

    repo = GitRepo.init(path)
    repo.write("policies/acceptable-use.md", AUP_FILE_V1)
    repo.commit("Publish the acceptable use policy", date="2024-01-10")
    repo.write("policies/acceptable-use.md", AUP_FILE_V2)
    repo.commit("AUP v2: bulk mail and scanning", date="2024-03-01")
    (path / "customers.csv").write_text(CUSTOMERS_CSV)
    return path
