"""``publisher webhooks …`` end to end (a real receiver on 127.0.0.1), ``publisher web
--webhooks`` dispatching in the background, and docs/acceptance.md covering every command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import server_support as web_support
import store_support as support
from click.testing import CliRunner, Result
from webhook_receiver import Receiver

from publisher.cli import command, main
from publisher.store import migrate
from publisher.store.db import Database
from publisher.store.ledger import record_acceptance
from publisher.webhooks import verify_signature

DOC = (Path(__file__).resolve().parents[1] / "docs" / "acceptance.md").read_text()


@pytest.fixture
def store_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    db = Database.from_url(database_url, root=tmp_path)
    migrate.ensure_schema(db)
    support.seed(db)
    db.dispose()
    yield database_url


def run(root: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), "webhooks", *args, "--database-url", url])


def accept(url: str, root: Path, customer: str) -> None:
    with Database.from_url(url, root=root) as db:
        record_acceptance(
            db, customer_id=customer, policy="acceptable-use", version="1", method="link"
        )


def test_add_list_test_dispatch_status_remove(store_url: str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        added = run(tmp_path, store_url, "add", receiver.url, "--format", "json")
        assert added.exit_code == 0, added.output
        endpoint = json.loads(added.stdout)
        assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["*"]
        listed = run(tmp_path, store_url, "list")
        assert receiver.url in listed.stdout and endpoint["secret"] not in listed.stdout
        ping = run(tmp_path, store_url, "test", str(endpoint["id"]))
        assert ping.exit_code == 0, ping.output
        assert "HTTP 200" in ping.stdout and '{"ok":true}' in ping.stdout
        (request,) = receiver.wait_for(1)
        assert json.loads(request.body)["type"] == "ping"
        verify_signature(endpoint["secret"], request.body, request.headers["Publisher-Signature"])
        accept(store_url, tmp_path, "c1")
        dispatched = run(tmp_path, store_url, "dispatch", "--format", "json")
        assert dispatched.exit_code == 0, dispatched.output
        report = json.loads(dispatched.stdout)
        assert (report["queued"], report["delivered"]) == (1, 1)
        status = run(tmp_path, store_url, "status", "--format", "json")
        assert json.loads(status.stdout)["endpoints"][0]["counts"]["delivered"] == 1
        removed = run(tmp_path, store_url, "remove", str(endpoint["id"]))
        assert removed.exit_code == 0 and "endpoint 1 removed" in removed.stdout
        assert "no webhook endpoints" in run(tmp_path, store_url, "list").stdout


def test_a_failing_endpoint_shows_in_status_and_test_exits_1(
    store_url: str, tmp_path: Path
) -> None:
    with Receiver(default=500) as receiver:
        run(tmp_path, store_url, "add", receiver.url, "--events", "acceptance.created")
        ping = run(tmp_path, store_url, "test", "1", "--format", "json")
        assert ping.exit_code == 1
        assert json.loads(ping.stdout)["status"] == 500
        accept(store_url, tmp_path, "c1")
        dispatched = run(tmp_path, store_url, "dispatch", "--max-attempts", "2", "--backoff", "0")
        assert "0 delivered, 1 to retry, 1 failed" in dispatched.stdout
        assert "HTTP 500" in dispatched.stderr
        status = run(tmp_path, store_url, "status")
        assert "failed after 2 attempts" in status.stdout
        assert "gave up after 2 attempts: HTTP 500" in status.stdout
        receiver.default = 200
        again = run(tmp_path, store_url, "dispatch", "--retry-failed")
        assert "1 failed delivery queued again" in again.stderr
        assert "1 delivered" in again.stdout


def test_pause_and_resume(store_url: str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        run(tmp_path, store_url, "add", receiver.url)
        assert "endpoint 1 paused" in run(tmp_path, store_url, "disable", "1").stdout
        accept(store_url, tmp_path, "c1")
        assert "0 delivered" in run(tmp_path, store_url, "dispatch").stdout
        assert "paused" in run(tmp_path, store_url, "list").stdout
        assert "endpoint 1 enabled" in run(tmp_path, store_url, "enable", "1").stdout
        assert "1 delivered" in run(tmp_path, store_url, "dispatch").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "ftp://example.com/x"), "invalid webhook URL"),
        (("add", "https://example.com/x", "--events", "acceptance"), "unknown event type"),
        (("test", "7"), "no webhook endpoint 7"),
        (("remove", "7"), "no webhook endpoint 7"),
        (("dispatch", "--watch", "--format", "json"), "leave out --format json"),
    ],
)
def test_bad_input_is_one_line_without_a_traceback(
    store_url: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(tmp_path, store_url, *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_a_bad_url_creates_no_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / '.publisher' / 'new.db'}"
    result = run(tmp_path, url, "add", "gopher://example.com/x")
    assert result.exit_code == 2 and "invalid webhook URL" in result.stderr
    assert not (tmp_path / ".publisher" / "new.db").exists()


def test_the_web_service_dispatches_webhooks_in_the_background(
    database_url: str, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        server = web_support.start_server(database_url, tmp_path, workers=1, args=("--webhooks",))
        try:
            result = run(tmp_path, database_url, "add", receiver.url)
            assert result.exit_code == 0, result.output
            record_acceptance(
                server.database,
                customer_id="c2",
                policy="acceptable-use",
                version="2",
                method="link",
            )
            (request,) = receiver.wait_for(1, timeout=60)
            assert json.loads(request.body)["data"]["customer_id"] == "c2"
        finally:
            web_support.stop_server(server)


def _commands() -> list[tuple[str, click.Command]]:
    group = command("webhooks")
    assert isinstance(group, click.Group)
    return [(f"webhooks {name}", sub) for name, sub in group.commands.items()]


@pytest.mark.parametrize(("name", "cmd"), _commands(), ids=lambda v: str(v))
def test_every_webhooks_command_and_option_is_documented(name: str, cmd: click.Command) -> None:
    assert f"publisher {name}" in DOC
    for parameter in cmd.params:
        for option in getattr(parameter, "opts", []):
            if option.startswith("--") and option not in ("--help", "--database-url"):
                assert option in DOC, f"{name} {option} is not in docs/acceptance.md"


def test_web_webhooks_and_the_verify_function_are_documented() -> None:
    assert "--webhooks" in DOC and "publisher.webhooks.verify_signature" in DOC
    assert "## Outbound webhooks" in DOC
