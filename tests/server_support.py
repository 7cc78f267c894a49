"""Helpers shared by the tests that run the acceptance service as it runs: `publisher web` in
a subprocess on a seeded store (:func:`start_server`), stopped by :func:`stop_server`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import store_support as support
from live_server import free_port

from publisher.config import load_settings
from publisher.links import LinkClaims, LinkSigner
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database

__all__ = ["API_TOKEN_ENV", "KEY", "POLICY", "Server", "free_port", "start_server", "stop_server"]

KEY = "server-test-key-0123456789abcdef"
API_TOKEN_ENV = {"PUBLISHER_API_TOKEN": "server-test-api-token"}
POLICY = "acceptable-use"


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
