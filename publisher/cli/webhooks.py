"""``publisher webhooks``: outbound webhook endpoints, their outbox and the dispatcher."""

from __future__ import annotations

import click

from publisher.cli.app import FORMAT_OPTION, App, echo_json, echo_table, pass_app
from publisher.cli.db import database_url_option, notify, open_database
from publisher.counting import counted
from publisher.errors import PublisherError
from publisher.store.models import utcnow
from publisher.webhooks.dispatch import DispatchOptions, DispatchReport, dispatch_once, send_ping
from publisher.webhooks.dispatch import watch as watch_loop
from publisher.webhooks.endpoints import (
    add_endpoint,
    check_endpoint,
    get_endpoint,
    list_endpoints,
    remove_endpoint,
    set_enabled,
)
from publisher.webhooks.events import EVENT_TYPES
from publisher.webhooks.outbox import WebhookState, recent_problems, state_counts
from publisher.webhooks.outbox import retry_failed as requeue_failed

TIMEOUT_OPTION = click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 300),
    help="Seconds to wait for the receiver's answer.",
)


@click.group("webhooks")
def webhooks_group() -> None:
    """Outbound webhooks: signed POSTs to your endpoints on every acceptance and notice
    delivery event, retried until delivered (see docs/acceptance.md, Outbound webhooks)."""


@webhooks_group.command("add")
@click.argument("url")
@click.option(
    "--events",
    metavar="TYPES",
    default=None,
    help=f"Comma-separated event types ({', '.join(EVENT_TYPES)}); default: all.",
)
@click.option(
    "--secret",
    default=None,
    help="The signing secret (at least 16 characters); default: a random whsec_… one.",
)
@database_url_option
@FORMAT_OPTION
@pass_app
def add_command(
    app: App, url: str, events: str | None, secret: str | None, database_url: str | None, fmt: str
) -> None:
    """Add an endpoint: it receives the events that happen from now on. The signing secret
    is printed once here; receivers verify every request with it."""
    check_endpoint(url, events=events, secret=secret)
    with open_database(app, database_url) as database:
        endpoint = add_endpoint(database, url, events=events, secret=secret)
    if fmt == "json":
        echo_json(endpoint.to_dict(secret=True))
        return
    click.echo(f"endpoint {endpoint.id}: {endpoint.url} ({endpoint.events})")
    click.echo(f"secret: {endpoint.secret}")


@webhooks_group.command("list")
@database_url_option
@FORMAT_OPTION
@pass_app
def list_command(app: App, database_url: str | None, fmt: str) -> None:
    """List the endpoints (secrets masked)."""
    with open_database(app, database_url, create=False) as database:
        endpoints = list_endpoints(database)
    if fmt == "json":
        echo_json({"endpoints": [e.to_dict() for e in endpoints]})
        return
    if not endpoints:
        click.echo("no webhook endpoints (add one with `publisher webhooks add URL`)")
        return
    echo_table(
        ["id", "url", "events", "enabled", "secret"],
        [
            [str(e.id), e.url, e.events, "yes" if e.enabled else "paused", e.masked_secret]
            for e in endpoints
        ],
    )


@webhooks_group.command("remove")
@click.argument("endpoint_id", metavar="ENDPOINT", type=int)
@database_url_option
@FORMAT_OPTION
@pass_app
def remove_command(app: App, endpoint_id: int, database_url: str | None, fmt: str) -> None:
    """Remove an endpoint and its outbox rows (events not yet delivered are dropped)."""
    with open_database(app, database_url, create=False) as database:
        dropped = remove_endpoint(database, endpoint_id)
    if fmt == "json":
        echo_json({"removed": endpoint_id, "dropped": dropped})
        return
    waiting = dropped.get(WebhookState.PENDING, 0) + dropped.get(WebhookState.SENDING, 0)
    note = f"; {counted(waiting, 'undelivered event')} dropped" if waiting else ""
    click.echo(f"endpoint {endpoint_id} removed{note}")


def _toggle(enabled: bool) -> click.Command:
    name = "enable" if enabled else "disable"

    @click.command(name)
    @click.argument("endpoint_id", metavar="ENDPOINT", type=int)
    @database_url_option
    @pass_app
    def toggle(app: App, endpoint_id: int, database_url: str | None) -> None:
        with open_database(app, database_url, create=False) as database:
            endpoint = set_enabled(database, endpoint_id, enabled)
        click.echo(f"endpoint {endpoint.id} {'enabled' if endpoint.enabled else 'paused'}")

    toggle.help = (
        "Resume sending to an endpoint (what was queued meanwhile is sent)."
        if enabled
        else "Pause an endpoint: its events are still queued, none is sent until enabled."
    )
    return toggle


webhooks_group.add_command(_toggle(True))
webhooks_group.add_command(_toggle(False))


@webhooks_group.command("test")
@click.argument("endpoint_id", metavar="ENDPOINT", type=int)
@TIMEOUT_OPTION
@database_url_option
@FORMAT_OPTION
@pass_app
def test_command(
    app: App, endpoint_id: int, timeout: float, database_url: str | None, fmt: str
) -> None:
    """Send a signed ping event to an endpoint now and print its answer (exit 1 unless
    it answers 2xx). Nothing is queued or retried."""
    with open_database(app, database_url, create=False) as database:
        endpoint = get_endpoint(database, endpoint_id)
    identifier, answer = send_ping(endpoint, timeout=timeout)
    if fmt == "json":
        echo_json(
            {
                "endpoint": endpoint.id,
                "url": endpoint.url,
                "event_id": identifier,
                "ok": answer.ok,
                "status": answer.status,
                "error": answer.error,
                "body": answer.body,
                "seconds": round(answer.seconds, 3),
            }
        )
    else:
        status = f"HTTP {answer.status}" if answer.status is not None else "no answer"
        click.echo(f"ping {identifier} to {endpoint.url}: {status} in {answer.seconds:.2f} s")
        if answer.error:
            click.echo(f"error: {answer.error}")
        if answer.body:
            click.echo(answer.body)
    if not answer.ok:
        raise SystemExit(1)


@webhooks_group.command("status")
@click.option("--limit", default=10, show_default=True, help="Recent problems shown.")
@database_url_option
@FORMAT_OPTION
@pass_app
def status_command(app: App, limit: int, database_url: str | None, fmt: str) -> None:
    """Outbox rows by endpoint and state, and the latest failures and pending retries."""
    with open_database(app, database_url, create=False) as database:
        counts = state_counts(database)
        problems = recent_problems(database, limit=limit)
        urls = {e.id: e.url for e in list_endpoints(database)}
    if fmt == "json":
        echo_json(
            {
                "endpoints": [
                    {"id": e, "url": urls.get(e), "counts": c} for e, c in sorted(counts.items())
                ],
                "problems": [p.to_dict() for p in problems],
            }
        )
        return
    if not counts:
        click.echo("no webhook endpoints")
        return
    states = list(WebhookState)
    echo_table(
        ["endpoint", "url", *states],
        [
            [str(e), urls.get(e, "?"), *(str(c[s]) for s in states)]
            for e, c in sorted(counts.items())
        ],
    )
    if problems:
        click.echo("\nrecent problems:")
        for p in problems:
            when = (
                ""
                if p.state == WebhookState.FAILED
                else f", next try {p.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
            )
            click.echo(
                f"  endpoint {p.endpoint_id} {p.event_type} {p.event_id}: {p.state} after "
                f"{counted(p.attempts, 'attempt')}{when}: {p.last_error}"
            )


def _summary(report: DispatchReport) -> str:
    return (
        f"{report.queued} queued, {report.delivered} delivered, {report.retried} to retry, "
        f"{report.failed} failed"
    )


def _echo_busy_pass(report: DispatchReport) -> None:
    if report.queued or report.delivered or report.retried or report.failed:
        click.echo(_summary(report))


@webhooks_group.command("dispatch")
@click.option(
    "--watch", is_flag=True, help="Keep dispatching (a pass every --interval) until Ctrl-C."
)
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds between passes with --watch.",
)
@click.option(
    "--max-attempts",
    default=10,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Attempts per delivery before it is failed.",
)
@click.option(
    "--backoff",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0, 86400),
    help="Seconds before the first retry; doubled after each attempt (with jitter).",
)
@click.option(
    "--batch-size",
    default=20,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Deliveries claimed at once.",
)
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Requests in flight at once.",
)
@click.option(
    "--retry-failed", is_flag=True, help="Give failed deliveries a new round of attempts first."
)
@TIMEOUT_OPTION
@database_url_option
@FORMAT_OPTION
@pass_app
def dispatch_command(
    app: App,
    watch: bool,
    interval: float,
    max_attempts: int,
    backoff: float,
    batch_size: int,
    concurrency: int,
    retry_failed: bool,
    timeout: float,
    database_url: str | None,
    fmt: str,
) -> None:
    """Queue new acceptances and send every due delivery (one pass, or --watch). Safe to
    run in several processes at once; a killed run is resumed by the next one."""
    if watch and fmt == "json":
        raise PublisherError("--watch prints a line per pass; leave out --format json")
    options = DispatchOptions(
        max_attempts=max_attempts,
        timeout=timeout,
        batch_size=batch_size,
        concurrency=concurrency,
        backoff_base=backoff,
    )
    with open_database(app, database_url) as database:
        if retry_failed:
            notify(
                f"{counted(requeue_failed(database, now=utcnow()), 'failed delivery', 'failed deliveries')} queued again"
            )
        if watch:
            notify(f"dispatching webhooks every {interval:g} s (Ctrl-C stops)")
            watch_loop(
                database,
                options=options,
                interval=interval,
                on_pass=_echo_busy_pass,
            )
            return
        report = dispatch_once(database, options=options)
    if fmt == "json":
        echo_json(report.to_dict())
        return
    click.echo(_summary(report))
    for error in report.errors[:10]:
        click.echo(f"  {error}", err=True)


COMMANDS = [webhooks_group]
