"""Notices and reminders to organisations (SQLite and PostgreSQL): an organisation that needs
to accept is written to through its members, each with their own link that accepts on its
behalf; one that accepted (by any member, or carried forward) gets nothing. Followed from
the dry-run folder's .eml files through the web app to the recorded on-behalf acceptance."""

from __future__ import annotations

import email
import email.policy
import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import notices_support as support
import pytest
from sqlalchemy import select, update

from publisher.links import signer_for
from publisher.notices import reminders
from publisher.notices.members import on_behalf
from publisher.store.customers import customer_row
from publisher.store.ledger import record_acceptance, records, verify_chain
from publisher.store.models import Delivery
from publisher.store.organisations import save_customer
from publisher.store.status import read_status
from publisher.store.tables import DELIVERIES
from publisher.web import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

POLICY = support.POLICY
ORGANISATIONS = (
    {"id": "acme", "email": "legal@acme.example", "name": "Acme Ltd", "kind": "organisation"},
    {"id": "ann", "email": "ann@acme.example", "name": "Ann Smith", "organisation": "acme"},
    {"id": "ben", "email": "ben@acme.example", "name": "Ben Jones", "organisation": "acme"},
    {"id": "globex", "email": "law@globex.example", "name": "Globex", "kind": "organisation"},
    {"id": "gus", "email": "gus@globex.example", "name": "Gus Grey", "organisation": "globex"},
    {"id": "initech", "email": "it@initech.example", "name": "Initech", "kind": "organisation"},
)


@pytest.fixture
def orgs(setup: support.Setup) -> Iterator[support.Setup]:
    """The notices store plus: acme (members ann, ben; accepted version 1 through ann),
    globex (gus accepted version 3 for it), initech (an organisation without members);
    ben accepted version 3 for himself, which is not acme's acceptance."""
    for values in ORGANISATIONS:
        save_customer(setup.database, customer_row(values))
    database = setup.database
    record_acceptance(
        database, customer_id="acme", policy=POLICY, version="1", method="link", acting_user="ann"
    )
    record_acceptance(
        database, customer_id="globex", policy=POLICY, version="3", method="link", acting_user="gus"
    )
    record_acceptance(database, customer_id="ben", policy=POLICY, version="3", method="link")
    yield setup


def planned(setup: support.Setup, notice_id: int) -> list[tuple[str, str | None, str | None]]:
    query = (
        select(DELIVERIES.c.customer_id, DELIVERIES.c.since_label, DELIVERIES.c.on_behalf_of)
        .where(DELIVERIES.c.notice_id == notice_id)
        .order_by(DELIVERIES.c.customer_id)
    )
    with setup.database.read() as connection:
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def test_an_organisation_is_written_to_through_its_members(orgs: support.Setup) -> None:
    created = orgs.create()
    assert planned(orgs, created.notice.id) == [
        ("ann", "1", "acme"),  # acme's last accepted version, not ann's own
        ("ben", "1", "acme"),  # his own acceptance of 3 is not acme's
        ("c1", "1", None),
        ("c2", "2", None),
        ("c3", None, None),
        ("initech", None, None),  # no members: its own contact address
    ]  # not acme itself, nor globex or gus (globex accepted 3), nor c4
    links = on_behalf(orgs.database, created.notice.id, lambda m, o: f"{m}->{o}")
    assert [(m.member, m.organisation, m.organisation_name, m.link) for m in links] == [
        ("ann", "acme", "Acme Ltd", "ann->acme"),
        ("ben", "acme", "Acme Ltd", "ben->acme"),
    ]


def test_an_organisation_whose_acceptance_carries_forward_is_not_written_to(
    orgs: support.Setup,
) -> None:
    record_acceptance(
        orgs.database, customer_id="acme", policy=POLICY, version="3", method="link"
    )  # by its contact: acme accepted, so none of its members is written to
    created = orgs.create()
    assert [row[0] for row in planned(orgs, created.notice.id)] == ["c1", "c2", "c3", "initech"]


def eml_of(out: Path, notice_id: int, customer: str) -> email.message.EmailMessage:
    [path] = (out / f"notice-{notice_id}").glob(f"*-{customer}.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def link_in(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    found = re.search(
        r"https://accept\.northwind\.example(/a/[A-Za-z0-9_.\-]+)", part.get_content()
    )
    assert found, "no acceptance link in the email"
    return found.group(1)


def accept(client: TestClient, link: str) -> Any:
    page = client.get(link)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no CSRF field"
    return page, client.post(
        link, data={"csrf": csrf.group(1), "accept": "yes"}, follow_redirects=False
    )


def test_members_links_from_the_dry_run_folder_accept_for_the_organisation(
    orgs: support.Setup, tmp_path: Path
) -> None:
    created = orgs.cli("notice", "create", POLICY, "--format", "json")
    assert created.exit_code == 0, created.output
    document = json.loads(created.stdout)
    notice_id = document["notice"]["id"]
    members = {(m["member"], m["organisation"]) for m in document["on_behalf"]}
    assert members == {("ann", "acme"), ("ben", "acme")}
    signer = signer_for(orgs.settings)
    for member in document["on_behalf"]:
        claims = signer.verify(member["link"].rsplit("/", 1)[1])
        assert (claims.customer, claims.organisation, claims.notice) == (
            member["member"],
            "acme",
            notice_id,
        )
    preview = orgs.cli("notice", "preview", str(notice_id), "--customer", "ann", "--format", "json")
    assert preview.exit_code == 0, preview.output
    assert json.loads(preview.stdout)["on_behalf_of"] == "acme"
    assert "ann is written to for organisation acme" in preview.stderr

    out = tmp_path / "outbox"
    sent = orgs.cli("notice", "send", str(notice_id), "--out", str(out))
    assert sent.exit_code == 0, sent.output
    assert not list((out / f"notice-{notice_id}").glob("*-acme.eml"))
    assert not list((out / f"notice-{notice_id}").glob("*-gus.eml"))
    ann_link = link_in(eml_of(out, notice_id, "ann"))
    ben_link = link_in(eml_of(out, notice_id, "ben"))
    assert ann_link != ben_link
    ann = signer.verify(ann_link.rsplit("/", 1)[1])
    assert (ann.customer, ann.organisation, ann.notice) == ("ann", "acme", notice_id)
    personal = signer.verify(link_in(eml_of(out, notice_id, "c1")).rsplit("/", 1)[1])
    assert personal.organisation is None

    with TestClient(
        create_app(orgs.settings, database=orgs.database), base_url=orgs.settings.accept_url
    ) as client:
        page, response = accept(client, ann_link)
        assert "on behalf of Acme Ltd" in page.text
        assert response.status_code == 303, response.text
        [record] = [r for r in records(orgs.database, customer_id="acme") if r.version == "3"]
        assert (record.acting_user, record.method, record.notice_id) == ("ann", "link", notice_id)
        assert verify_chain(orgs.database).ok
        later = client.get(ben_link)  # another member's link: acme has accepted
        assert later.status_code == 200 and "on behalf of Acme Ltd" in later.text
    assert not read_status(orgs.database, "ann", [POLICY]).policies[0].needs_acceptance

    with orgs.database.engine.begin() as connection:
        connection.execute(update(Delivery).values(sent_at=datetime.now(UTC) - timedelta(days=20)))
    reminded = orgs.cli("notice", "remind", str(notice_id), "--out", str(out))
    assert reminded.exit_code == 0, reminded.output
    reminder = int(reminded.stdout.splitlines()[-1])
    assert [row[0] for row in planned(orgs, reminder)] == ["c1", "c2", "c3", "initech"]


def test_reminders_go_to_members_until_the_organisation_accepts(orgs: support.Setup) -> None:
    created = orgs.create()
    sent_at = support.NOW - timedelta(days=30)
    with orgs.database.engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.notice_id == created.notice.id)
            .values(state="sent", sent_at=sent_at)
        )
    plan = reminders.create_reminder(
        orgs.database, created.notice.id, after_days=14, now=lambda: support.NOW
    )
    assert plan.reminder is not None
    assert ("ann", "1", "acme") in planned(orgs, plan.reminder.id)
    assert ("ben", "1", "acme") in planned(orgs, plan.reminder.id)


def test_members_are_not_reminded_once_a_member_accepted_for_the_organisation(
    orgs: support.Setup,
) -> None:
    created = orgs.create()
    with orgs.database.engine.begin() as connection:
        connection.execute(
            update(Delivery)
            .where(Delivery.notice_id == created.notice.id)
            .values(state="sent", sent_at=support.NOW - timedelta(days=30))
        )
    record_acceptance(
        orgs.database,
        customer_id="acme",
        policy=POLICY,
        version="3",
        method="link",
        acting_user="ben",
        notice_id=created.notice.id,
    )
    plan = reminders.create_reminder(
        orgs.database, created.notice.id, after_days=14, now=lambda: support.NOW
    )
    assert plan.reminder is not None
    assert [row[0] for row in planned(orgs, plan.reminder.id)] == ["c1", "c2", "c3", "initech"]


def test_a_new_member_is_added_when_the_notice_is_sent(orgs: support.Setup, tmp_path: Path) -> None:
    created = orgs.create()
    save_customer(
        orgs.database,
        customer_row(
            {"id": "cat", "email": "cat@acme.example", "name": "Cat Brown", "organisation": "acme"}
        ),
    )
    sent = orgs.cli("notice", "send", str(created.notice.id), "--out", str(tmp_path / "out"))
    assert sent.exit_code == 0, sent.output
    assert ("cat", "1", "acme") in planned(orgs, created.notice.id)


def test_notice_create_lists_the_members_and_their_links(orgs: support.Setup) -> None:
    created = orgs.cli("notice", "create", POLICY)
    assert created.exit_code == 0, created.output
    assert "2 members written to for their organisation" in created.stderr
    for member in ("ann <ann@acme.example>", "ben <ben@acme.example>"):
        assert f"  {member} for acme (Acme Ltd): https://accept.northwind.example/a/" in (
            created.stderr
        )
