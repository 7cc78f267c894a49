"""The acceptance service as it runs: `publisher web` with two worker processes, on SQLite and
PostgreSQL, hit by concurrent clients; plus the client-IP rules behind proxies."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import test_store_support as support

from publisher.config import load_settings
from publisher.links import LinkClaims, LinkSigner
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import records, verify_chain
from publisher.web.security import ProxyPolicy, client_ip

database_url = support.database_url  # fixture

KEY = "server-test-key-0123456789abcdef"
API_TOKEN_ENV = {"PUBLISHER_API_TOKEN": "server-test-api-token"}
POLICY = "acceptable-use"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    database: Database
    signer: LinkSigner
    process: subprocess.Popen[bytes]

    def link(self, customer: str, version: str = "2") -> str:
        return f"{self.base}/a/" + self.signer.sign(LinkClaims(customer, POLICY, version))


def start_server(
    url: str, root: Path, *, workers: int = 2, args: tuple[str, ...] = (), **env: str
) -> Server:
    """Seed the store, run `publisher web` in a subprocess and wait until it answers."""
    settings = load_settings(root, env={}, overrides={"database_url": url})
    database = migrate.open_store(settings)
    support.seed(database)
    import_customers(
        database,
        [CustomerRow(10 + i, f"p{i}", f"p{i}@example.com", f"P {i}", "") for i in range(40)],
    )
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(root),
            "web",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-sync",
            "--database-url",
            url,
            *args,
        ],
        env={**os.environ, "PUBLISHER_SECRET_KEY": KEY, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # generous: the shared machine can be very loaded
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"publisher web exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("publisher web did not start in 90 s")
        time.sleep(0.1)
    return Server(base, database, LinkSigner([KEY]), process)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
    server.database.dispose()


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
