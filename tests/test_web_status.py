"""``GET /api/v1/status`` and the API token scopes, in process on SQLite and PostgreSQL: the
re-acceptance rule per policy, no stale answer after an acceptance commits, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from sqlalchemy import text
from web_support import API_TOKEN, POLICY, Site, accept, make_site

from publisher.errors import PublisherError
from publisher.store.ledger import records
from publisher.store.versions import store_versions

STATUS_TOKEN = "status-token-0123456789"
WRITE_TOKEN = "write-token-0123456789ab"
REPORTS_TOKEN = "reports-token-0123456789"
TOKENS = f"status:{STATUS_TOKEN},write:{WRITE_TOKEN},reports:{REPORTS_TOKEN}"

V3_EDITORIAL = support.BODY_V2.replace("shall not", "Shall Not")


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    made = make_site(
        database_url,
        tmp_path,
        PUBLISHER_API_TOKENS=TOKENS,
        PUBLISHER_ACCEPT_URL="http://accept.example.com",
    )
    try:
        yield made
    finally:
        made.client.close()
        made.database.dispose()


def status(site: Site, query: str, token: str | None = STATUS_TOKEN) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return site.client.get(f"/api/v1/status?{query}", headers=headers)


def test_status_says_what_needs_acceptance_and_why(site: Site) -> None:
    response = status(site, f"customer=c2&policy={POLICY}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["customer"], body["needs_acceptance"]) == ("c2", True)
    [policy] = body["policies"]
    (earlier,) = records(site.database, customer_id="c2", policy=POLICY, version="1")
    assert earlier is not None
    assert policy["policy"] == POLICY and policy["current"]["version"] == "2"
    assert policy["current"]["sha256"] == support.SEED_VERSIONS[1].sha256
    assert policy["accepted"]["version"] == "1"
    assert policy["accepted"]["hash"] == earlier.hash
    assert policy["accepted"]["record"] == earlier.seq
    assert (policy["needs_acceptance"], policy["reason"]) == (True, "material-changes")
    assert "changes it materially" in policy["explanation"]
    link = policy["accept_url"]
    assert link.startswith("http://accept.example.com/a/")
    page = site.client.get(link.removeprefix("http://accept.example.com"))
    assert page.status_code == 200 and "I accept" in page.text


def test_never_accepted_customer(site: Site) -> None:
    [policy] = status(site, "customer=c3").json()["policies"]  # every policy by default
    assert (policy["accepted"], policy["reason"]) == (None, "not-accepted")


def test_no_stale_answer_after_an_acceptance_commits(site: Site) -> None:
    assert status(site, "customer=c2").json()["needs_acceptance"] is True
    response = accept(site, site.link("c2", "2"))
    assert response.status_code == 303
    after = status(site, "customer=c2").json()
    assert after["needs_acceptance"] is False
    [policy] = after["policies"]
    assert (policy["reason"], policy["accepted"]["version"], policy["accept_url"]) == (
        "accepted-current",
        "2",
        None,
    )
    # and through the API too
    assert status(site, "customer=c1").json()["needs_acceptance"] is True
    recorded = site.client.post(
        "/api/acceptances",
        headers={"authorization": f"Bearer {WRITE_TOKEN}"},
        json={"customer": "c1", "policy": POLICY, "version": "2"},
    )
    assert recorded.status_code == 201
    assert status(site, "customer=c1").json()["needs_acceptance"] is False


def test_an_editorial_version_carries_the_acceptance_forward(site: Site) -> None:
    accept(site, site.link("c2", "2"))
    store_versions(site.database, [support.version_text(POLICY, "3", 2, V3_EDITORIAL)])
    [policy] = status(site, "customer=c2").json()["policies"]
    assert policy["current"]["version"] == "3"
    assert (policy["needs_acceptance"], policy["reason"], policy["carried_forward"]) == (
        False,
        "editorial-only",
        True,
    )
    assert policy["accepted"]["version"] == "2"
    [other] = status(site, "customer=c1").json()["policies"]  # c1 never accepted
    assert other["needs_acceptance"] is True


def test_answers_follow_a_changed_version_row_at_once(site: Site) -> None:
    """What the handler keeps between requests is keyed by the values it read: a version
    whose stored rule changes answers by the new rule on the next request."""
    for _ in range(3):  # answered (and remembered) more than once
        [before] = status(site, "customer=c2").json()["policies"]
        assert (before["needs_acceptance"], before["reason"]) == (True, "material-changes")
    with site.database.engine.begin() as connection:
        connection.execute(text("UPDATE policy_versions SET reaccept = 'never' WHERE label = '2'"))
    [after] = status(site, "customer=c2").json()["policies"]
    assert (after["needs_acceptance"], after["reason"]) == (False, "reaccept-never")
    with site.database.engine.begin() as connection:
        connection.execute(text("UPDATE policy_versions SET reaccept = 'always' WHERE label = '2'"))
    [again] = status(site, "customer=c2").json()["policies"]
    assert (again["needs_acceptance"], again["reason"]) == (True, "reaccept-always")


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("", 422, "customer"),
        ("customer=", 422, "customer"),
        ("customer=" + "x" * 201, 422, "customer"),
        ("customer=c1&policy=" + "&policy=".join(f"p{i}" for i in range(51)), 422, "policy"),
    ],
)
def test_bad_input_is_422(site: Site, query: str, code: int, field: str) -> None:
    response = status(site, query)
    assert response.status_code == code and response.json()["field"] == field


def test_unknown_customer_or_policy_is_404(site: Site) -> None:
    missing = status(site, "customer=nobody")
    assert missing.status_code == 404 and "nobody" in missing.json()["error"]
    unknown = status(site, "customer=c1&policy=nope")
    assert unknown.status_code == 404
    assert unknown.json()["hint"] == f"known: {POLICY}"


def test_token_scopes(site: Site) -> None:
    def get(path: str, token: str) -> int:
        return int(site.client.get(path, headers={"authorization": f"Bearer {token}"}).status_code)

    def post(token: str) -> int:
        return int(
            site.client.post(
                "/api/acceptances",
                headers={"authorization": f"Bearer {token}"},
                json={"customer": "c3", "policy": POLICY, "version": "1"},
            ).status_code
        )

    assert get("/api/v1/status?customer=c1", STATUS_TOKEN) == 200
    assert get("/api/v1/status?customer=c1", WRITE_TOKEN) == 403
    assert get("/api/v1/status?customer=c1", REPORTS_TOKEN) == 403
    assert get("/api/v1/status?customer=c1", API_TOKEN) == 200  # api_token may do everything
    assert get("/api/v1/status?customer=c1", "wrong-token-0123456789") == 401
    for path in ("/api/reports/acceptance", "/api/ledger/verify", "/api/customers/c1/evidence"):
        assert (get(path, STATUS_TOKEN), get(path, WRITE_TOKEN), get(path, REPORTS_TOKEN)) == (
            403,
            403,
            200,
        )
    assert post(STATUS_TOKEN) == 403 and post(REPORTS_TOKEN) == 403
    assert records(site.database, customer_id="c3", policy=POLICY, version="1") == []
    assert post(WRITE_TOKEN) == 201
    denied = site.client.get(
        "/api/v1/status?customer=c1", headers={"authorization": f"Bearer {WRITE_TOKEN}"}
    )
    assert denied.json() == {"error": "this token lacks the scope 'status'", "scope": "status"}


def test_status_only_tokens_enable_the_api(database_url: str, tmp_path: Path) -> None:
    made = make_site(
        database_url,
        tmp_path,
        PUBLISHER_API_TOKEN="",
        PUBLISHER_API_TOKENS=f"status:{STATUS_TOKEN}",
    )
    try:
        assert status(made, "customer=c1").status_code == 200
        assert (
            made.client.get(
                "/api/ledger/verify", headers={"authorization": f"Bearer {STATUS_TOKEN}"}
            ).status_code
            == 403
        )
    finally:
        made.client.close()
        made.database.dispose()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("status", "not SCOPES:TOKEN"),
        ("admin:" + "t" * 20, "unknown scope"),
        ("status+nope:" + "t" * 20, "unknown scope"),
        ("status:short", "shorter than 16"),
    ],
)
def test_bad_api_tokens_setting_is_refused(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(PublisherError, match=message) as caught:
        make_site(f"sqlite:///{tmp_path / 'store.db'}", tmp_path, PUBLISHER_API_TOKENS=value)
    assert "api_tokens" in (caught.value.hint or "")
