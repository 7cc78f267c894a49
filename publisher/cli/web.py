"""``publisher web``: run the acceptance service."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from publisher.background import Background
from publisher.cli.app import App, pass_app
from publisher.cli.db import database_url_option, notify, open_database, store_settings
from publisher.config import Settings
from publisher.counting import counted
from publisher.errors import GitError, PublisherError
from publisher.links import secret_keys
from publisher.store.db import Database
from publisher.store.versions import sync_versions


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (they share nothing but the database).",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log every request (the URLs contain acceptance tokens: protect the logs).",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds a client has to send a request's headers (then 408 and close).",
)
@click.option(
    "--body-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds to wait for the next part of a request body (then 408).",
)
@click.option(
    "--no-sync",
    is_flag=True,
    help="Do not copy policy versions from git first (hosts without a checkout).",
)
@click.option(
    "--webhooks",
    is_flag=True,
    help="Also dispatch outbound webhooks, in a background thread (like `publisher webhooks "
    "dispatch --watch` with its defaults).",
)
@click.option(
    "--no-receipts",
    is_flag=True,
    help='With the setting receipts = "email": do not send receipt emails from this process '
    "(when a timer runs `publisher notice receipts` instead).",
)
@database_url_option
@pass_app
def web_command(
    app: App,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    header_timeout: float,
    body_timeout: float,
    no_sync: bool,
    webhooks: bool,
    no_receipts: bool,
    database_url: str | None,
) -> None:
    """Run the acceptance service: link pages (/a/<token>), receipts, /healthz, /readyz and
    the JSON API (/api/…, Authorization: Bearer <api_token>)."""
    from publisher.web.server import serve

    check_can_listen(host, port)
    settings = store_settings(app, database_url)
    with open_database(app, database_url) as database:
        if not no_sync:
            try:
                result = sync_versions(database, settings)
                notify(
                    f"policy versions: {result.added} added, {result.updated} updated, "
                    f"{result.unchanged} unchanged"
                )
            except GitError as exc:
                notify(
                    f"note: policy versions not read from git ({exc.message}); "
                    "serving the versions already in the store"
                )
    secret_keys(settings, warn=notify)  # generate once here, before the workers start
    notify(
        f"acceptance service on http://{host}:{port} ({counted(workers, 'worker')}); "
        f"links use {settings.accept_url}"
    )
    receipts = settings.receipts == "email" and not no_receipts
    with (
        background_webhooks(app, database_url, enabled=webhooks),
        background_receipts(app, database_url, settings, enabled=receipts),
    ):
        serve(
            settings,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
        )


@contextmanager
def background_webhooks(app: App, database_url: str | None, *, enabled: bool) -> Iterator[None]:
    """The webhook dispatcher in a daemon thread while the block runs (when ``enabled``); a
    failing pass is logged and retried, never fatal to the service."""
    from publisher.webhooks.dispatch import background_dispatcher

    with _in_background(
        app,
        database_url,
        enabled,
        background_dispatcher,
        "dispatching outbound webhooks in the background",
    ):
        yield


@contextmanager
def background_receipts(
    app: App, database_url: str | None, settings: Settings, *, enabled: bool
) -> Iterator[None]:
    """The receipt emails of new acceptances, sent from a daemon thread while the block runs
    (when ``enabled``); a failing pass is logged and retried, never fatal to the service."""
    from publisher.notices.receipt_watch import background_receipts as receipts_thread

    with _in_background(
        app,
        database_url,
        enabled,
        lambda database: receipts_thread(database, settings),
        f"sending receipt emails in the background (mailer {settings.mailer})",
    ):
        yield


@contextmanager
def _in_background(
    app: App,
    database_url: str | None,
    enabled: bool,
    make: Callable[[Database], Background],
    message: str,
) -> Iterator[None]:
    """``make(database)`` started on a store of its own while the block runs, when
    ``enabled``; stopped after it."""
    if not enabled:
        yield
        return
    with open_database(app, database_url) as database:
        loop = make(database).start()
        notify(message)
        try:
            yield
        finally:
            loop.stop()


def check_can_listen(host: str, port: int) -> None:
    """Fail with one line and a hint, before anything starts, when ``host:port`` cannot be
    listened on (in use, not an address of this machine, a privileged port); port 0 (any
    free port) is left to the server."""
    if port == 0:
        return
    where = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PublisherError(
            f"cannot listen on {where}: {exc.strerror}",
            hint="pass --host with an address or name of this machine",
        ) from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PublisherError(
                    f"cannot listen on {where}: the port is in use",
                    hint=f"stop the other server on port {port} (e.g. `ss -ltnp 'sport = {port}'`"
                    " shows it) or pass --port with a free port",
                ) from exc
            if exc.errno == errno.EACCES:
                raise PublisherError(
                    f"cannot listen on {where}: permission denied",
                    hint="ports below 1024 need privileges: pass --port 1024 or above and put "
                    "a reverse proxy in front",
                ) from exc
            raise PublisherError(
                f"cannot listen on {where}: {exc.strerror}",
                hint="pass --host with an address of this machine "
                "(127.0.0.1, 0.0.0.0 for every one)",
            ) from exc


COMMANDS = [web_command]
