"""Helpers shared by the notices tests: a real policy repository with three versions, customers who
accepted different versions, settings, a signer with a fixed clock, and the CLI.

``make_notice_repo`` builds the git repository; ``Setup`` opens its store, copies the versions
in and records acceptances so that the three recipient groups exist (never accepted, accepted
version 1, accepted version 2) plus a customer who already accepted version 3. The
``notice_repo``, ``setup`` and ``sqlite_setup`` fixtures are in ``tests/fixtures/notices.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from publisher.cli import main
from publisher.config import Settings, load_settings
from publisher.links import LinkSigner
from publisher.notices import campaign
from publisher.notices.changes import GitChanges
from publisher.notices.render import default_subject
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.store.versions import sync_versions

POLICY = "acceptable-use"
KEY = "notices-test-key-0123456789abcdef0123"
SIGNED_AT = 1_767_225_600.0  # 2026-01-01T00:00:00Z: links signed "then" are reproducible
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
MAIL_FROM = "Northwind Legal <legal@northwind.example>"

AUP_V1 = """---
title: Acceptable Use Policy
slug: acceptable-use
version: "1"
effective: 2024-02-01
summary: First version.
---
# Acceptable Use Policy

1. You shall not send spam.
2. You shall not attack the network.
3. You shall keep your account secure.
"""

AUP_V2 = """---
title: Acceptable Use Policy
slug: acceptable-use
version: "2"
effective: 2024-05-01
summary: Bulk mail and scanning rules.
---
# Acceptable Use Policy

1. You shall not send bulk or unsolicited mail.
2. You shall not scan other customers' hosts.
3. You shall not attack the network.
4. You shall keep your account secure.
"""

V3_EFFECTIVE = datetime.now(UTC).date() + timedelta(days=45)
"""Version 3 takes effect after the notice period, counted from today (for the CLI, whose
clock is real) and from :data:`NOW` alike."""

AUP_V3 = """---
title: Acceptable Use Policy
slug: acceptable-use
version: "3"
effective: V3_EFFECTIVE
summary: >-
  Mining cryptocurrency is no longer allowed, and we now give 14 days' notice before we
  suspend an account.
---
# Acceptable Use Policy

1. You shall not send bulk or unsolicited mail.
2. You shall not scan other customers' hosts.
3. You shall not attack the network.
4. You shall not mine cryptocurrency.
5. You shall keep your account secure, and tell us of any breach within 72 hours.
6. We will give you 14 days' notice before we suspend your account.
"""

CUSTOMERS = (
    CustomerRow(2, "c1", "ada@example.com", "Ada Lovelace", "Analytical Ltd", "en-GB"),
    CustomerRow(3, "c2", "bob@example.org", "Bob Stone", "Stone & Co", None),
    CustomerRow(4, "c3", "cy@example.net", "Cy Young", "", None),
    CustomerRow(5, "c4", "dee@example.com", "Dee Accepted", "", None),
)
ACCEPTED = (("c1", "1"), ("c2", "2"), ("c4", "3"))
"""c1 accepted version 1, c2 version 2, c4 already version 3; c3 never accepted."""


def make_notice_repo(path: Path, *, v3_effective: date = V3_EFFECTIVE) -> Path:
    """A git repository with acceptable-use versions 1, 2 and 3 (effective ``v3_effective``)."""
    from gitrepo import GitRepo

    repo = GitRepo.init(path)
    v3 = AUP_V3.replace("V3_EFFECTIVE", v3_effective.isoformat())
    for text, day in ((AUP_V1, "2024-01-10"), (AUP_V2, "2024-04-01"), (v3, "2024-12-20")):
        repo.write("policies/acceptable-use.md", text)
        repo.commit(f"Acceptable use policy {text.split(chr(34))[1]}", date=day)
    return path


def notice_env(**extra: str) -> dict[str, str]:
    """The environment settings every notices test uses (no generated key files)."""
    return {
        "PUBLISHER_SECRET_KEY": KEY,
        "PUBLISHER_MAIL_FROM": MAIL_FROM,
        "PUBLISHER_SITE_URL": "https://policies.northwind.example",
        "PUBLISHER_ACCEPT_URL": "https://accept.northwind.example",
        **extra,
    }


def settings_for(root: Path, database_url: str, **extra: str) -> Settings:
    return load_settings(root, env=notice_env(**extra), overrides={"database_url": database_url})


def fixed_signer() -> LinkSigner:
    return LinkSigner([KEY], clock=lambda: SIGNED_AT)


@dataclass
class Setup:
    """A repository, its store with versions, customers and acceptances, and its settings."""

    root: Path
    database: Database
    settings: Settings
    url: str

    def create(
        self, *, effective: str | None = None, force: bool = False, now: datetime = NOW
    ) -> campaign.CreatedNotice:
        """A notice for version 3, effective on its own date unless ``effective``."""
        from publisher.history import PolicyRepo

        day = date.fromisoformat(effective) if effective is not None else None
        with PolicyRepo.open(self.settings) as repo:
            return campaign.create_notice(
                self.database,
                slug=POLICY,
                label=None,
                effective=day,
                source=GitChanges(repo),
                default_notice_days=self.settings.notice_days,
                force=force,
                now=lambda: now,
                subject_for=default_subject,
            )

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return run_cli(self.root, self.url, *args, env=env)


def run_cli(root: Path, url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """``publisher -C root <args> --database-url url`` in process."""
    full = notice_env(**(env or {}))
    return CliRunner().invoke(main, ["-C", str(root), *args, "--database-url", url], env=full)


def prepare(
    root: Path,
    url: str,
    *,
    customers: Sequence[CustomerRow] = CUSTOMERS,
    accepted: Sequence[tuple[str, str]] = ACCEPTED,
) -> Setup:
    settings = settings_for(root, url)
    database = migrate.open_store(settings)
    sync_versions(database, settings)
    import_customers(database, customers)
    for customer, version in accepted:
        record_acceptance(
            database, customer_id=customer, policy=POLICY, version=version, method="import"
        )
    return Setup(root, database, settings, url)


def python_env() -> dict[str, str]:
    """The environment for a ``python -m publisher`` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update(notice_env())
    return env
