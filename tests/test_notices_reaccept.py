"""Notices and reminders follow the re-acceptance rule: a customer whose acceptance carries
forward to the notice's version (editorial-only changes since) is no recipient (real git
repository, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import notices_support as support
import pytest
from gitrepo import GitRepo
from sqlalchemy import update

from publisher.notices import campaign, reminders
from publisher.store.ledger import record_acceptance
from publisher.store.models import Delivery

V4_EDITORIAL = (
    support.AUP_V3.replace('version: "3"', 'version: "4"')
    .replace("cryptocurrency.", "crypto-currency.")
    .replace("summary: >-", "summary: >-\n  Typography only.\n  ")
)


@pytest.fixture
def editorial(tmp_path: Path, database_url: str) -> Iterator[support.Setup]:
    """Versions 1, 2, 3 (material) and 4 (editorial against 3); c1 accepted 1, c2 2, c4 3."""
    root = support.make_notice_repo(tmp_path / "repo")
    repo = GitRepo(root)
    repo.write(
        "policies/acceptable-use.md",
        V4_EDITORIAL.replace("V3_EFFECTIVE", support.V3_EFFECTIVE.isoformat()),
    )
    repo.commit("Acceptable use policy 4: typography")
    prepared = support.prepare(root, database_url)
    try:
        yield prepared
    finally:
        prepared.database.dispose()


def test_notice_skips_customers_whose_acceptance_carries_forward(editorial: support.Setup) -> None:
    created = editorial.create()
    assert created.notice.version_label == "4"
    groups = {g.since: g.count for g in created.groups}
    assert groups == {None: 1, "1": 1, "2": 1}  # c4 accepted 3: carried forward to 4


def test_reminders_skip_customers_whose_acceptance_came_to_carry_forward(
    editorial: support.Setup,
) -> None:
    created = editorial.create()
    with editorial.database.engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.notice_id == created.notice.id)
            .values(state="sent", sent_at=support.NOW)
        )
    # c2 accepts version 3 in the product afterwards: that carries forward to 4
    record_acceptance(
        editorial.database, customer_id="c2", policy=support.POLICY, version="3", method="api"
    )
    later = support.NOW + timedelta(days=15)
    plan = reminders.create_reminder(
        editorial.database, created.notice.id, after_days=14, now=lambda: later
    )
    assert plan.reminder is not None
    groups = {
        g.since: g.count for g in campaign.recipient_groups(editorial.database, plan.reminder.id)
    }
    assert groups == {None: 1, "1": 1}  # c3 and c1; not c2
