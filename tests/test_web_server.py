"""The acceptance service as it runs: `publisher web` with two worker processes, on SQLite and
PostgreSQL, hit by concurrent clients; plus the client-IP rules behind proxies."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from server_support import Server, start_server, stop_server

from publisher.store.ledger import records, verify_chain
from publisher.web.security import ProxyPolicy, client_ip


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(database_url, tmp_path, PUBLISHER_TRUSTED_PROXY_HEADER="X-Forwarded-For")
    try:
        yield running
    finally:
        stop_server(running)


def open_form(link: str) -> tuple[dict[str, str], dict[str, str]]:
    """GET the page like a browser: its cookie and its form fields."""
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return dict(page.cookies), {"csrf": found.group(1), "accept": "yes"}


def test_fifty_concurrent_posts_for_one_link_give_one_record(server: Server) -> None:
    link = server.link("p0")
    cookies, form = open_form(link)
    barrier = threading.Barrier(50)

    def post(_: int) -> tuple[int, str]:
        with httpx.Client(cookies=cookies, timeout=30) as client:
            barrier.wait()
            response = client.post(link, data=form)
            return response.status_code, response.headers.get("location", "")

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(post, range(50)))
    assert {status for status, _ in results} == {303}
    fresh = [location for _, location in results if not location.endswith("?again=1")]
    assert len(fresh) == 1  # exactly one request created the record; 49 were told "already"
    assert len(records(server.database, customer_id="p0")) == 1
    assert verify_chain(server.database).ok


def test_customers_accepting_concurrently_keep_one_intact_chain(server: Server) -> None:
    customers = [f"p{i}" for i in range(1, 31)]
    links = {c: server.link(c) for c in customers}
    forms = {c: open_form(links[c]) for c in customers}
    barrier = threading.Barrier(len(customers))

    def post(customer: str) -> int:
        cookies, form = forms[customer]
        with httpx.Client(cookies=cookies, timeout=30) as client:
            barrier.wait()
            return client.post(links[customer], data=form).status_code

    with ThreadPoolExecutor(len(customers)) as pool:
        assert set(pool.map(post, customers)) == {303}
    stored = records(server.database)
    assert sorted(r.customer_id for r in stored) == sorted(customers)
    assert [r.seq for r in stored] == list(range(1, len(customers) + 1))
    result = verify_chain(server.database)
    assert result.ok, result.problems


def test_client_ip_from_the_trusted_proxy_header(server: Server) -> None:
    link = server.link("p5")
    cookies, form = open_form(link)
    response = httpx.post(
        link, data=form, cookies=cookies, headers={"X-Forwarded-For": "198.51.100.77, 203.0.113.9"}
    )
    assert response.status_code == 303
    (record,) = records(server.database, customer_id="p5")
    assert record.ip == "203.0.113.9"  # the rightmost hop the trusted proxy (127.0.0.1) saw


def test_without_the_setting_the_header_is_ignored(database_url: str, tmp_path: Path) -> None:
    running = start_server(database_url, tmp_path, workers=1)
    try:
        link = running.link("p6")
        cookies, form = open_form(link)
        httpx.post(link, data=form, cookies=cookies, headers={"X-Forwarded-For": "203.0.113.9"})
        (record,) = records(running.database, customer_id="p6")
        assert record.ip == "127.0.0.1"
    finally:
        stop_server(running)


def _policy(*proxies: str) -> ProxyPolicy:
    return ProxyPolicy.parse("X-Forwarded-For", proxies)


@pytest.mark.parametrize(
    ("peer", "header", "proxies", "expected"),
    [
        ("192.0.2.1", "203.0.113.9", ("10.0.0.0/8",), "192.0.2.1"),  # peer not trusted
        ("10.0.0.5", "203.0.113.9", ("10.0.0.0/8",), "203.0.113.9"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", ("10.0.0.0/8",), "203.0.113.9"),  # left is forgeable
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", ("10.0.0.0/8",), "203.0.113.9"),  # two proxies
        ("10.0.0.5", "203.0.113.9:4711", ("10.0.0.0/8",), "203.0.113.9"),
        ("10.0.0.5", "[2001:db8::1]:443", ("10.0.0.0/8",), "2001:db8::1"),
        ("10.0.0.5", "not-an-ip", ("10.0.0.0/8",), "10.0.0.5"),
        ("10.0.0.5", None, ("10.0.0.0/8",), "10.0.0.5"),
        ("::1", "203.0.113.9", ("::1",), "203.0.113.9"),
    ],
)
def test_client_ip_rules(
    peer: str, header: str | None, proxies: tuple[str, ...], expected: str
) -> None:
    headers = [(b"x-forwarded-for", header.encode())] if header else []
    assert client_ip(peer, headers, _policy(*proxies)) == expected


def test_no_header_setting_means_the_socket_peer() -> None:
    policy = ProxyPolicy.parse("", ["10.0.0.0/8"])
    assert client_ip("10.0.0.5", [(b"x-forwarded-for", b"203.0.113.9")], policy) == "10.0.0.5"


def test_malformed_trusted_proxies() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300' is not an IP address or network"):
        ProxyPolicy.parse("X-Forwarded-For", ["10.0.0.300"])
