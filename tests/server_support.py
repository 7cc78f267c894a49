"""Helpers shared by the tests that run the acceptance service as it runs: `publisher web` in
a subprocess on a seeded store (:func:`start_server`), stopped by :func:`stop_server`."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import store_support as support
from web_process import free_port, launch_web, stop_web

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
    process, base = launch_web(
        root, url, workers=workers, args=args, env={"PUBLISHER_SECRET_KEY": KEY, **env}
    )
    return Server(base, database, LinkSigner([KEY]), process)


def stop_server(server: Server) -> None:
    stop_web(server.process)
    server.database.dispose()
