"""Organisation acceptance through the in-app API (SQLite and PostgreSQL, in process): a
member accepts on the organisation's behalf (the record is the organisation's, naming the
member), and the status API answers for the organisation and for each of its members."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_check import conforms, spec
from web_support import POLICY, Site, accept, csrf_of, make_site

from publisher.links import LinkClaims, LinkInvalid
from publisher.store.customers import customer_row
from publisher.store.ledger import records, verify_chain
from publisher.store.organisations import save_customer

TOKEN = "status-write-token-0123456789"


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(database_url, tmp_path, PUBLISHER_API_TOKENS=f"status+write:{TOKEN}")
    for values in (
        {"id": "acme", "email": "legal@acme.example", "name": "Acme", "kind": "organisation"},
        {"id": "ann", "email": "ann@acme.example", "name": "Ann", "organisation": "acme"},
        {"id": "ben", "email": "ben@acme.example", "name": "Ben", "organisation": "acme"},
    ):
        save_customer(made.database, customer_row(values))
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


HEADERS = {"authorization": f"Bearer {TOKEN}"}


def post(site: Site, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {**HEADERS, **({"idempotency-key": key} if key else {})}
    return site.client.post("/api/v1/acceptances", json=body, headers=headers)


def status(site: Site, customer: str) -> Any:
    return site.client.get(f"/api/v1/status?customer={customer}&policy={POLICY}", headers=HEADERS)


def test_a_member_accepts_for_the_organisation(site: Site) -> None:
    document = spec(site)
    before = status(site, "ben").json()["policies"][0]
    assert before["needs_acceptance"] is True
    body = {"customer": "ann", "policy": POLICY, "version": "2", "on_behalf_of": "acme"}
    response = post(site, body, key="org-1")
    assert response.status_code == 201, response.text
    conforms(site, response, document)
    record = response.json()["record"]
    assert (record["customer"], record["acting_user"], record["method"]) == ("acme", "ann", "api")
    [stored] = records(site.database, customer_id="acme")
    assert stored.acting_user == "ann" and records(site.database, customer_id="ann") == []
    assert verify_chain(site.database).ok
    replayed = post(site, body, key="org-1")
    assert replayed.headers["idempotent-replayed"] == "true"
    for customer in ("acme", "ann", "ben"):  # the organisation and each member
        answer = status(site, customer)
        conforms(site, answer, document)
        [policy] = answer.json()["policies"]
        assert policy["needs_acceptance"] is False, customer
        assert policy["accepted"]["record"] == stored.seq
        assert policy["accepted"]["acting_user"] == "ann"
        assert policy["accepted"]["organisation"] == (None if customer == "acme" else "acme")
    # a person of no organisation is not covered
    assert status(site, "c1").json()["policies"][0]["needs_acceptance"] is True


def test_only_a_member_may_accept_for_an_organisation(site: Site) -> None:
    outsider = post(
        site, {"customer": "c1", "policy": POLICY, "version": "2", "on_behalf_of": "acme"}
    )
    assert outsider.status_code == 422
    conforms(site, outsider, spec(site))
    assert outsider.json()["field"] == "on_behalf_of"
    assert "'c1' is not a member of organisation 'acme'" in outsider.json()["error"]
    person = post(site, {"customer": "ann", "policy": POLICY, "version": "2", "on_behalf_of": "c1"})
    assert person.status_code == 422 and "is not an organisation" in person.json()["error"]
    unknown = post(site, {"customer": "ann", "policy": POLICY, "version": "2", "on_behalf_of": "x"})
    assert unknown.status_code == 404
    conforms(site, unknown, spec(site))
    bad = post(site, {"customer": "ann", "policy": POLICY, "version": "2", "on_behalf_of": 7})
    assert bad.status_code == 422 and bad.json()["field"] == "on_behalf_of"
    assert records(site.database, customer_id="acme") == []


def test_a_members_own_acceptance_is_not_the_organisations(site: Site) -> None:
    assert post(site, {"customer": "ann", "policy": POLICY, "version": "2"}).status_code == 201
    assert status(site, "ann").json()["policies"][0]["needs_acceptance"] is False
    assert status(site, "ben").json()["policies"][0]["needs_acceptance"] is True
    assert status(site, "acme").json()["policies"][0]["needs_acceptance"] is True


# -- the email link flow ------------------------------------------------------------------------


def org_link(site: Site, member: str, organisation: str) -> str:
    token = site.signer.sign(LinkClaims(member, POLICY, "2", None, organisation=organisation))
    return f"/a/{token}"


def test_a_members_link_accepts_for_the_organisation(site: Site) -> None:
    link = org_link(site, "ann", "acme")
    page = site.client.get(link)
    assert page.status_code == 200, page.text
    assert "you, Ann, on behalf of Acme, accept" in page.text
    assert "never accepted" in page.text or "version 1" in page.text
    response = accept(site, link)
    assert response.status_code == 303, response.text
    [record] = records(site.database, customer_id="acme")
    assert (record.acting_user, record.method) == ("ann", "link")
    assert records(site.database, customer_id="ann") == []
    receipt = site.client.get(response.headers["location"])
    assert receipt.status_code == 200 and "on behalf of Acme" in receipt.text
    other = site.client.get(org_link(site, "ben", "acme"))  # another member: already done
    assert other.status_code == 200 and "ann, on behalf of Acme" in other.text
    assert status(site, "ben").json()["policies"][0]["needs_acceptance"] is False


def test_a_link_for_an_organisation_one_does_not_belong_to_records_nothing(site: Site) -> None:
    for member, organisation in (("c1", "acme"), ("ann", "c1"), ("ann", "nowhere")):
        page = site.client.get(org_link(site, member, organisation))
        assert page.status_code == 404, (member, organisation)
    assert records(site.database, customer_id="acme") == []


def test_old_links_keep_their_payload() -> None:
    claims = LinkClaims("c1", POLICY, "2", None)
    assert claims.to_payload() == {"c": "c1", "p": POLICY, "v": "2", "n": None}
    assert LinkClaims.from_payload(claims.to_payload()) == claims
    member = LinkClaims("ann", POLICY, "2", None, organisation="acme")
    assert LinkClaims.from_payload(member.to_payload()) == member
    with pytest.raises(LinkInvalid):
        LinkClaims.from_payload({**claims.to_payload(), "o": ""})


def test_a_member_who_left_cannot_accept_with_their_old_link(site: Site) -> None:
    """The page was opened while Ann was Acme's member; she left before pressing the button."""
    link = org_link(site, "ann", "acme")
    page = site.client.get(link)
    assert page.status_code == 200
    save_customer(
        site.database,
        customer_row({"id": "ann", "email": "ann@acme.example", "name": "Ann"}),
    )
    answer = site.client.post(
        link, data={"csrf": csrf_of(page.text), "accept": "yes"}, follow_redirects=False
    )
    assert answer.status_code == 404
    assert records(site.database, customer_id="acme") == []
