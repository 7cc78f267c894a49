"""Two `publisher web` services on one PostgreSQL, killed (SIGKILL) at random while clients
accept: no acknowledged acceptance is lost, none is recorded twice, the chain stays intact.

Bounded: 20 kills, 0.1–0.5 s apart, each of a service that is serving (restarted at once,
not waited for); the clients retry what was not answered, as a browser's user would.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import store_support as support
from server_support import free_port

from publisher.config import load_settings
from publisher.links import LinkClaims, LinkSigner
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.ledger import records, verify_chain
from publisher.web.security import CSRF_COOKIE, csrf_field, new_nonce

KEY = "crash-test-key-0123456789abcdef0"
POLICY = "acceptable-use"
KILLS = 20
CUSTOMERS = 3000


class Service:
    """One `publisher web` process (one worker) on a fixed port, restartable."""

    def __init__(self, url: str, root: Path) -> None:
        self.url, self.root, self.port = url, root, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "publisher",
                "-C",
                str(self.root),
                "web",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--no-sync",
                "--database-url",
                self.url,
            ],
            env={**os.environ, "PUBLISHER_SECRET_KEY": KEY},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def ready(self) -> bool:
        assert self.process is not None and self.process.poll() is None, "publisher web exited"
        try:
            return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while not self.ready():
            assert time.monotonic() < deadline, "publisher web did not start in 60 s"
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _post(client: httpx.Client, base: str, token: str) -> int:
    nonce = new_nonce()
    response = client.post(
        f"{base}/a/{token}",
        content=urllib.parse.urlencode({"csrf": csrf_field([KEY], token, nonce), "accept": "yes"}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{CSRF_COOKIE}={nonce}",
        },
        timeout=10,
    )
    return response.status_code


@pytest.fixture
def postgres_url(tmp_path: Path) -> Iterator[str]:
    yield from support.make_database_url("postgresql", tmp_path)  # skips without a server


def test_killing_two_services_at_random_loses_and_duplicates_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    url = postgres_url
    settings = load_settings(tmp_path, env={}, overrides={"database_url": url})
    database = migrate.open_store(settings)
    support.seed(database)
    import_customers(
        database,
        [CustomerRow(10 + i, f"k{i}", f"k{i}@example.com", f"K {i}", "") for i in range(CUSTOMERS)],
    )
    signer = LinkSigner([KEY])
    services = [Service(url, tmp_path), Service(url, tmp_path)]
    acknowledged: set[str] = set()
    interrupted = 0
    pending = [f"k{i}" for i in range(CUSTOMERS)]
    lock = threading.Lock()
    done = threading.Event()
    rng = random.Random(19)

    def client() -> None:
        nonlocal interrupted
        with httpx.Client() as http:
            while True:
                with lock:
                    if not pending or done.is_set():
                        return
                    customer = pending.pop()
                token = signer.sign(LinkClaims(customer, POLICY, "2"))
                while True:  # until answered: a started acceptance is always finished
                    try:
                        status = _post(http, random.choice(services).base, token)
                    except httpx.TransportError:
                        status = 0
                    if status == 303:
                        with lock:
                            acknowledged.add(customer)
                        break
                    with lock:  # killed mid-request, or not up yet: try again
                        interrupted += 1
                    time.sleep(0.02)

    try:
        for service in services:
            service.launch()
        for service in services:
            service.wait_ready()
        clients = [threading.Thread(target=client) for _ in range(6)]
        for thread in clients:
            thread.start()
        kills, deadline = 0, time.monotonic() + 600
        while kills < KILLS:  # kill one that is serving; do not wait for its restart
            assert time.monotonic() < deadline, f"only {kills} kills in 600 s"
            time.sleep(rng.uniform(0.1, 0.5))
            serving = [service for service in services if service.ready()]
            if serving:
                victim = rng.choice(serving)
                victim.kill()
                victim.launch()
                kills += 1
        for service in services:
            service.wait_ready()
        done.set()
        for thread in clients:
            thread.join(120)
            assert not thread.is_alive()
    finally:
        for service in services:
            service.stop()
    stored = records(database)
    customers = [r.customer_id for r in stored]
    assert len(customers) == len(set(customers)), "an acceptance was recorded twice"
    assert acknowledged <= set(customers), "an acknowledged acceptance was lost"
    assert [r.seq for r in stored] == list(range(1, len(stored) + 1))
    result = verify_chain(database)
    assert result.ok, result.problems
    assert len(acknowledged) > 0 and interrupted > 0  # traffic ran, and kills broke some
    database.dispose()
