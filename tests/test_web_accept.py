"""The acceptance service in process (Starlette TestClient) on SQLite and PostgreSQL: the flow,
GET never writes, refused links, CSRF, idempotent replays, headers, the API."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import store_support as support
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text
from web_support import API_TOKEN, KEY, POLICY, Site, accept, csrf_of, make_site

from publisher.links import LinkClaims, LinkSigner
from publisher.store import migrate
from publisher.store.ledger import records, verify_chain
from publisher.store.models import Notice, utcnow
from publisher.web.security import CONTENT_SECURITY_POLICY, csrf_field


def test_full_accept_flow(site: Site) -> None:
    link = site.link()
    page = site.client.get(link, headers={"user-agent": "TestBrowser/1.0"})
    assert page.status_code == 200
    html = page.text
    assert "Hello Bob Stone (Stone &amp; Co)," in html
    assert "What changed since version 1, which you accepted" in html
    assert "You shall not send <del>spam</del> <ins>bulk or unsolicited mail</ins>." in html
    assert '<button type="submit" name="accept" value="yes" class="accept__button">I accept' in html
    assert "This version takes effect on <strong>1 February 2024</strong>" in html
    before = utcnow()
    response = site.client.post(
        link,
        data={"csrf": csrf_of(html), "accept": "yes"},
        headers={"user-agent": "TestBrowser/1.0"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{link}/receipt"
    (_, record) = records(site.database)
    assert (record.customer_id, record.policy, record.version, record.method) == (
        "c2",
        POLICY,
        "2",
        "link",
    )
    assert record.content_sha256 == support.SEED_VERSIONS[1].sha256
    assert record.commit == support.SEED_VERSIONS[1].commit
    assert record.user_agent == "TestBrowser/1.0" and record.ip == "testclient"
    assert before <= record.accepted_at <= utcnow()
    receipt = site.client.get(response.headers["location"])
    assert receipt.status_code == 200
    assert "Thank you: your acceptance is recorded" in receipt.text
    assert record.content_sha256 in receipt.text and record.hash in receipt.text
    assert f"number {record.seq}" in receipt.text
    assert verify_chain(site.database).ok


def test_get_records_nothing_at_all(site: Site) -> None:
    before = site.snapshot()
    link = site.link()
    for _ in range(3):
        assert site.client.get(link).status_code == 200
    assert site.client.head(link).status_code == 200
    assert site.client.get(f"{link}/receipt", follow_redirects=False).status_code == 303
    assert site.snapshot() == before


def test_first_time_customer_sees_the_full_text_and_why(site: Site) -> None:
    html = site.client.get(site.link("c3")).text
    assert (
        "You have not accepted a version of this policy before; here is the full text, "
        "and what changed since version 1."
    ) in html
    assert "What changed since version 1, the previous version" in html
    assert "<del>spam</del>" in html
    assert "which you accepted" not in html
    assert '<details class="fulltext" open>' in html
    assert "You shall not scan other customers' hosts." in html
    first = site.client.get(site.link("c3", version="1")).text
    assert "You have not accepted a version of this policy before; here is the full text." in first
    assert "What changed" not in first and "<del>" not in first


BULLETS = """# Acceptable Use Policy

You shall not:

- send bulk or unsolicited mail;
- scan **other** customers' hosts.

1. You shall not attack the network.
"""


def test_full_text_keeps_lists_and_markup(site: Site) -> None:
    from publisher.store.versions import store_versions

    store_versions(site.database, [support.version_text(POLICY, "3", 2, BULLETS)])
    html = site.client.get(site.link("c3", version="3")).text
    fulltext = html[html.index('<details class="fulltext"') : html.index("</details>")]
    assert '<ul class="clause-list clause-list-ul">' in fulltext
    assert fulltext.count("<li ") == 3  # two bullets, one numbered item
    assert "<strong>other</strong>" in fulltext
    assert 'id="c-1"' in fulltext  # the site's clause anchors


def test_superseded_version_says_so_and_links_to_the_current_one(site: Site) -> None:
    html = site.client.get(site.link("c3", version="1")).text
    assert "Version 1 is superseded by version 2" in html
    found = re.search(r'<a href="(/a/[^"]+)">review and accept version 2</a>', html)
    assert found, "no link to the current version"
    assert site.signer.verify(found.group(1).removeprefix("/a/")) == LinkClaims(
        "c3", POLICY, "2", None
    )
    assert "I accept</button>" in html  # still possible, knowingly
    assert "superseded" not in site.client.get(site.link("c3", version="2")).text


def test_accepting_an_older_version_than_one_accepted_is_refused(site: Site) -> None:
    accept(site, site.link("c3", version="2"))
    old = site.link("c3", version="1")
    page = site.client.get(old)
    assert page.status_code == 200
    assert "You have already accepted version 2, which replaces version 1" in page.text
    assert "I accept</button>" not in page.text
    before = site.snapshot()
    other = site.client.get(site.link("c1", version="1"))  # a form (and cookie) to replay
    form = {
        "csrf": csrf_field(
            site.settings.secret_key, old.removeprefix("/a/"), site.client.cookies["pp_csrf"]
        ),
        "accept": "yes",
    }
    assert "I accept</button>" in other.text
    post = site.client.post(old, data=form, follow_redirects=False)
    assert post.status_code == 409
    assert "You have already accepted version 2, which replaces version 1" in post.text
    assert site.snapshot() == before


def test_notice_is_shown(site: Site) -> None:
    with site.database.session() as session, session.begin():
        notice = Notice(
            slug=POLICY,
            version_label="2",
            subject="Changes to our AUP",
            summary="We now forbid bulk mail.",
            status="sent",
            forced=False,
            created_at=utcnow(),
        )
        session.add(notice)
        session.flush()
        notice_id = notice.id
    link = site.link("c3", notice=notice_id)
    assert "<strong>Changes to our AUP</strong>" in site.client.get(link).text
    accept(site, link)
    assert records(site.database, customer_id="c3")[0].notice_id == notice_id


def test_replayed_post_is_idempotent_and_says_so(site: Site) -> None:
    link = site.link()
    page = site.client.get(link)
    form = {"csrf": csrf_of(page.text), "accept": "yes"}
    first = site.client.post(link, data=form, follow_redirects=False)
    again = site.client.post(link, data=form, follow_redirects=False)
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["location"] == f"{link}/receipt?again=1"
    assert len(records(site.database, customer_id="c2", version="2")) == 1
    assert (
        "You have already accepted this version" in site.client.get(again.headers["location"]).text
    )
    # Opening the link again shows the receipt, not a form.
    reopened = site.client.get(link).text
    assert (
        "You have already accepted this version" in reopened and "I accept</button>" not in reopened
    )


def _refused(site: Site, link: str, status: int, phrase: str) -> None:
    before = site.snapshot()
    page = site.client.get(link)
    assert page.status_code == status and phrase in page.text
    form = {
        "csrf": csrf_field(site.settings.secret_key, link.removeprefix("/a/"), "n" * 24),
        "accept": "yes",
    }
    site.client.cookies.set("pp_csrf", "n" * 24, path="/a/")
    post = site.client.post(link, data=form, follow_redirects=False)
    assert post.status_code == status and phrase in post.text
    assert "I accept</button>" not in post.text
    assert site.snapshot() == before


def test_tampered_token_is_refused(site: Site) -> None:
    link = site.link()
    # A signature character base64 cannot ignore (the last one's low bits are padding).
    tampered = link[:-5] + ("A" if link[-5] != "A" else "Q") + link[-4:]
    _refused(site, tampered, 400, "This link does not work")
    payload_swapped = site.link("c3").split(".")[0] + "." + link.split(".", 1)[1]
    _refused(site, payload_swapped, 400, "This link does not work")


def test_wrong_purpose_token_is_refused(site: Site) -> None:
    other = URLSafeTimedSerializer([KEY], salt="publisher.unsubscribe")
    _refused(
        site,
        "/a/" + other.dumps({"c": "c2", "p": POLICY, "v": "2", "n": None}),
        400,
        "This link does not work",
    )


def test_expired_token_is_refused_and_says_what_to_do(site: Site) -> None:
    old = time.time() - 91 * 86400
    signer = LinkSigner([KEY], clock=lambda: old)
    link = "/a/" + signer.sign(LinkClaims("c2", POLICY, "2"))
    _refused(site, link, 410, "please reply to the notice email and ask for a new link")
    accepted_long_ago = "/a/" + signer.sign(LinkClaims("c2", POLICY, "1"))
    page = site.client.get(accepted_long_ago)
    assert page.status_code == 410 and "There is nothing more to do" in page.text


def test_link_for_unknown_customer_or_version(site: Site) -> None:
    _refused(site, site.link("nobody"), 404, "This link is no longer valid")
    _refused(site, site.link(version="9"), 404, "This link is no longer valid")


@pytest.mark.parametrize(
    "case", ["no-cookie", "wrong-field", "other-token", "cross-origin", "not-confirmed"]
)
def test_csrf_and_confirmation_are_required(site: Site, case: str) -> None:
    link = site.link()
    page = site.client.get(link)
    form = {"csrf": csrf_of(page.text), "accept": "yes"}
    headers = {}
    if case == "no-cookie":
        site.client.cookies.clear()
    elif case == "wrong-field":
        form["csrf"] = form["csrf"][:-3] + "AAA"
    elif case == "other-token":
        other = site.client.get(site.link("c3"))  # same cookie, the field of another link
        form["csrf"] = csrf_of(other.text)
    elif case == "cross-origin":
        headers["origin"] = "https://evil.example"
    else:
        del form["accept"]
    before = site.snapshot()
    response = site.client.post(link, data=form, headers=headers, follow_redirects=False)
    assert response.status_code == (400 if case == "not-confirmed" else 403)
    assert "Your acceptance was not recorded" in response.text
    assert "I accept</button>" in response.text  # a fresh form to try again
    assert site.snapshot() == before


def test_a_form_with_too_many_fields_records_nothing(site: Site) -> None:
    link = site.link()
    page = site.client.get(link)
    form = {"csrf": csrf_of(page.text), "accept": "yes", **{f"f{i}": "x" for i in range(7)}}
    before = site.snapshot()
    response = site.client.post(link, data=form, follow_redirects=False)
    assert response.status_code == 400 and "more than 8 fields" in response.text
    assert site.snapshot() == before
    multipart = site.client.post(
        link, data={"csrf": form["csrf"], "accept": "yes"}, files={"x": ("a", b"b")}
    )
    assert multipart.status_code == 400  # no files: Starlette's parser for anything not urlencoded
    assert site.snapshot() == before
    plain = site.client.post(link, data={"csrf": form["csrf"], "accept": "yes"})
    assert plain.status_code == 200 and len(records(site.database)) == 2  # 303 to the receipt


def test_security_headers_everywhere(site: Site) -> None:
    for path in (
        site.link(),
        "/a/garbage",
        "/healthz",
        "/api/ledger/verify",
        "/nowhere",
        "/static/acceptance.css",
    ):
        headers = site.client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in headers
    page = site.client.get(site.link())
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/a/" in cookie
    assert "Secure" not in cookie
    assert "<script" not in page.text and " style=" not in page.text


def test_https_service_sends_hsts_and_secure_cookies(database_url: str, tmp_path: Path) -> None:
    made = make_site(database_url, tmp_path, PUBLISHER_ACCEPT_URL="https://accept.example.com")
    try:
        page = made.client.get(made.link())
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "Secure" in page.headers["set-cookie"]
    finally:
        made.client.close()
        made.database.dispose()


def test_health_endpoints(site: Site) -> None:
    assert site.client.get("/healthz").text == "ok\n"
    ready = site.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["schema"] == migrate.head_revision()


def _api(site: Site, method: str, path: str, token: str | None = API_TOKEN, **kw: Any) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return site.client.request(method, path, headers=headers, **kw)


def test_api_needs_the_bearer_token(site: Site) -> None:
    assert _api(site, "GET", "/api/reports/acceptance", token=None).status_code == 401
    wrong = _api(site, "GET", "/api/reports/acceptance", token="nope")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert (
        _api(
            site,
            "POST",
            "/api/acceptances",
            token="nope",
            json={"customer": "c1", "policy": POLICY, "version": "2"},
        ).status_code
        == 401
    )
    assert records(site.database, customer_id="c1") == []


def test_api_reports_evidence_verify_and_record(site: Site) -> None:
    accept(site, site.link())
    report = _api(site, "GET", f"/api/reports/acceptance?policy={POLICY}&version=2").json()
    assert [(v["version"], v["accepted"], v["pending"]) for v in report["versions"]] == [
        ("2", 1, 2)
    ]
    csv_text = _api(site, "GET", "/api/reports/acceptance?format=csv").text
    assert csv_text.startswith("policy,version,customer_id")
    assert _api(site, "GET", "/api/reports/acceptance?policy=nope").status_code == 404
    evidence = _api(site, "GET", "/api/customers/c2/evidence").json()
    assert [a["record"]["version"] for a in evidence["acceptances"]] == ["1", "2"]
    assert _api(site, "GET", "/api/customers/zz/evidence").status_code == 404
    assert _api(site, "GET", "/api/ledger/verify").json()["ok"] is True
    created = _api(
        site, "POST", "/api/acceptances", json={"customer": "c1", "policy": POLICY, "version": "2"}
    )
    assert created.status_code == 201 and created.json()["record"]["method"] == "api"
    again = _api(
        site, "POST", "/api/acceptances", json={"customer": "c1", "policy": POLICY, "version": "2"}
    )
    assert again.status_code == 200 and again.json()["created"] is False
    bad = _api(site, "POST", "/api/acceptances", json={"customer": "c1"})
    assert bad.status_code == 400
    assert (
        _api(
            site,
            "POST",
            "/api/acceptances",
            json={"customer": "zz", "policy": POLICY, "version": "2"},
        ).status_code
        == 404
    )


def test_api_disabled_without_a_token(database_url: str, tmp_path: Path) -> None:
    made = make_site(database_url, tmp_path, PUBLISHER_API_TOKEN="")
    try:
        response = made.client.get("/api/reports/acceptance", headers={"authorization": "Bearer "})
        assert response.status_code == 404 and "set api_token" in response.json()["error"]
    finally:
        made.client.close()
        made.database.dispose()


def test_database_outage_is_a_503_page_and_records_nothing(site: Site) -> None:
    link = site.link()
    page = site.client.get(link)
    form = {"csrf": csrf_of(page.text), "accept": "yes"}
    site.database.engine.dispose()
    with site.database.engine.begin() as connection:  # make every query fail
        connection.execute(text("ALTER TABLE acceptances RENAME TO acceptances_away"))
    try:
        response = site.client.post(link, data=form, follow_redirects=False)
        assert response.status_code == 503
        assert "nothing was recorded" in response.text
        assert response.headers["x-frame-options"] == "DENY"
        api = site.client.get(
            "/api/ledger/verify", headers={"authorization": f"Bearer {API_TOKEN}"}
        )
        assert api.status_code == 503 and "unavailable" in api.json()["error"]
    finally:
        with site.database.engine.begin() as connection:
            connection.execute(text("ALTER TABLE acceptances_away RENAME TO acceptances"))
    assert records(site.database, customer_id="c2", version="2") == []
