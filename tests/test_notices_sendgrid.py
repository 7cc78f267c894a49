"""The outbox with the sendgrid mailer against the local SendGrid-compatible server: batches,
custom_args and links, 429 and 5xx retried, 400 kept as failed, bad keys, lost answers
(unknown) and settling them, Ctrl-C, the send lock and recovery after a crash."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import notices_support as support
import pytest
from sendgrid_server import Faults, SendGridServer, read_records, validate
from sqlalchemy import text, update

from publisher.links import signer_for
from publisher.notices import campaign, runner, status
from publisher.notices.mailers import make_mailer
from publisher.notices.mailers.base import Batch, BatchResult, Mailer, Recipient
from publisher.notices.outbox import SendOptions, SendReport, claim, send_notice
from publisher.notices.render import NoticeRenderer
from publisher.notices.sendlock import send_lock
from publisher.store.models import Notice, utcnow

API_KEY = "SG.test-key"


@pytest.fixture
def record(tmp_path: Path) -> Path:
    return tmp_path / "sent.jsonl"


def sendgrid_env(server: SendGridServer | str, **extra: str) -> dict[str, str]:
    url = server if isinstance(server, str) else server.url
    return {
        "PUBLISHER_SENDGRID_HOST": url,
        "PUBLISHER_SENDGRID_API_KEY": API_KEY,
        "PUBLISHER_MAIL_TIMEOUT": "2",
        **extra,
    }


def free_port() -> int:
    """A port nobody listens on (a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(
    setup: support.Setup,
    server: SendGridServer | str,
    *,
    options: SendOptions,
    mailer: Mailer | None = None,
    sleeps: list[float] | None = None,
    **env: str,
) -> SendReport:
    """Send the setup's notice (created if needed) through the sendgrid mailer (at ``server``,
    or a URL where nobody may listen)."""
    settings = support.settings_for(setup.root, setup.url, **sendgrid_env(server, **env))
    notices = campaign.list_notices(setup.database)
    notice = notices[0] if notices else setup.create().notice
    sender = runner.sender_for(settings, mailer="sendgrid")
    chosen = mailer or make_mailer(settings, "sendgrid", now=utcnow)
    with runner.change_source(settings, warn=lambda _: None) as source:
        renderer = runner.renderer_for(
            setup.database, settings, notice, source, sender=sender, warn=lambda _: None
        )
        return send_notice(
            setup.database,
            notice.id,
            chosen,
            renderer,
            sender=sender.address,
            options=options,
            sleep=(sleeps.append if sleeps is not None else lambda _: None),
        )


def states(setup: support.Setup) -> dict[str, str]:
    with setup.database.engine.connect() as connection:
        return dict(
            connection.execute(text("SELECT customer_id, state FROM deliveries ORDER BY id")).all()
        )


def received(record: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in read_records(record):
        counts[line["to"]] = counts.get(line["to"], 0) + 1
    return counts


RECIPIENTS = {"ada@example.com", "bob@example.org", "cy@example.net"}


# -- the fake itself follows the documented rules -----------------------------------------------


def _body(count: int = 1, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "personalizations": [{"to": [{"email": f"r{i}@example.com"}]} for i in range(count)],
        "from": {"email": "legal@northwind.example"},
        "subject": "Hello",
        "content": [{"type": "text/plain", "value": "Hi"}, {"type": "text/html", "value": "<p>Hi"}],
    }
    body.update(changes)
    return body


def test_the_local_server_validates_like_the_api() -> None:
    assert validate(_body(1000)) == []
    assert validate(_body(1001))[0]["field"] == "personalizations"
    assert validate(_body(subject=None))[0]["field"] == "subject"
    html_first = _body(
        content=[{"type": "text/html", "value": "<p>x"}, {"type": "text/plain", "value": "x"}]
    )
    assert "text/plain must be first" in validate(html_first)[0]["message"]
    assert validate(_body(custom_args={"n": 1}))[0]["field"] == "custom_args"
    bad = _body(2)
    bad["personalizations"][1]["to"][0]["email"] = "nobody"  # type: ignore[index]
    assert validate(bad)[0]["field"] == "personalizations.1.to.0.email"


# -- sending ------------------------------------------------------------------------------------


def test_batches_carry_custom_args_and_personal_links(setup: support.Setup, record: Path) -> None:
    with SendGridServer(record=record, api_key=API_KEY) as server:
        report = run(setup, server, options=SendOptions(batch_size=2))
        assert server.stats.requests == 3  # groups never/1/2: one batch each (2 max)
    assert report.sent == 3 and report.counts["sent"] == 3 and report.complete
    lines = read_records(record)
    assert {line["to"] for line in lines} == RECIPIENTS
    notice = campaign.list_notices(setup.database)[0]
    signer = signer_for(setup.settings)
    with setup.database.engine.connect() as connection:
        rows = {
            r.customer_id: r
            for r in connection.execute(
                text("SELECT id, customer_id, email, message_id, batch_id FROM deliveries")
            )
        }
    for line in lines:
        row = next(r for r in rows.values() if r.email == line["to"])
        assert line["custom_args"] == {
            "notice_id": str(notice.id),
            "batch_id": row.batch_id,
            "delivery_id": str(row.id),
        }
        assert row.message_id == line["message_id"]
        link = line["substitutions"]["%%accept_url%%"]
        claims = signer.verify(link.rsplit("/", 1)[1])
        assert (claims.customer, claims.policy, claims.version, claims.notice) == (
            row.customer_id,
            support.POLICY,
            "3",
            notice.id,
        )
    again = run(setup, server_for_nothing(record), options=SendOptions())
    assert again.sent == 0 and again.batches == 0  # resumed: nothing left, nothing re-sent
    assert received(record) == dict.fromkeys(RECIPIENTS, 1)


def server_for_nothing(record: Path) -> SendGridServer:
    """A server that is never started: any request would fail to connect."""
    return SendGridServer(record=record.with_suffix(".unused"))


def test_429_waits_for_the_reset_and_sends_once(setup: support.Setup, record: Path) -> None:
    sleeps: list[float] = []
    faults = Faults(ratelimit_rate=0.6, reset_seconds=2, seed=7)
    with SendGridServer(record=record, faults=faults) as server:
        report = run(setup, server, options=SendOptions(batch_size=1), sleeps=sleeps)
        limited = server.stats.ratelimited
    assert limited > 0 and report.retried == limited
    assert report.counts["sent"] == 3 and received(record) == dict.fromkeys(RECIPIENTS, 1)
    assert len(sleeps) == limited and all(0.5 < s <= 4.0 for s in sleeps)  # the reset, not 0


def test_5xx_is_retried_with_backoff(setup: support.Setup, record: Path) -> None:
    sleeps: list[float] = []
    with SendGridServer(record=record, faults=Faults(fail_rate=0.5, seed=3)) as server:
        report = run(
            setup, server, options=SendOptions(batch_size=1, backoff_base=0.1), sleeps=sleeps
        )
        failed = server.stats.failed
    assert failed > 0 and report.retried == failed and len(sleeps) == failed
    assert received(record) == dict.fromkeys(RECIPIENTS, 1)


# -- an outage: the run stops, every row stays queued -------------------------------------------


def attempts(setup: support.Setup) -> dict[str, int]:
    with setup.database.engine.connect() as connection:
        return dict(
            connection.execute(
                text("SELECT customer_id, attempts FROM deliveries ORDER BY id")
            ).all()
        )


def test_5xx_on_every_try_stops_the_run_with_rows_queued(
    setup: support.Setup, record: Path
) -> None:
    sleeps: list[float] = []
    options = SendOptions(max_attempts=2, backoff_base=0.01)
    with SendGridServer(record=record, faults=Faults(fail_rate=1.0)) as server:
        report = run(setup, server, options=options, sleeps=sleeps)
        tried = server.stats.requests
        again = run(setup, server, options=options, sleeps=sleeps)  # still down: still queued
        server.faults.fail_rate = 0.0
        recovered = run(setup, server, options=options)
    assert tried == options.max_unavailable and len(sleeps) == 2 * (tried - 1)
    assert report.aborted is not None and report.counts["queued"] == 3 and not report.complete
    assert "the provider took none of 4 requests in a row" in report.aborted
    assert "SendGrid 50" in report.aborted and "run the same command again" in report.aborted
    assert again.counts["queued"] == 3 and report.failed == again.failed == 0
    assert set(states(setup).values()) == {"sent"}  # the outage used up no attempts
    assert recovered.complete and received(record) == dict.fromkeys(RECIPIENTS, 1)


def test_a_refused_connection_stops_the_run_with_rows_queued(
    sqlite_setup: support.Setup, record: Path
) -> None:
    sleeps: list[float] = []
    nobody = f"http://127.0.0.1:{free_port()}"
    report = run(sqlite_setup, nobody, options=SendOptions(backoff_base=0.01), sleeps=sleeps)
    assert report.aborted is not None and "connection refused" in report.aborted.lower()
    assert "check sendgrid_host" in report.aborted
    assert report.counts["queued"] == 3 and len(sleeps) == SendOptions().max_unavailable - 1
    assert set(attempts(sqlite_setup).values()) == {0}


def test_the_cli_says_an_outage_stopped_the_run(sqlite_setup: support.Setup) -> None:
    created = sqlite_setup.create()
    env = {
        "PUBLISHER_SENDGRID_HOST": f"http://127.0.0.1:{free_port()}",
        "PUBLISHER_SENDGRID_API_KEY": API_KEY,
    }
    result = sqlite_setup.cli(
        "notice", "send", str(created.notice.id), "--mailer", "sendgrid", env=env
    )
    assert result.exit_code == 3, result.output  # stopped early, rows still queued
    assert "now queued 3" in result.stdout
    stopped = [line for line in result.stderr.splitlines() if line.startswith("stopped: ")]
    assert len(stopped) == 1 and "check sendgrid_host" in stopped[0]
    assert "Traceback" not in result.output


# -- 400: shown, kept failed, nothing lost -----------------------------------------------------


def test_400_names_the_refused_recipient_and_sends_the_others(
    sqlite_setup: support.Setup, record: Path
) -> None:
    created = sqlite_setup.create()
    with SendGridServer(record=record, faults=Faults(reject=r"^bob@")) as server:
        result = sqlite_setup.cli(
            "notice",
            "send",
            str(created.notice.id),
            "--mailer",
            "sendgrid",
            "--batch-size",
            "3",
            env=sendgrid_env(server),
        )
    assert result.exit_code == 1, result.output
    assert "failed 1" in result.stdout and "sent 2" in result.stdout
    assert f"see `publisher notice status {created.notice.id}`" in result.stderr
    assert received(record) == {"ada@example.com": 1, "cy@example.net": 1}
    assert states(sqlite_setup) == {"c1": "sent", "c2": "failed", "c3": "sent"}
    shown = sqlite_setup.cli("notice", "status", str(created.notice.id))
    assert (
        "c2 <bob@example.org>: SendGrid 400: Does not contain a valid address. "
        "(personalizations.0.to.0.email)"
    ) in shown.stdout
    assert f"publisher notice send {created.notice.id} --retry-failed" in shown.stdout


def test_400_for_every_batch_stops_and_keeps_every_row(
    sqlite_setup: support.Setup, record: Path
) -> None:
    created = sqlite_setup.create()
    with SendGridServer(record=record, faults=Faults(reject=r"@")) as server:
        result = sqlite_setup.cli(
            "notice",
            "send",
            str(created.notice.id),
            "--mailer",
            "sendgrid",
            "--batch-size",
            "1",
            env=sendgrid_env(server),
        )
        assert result.exit_code == 1
        assert "SendGrid 400: Does not contain a valid address." in (
            sqlite_setup.cli("notice", "status", str(created.notice.id)).stdout
        )
        assert set(states(sqlite_setup).values()) == {"failed"}
        server.faults.reject = None
        server._reject = None
        retried = sqlite_setup.cli(
            "notice",
            "send",
            str(created.notice.id),
            "--mailer",
            "sendgrid",
            "--retry-failed",
            env=sendgrid_env(server),
        )
    assert retried.exit_code == 0, retried.output
    assert received(record) == dict.fromkeys(RECIPIENTS, 1)


def test_a_wrong_key_stops_the_run_and_keeps_rows_queued(
    sqlite_setup: support.Setup, record: Path
) -> None:
    created = sqlite_setup.create()
    with SendGridServer(record=record, api_key="SG.the-right-one") as server:
        result = sqlite_setup.cli(
            "notice",
            "send",
            str(created.notice.id),
            "--mailer",
            "sendgrid",
            env=sendgrid_env(server),
        )
    assert result.exit_code == 3
    assert "stopped: SendGrid 401: The provided authorization grant is invalid" in result.stderr
    assert "check sendgrid_api_key" in result.stderr
    assert set(states(sqlite_setup).values()) == {"queued"}


def test_missing_sender_or_key_is_a_one_line_error(sqlite_setup: support.Setup) -> None:
    created = sqlite_setup.create()
    no_key = sqlite_setup.cli("notice", "send", str(created.notice.id), "--mailer", "sendgrid")
    assert no_key.exit_code == 2 and "the sendgrid mailer needs an API key" in no_key.stderr
    no_from = sqlite_setup.cli(
        "notice",
        "send",
        str(created.notice.id),
        "--mailer",
        "smtp",
        env={"PUBLISHER_MAIL_FROM": ""},
    )
    assert no_from.exit_code == 2 and "mail_from is not set" in no_from.stderr
    assert set(states(sqlite_setup).values()) == {"queued"}


# -- lost answers: unknown, reported, settled -----------------------------------------------


def test_a_stalled_answer_is_unknown_and_never_resent(
    sqlite_setup: support.Setup, record: Path
) -> None:
    created = sqlite_setup.create()
    notice = str(created.notice.id)
    faults = Faults(stall_rate=1.0, stall_seconds=3)
    with SendGridServer(record=record, faults=faults) as server:
        env = sendgrid_env(server, PUBLISHER_MAIL_TIMEOUT="1")
        first = sqlite_setup.cli("notice", "send", notice, "--mailer", "sendgrid", env=env)
        assert first.exit_code == 1
        again = sqlite_setup.cli("notice", "send", notice, "--mailer", "sendgrid", env=env)
        assert again.exit_code == 1 and "this run sent 0" in again.stdout
    assert received(record) == dict.fromkeys(RECIPIENTS, 1)  # the server got them, once
    assert set(states(sqlite_setup).values()) == {"unknown"}
    found = json.loads(sqlite_setup.cli("notice", "status", notice, "--format", "json").stdout)
    assert found["counts"]["unknown"] == 3
    batches = found["unknown_batches"]
    assert sorted(c for b in batches for c in b["customers"]) == ["c1", "c2", "c3"]
    text_status = sqlite_setup.cli("notice", "status", notice).stdout
    assert "UNKNOWN outcome" in text_status
    assert (
        f"publisher notice settle {notice} --batch {batches[0]['batch']} --as sent|queued"
        in text_status
    )

    settled = sqlite_setup.cli(
        "notice", "settle", notice, "--batch", batches[0]["batch"], "--as", "sent"
    )
    assert settled.exit_code == 0 and "settled as sent" in settled.stdout
    bad = sqlite_setup.cli("notice", "settle", notice, "--batch", "nope", "--as", "sent")
    assert bad.exit_code == 2 and "no rows of unknown outcome in batch 'nope'" in bad.stderr
    requeue = batches[1]["batch"]
    assert (
        sqlite_setup.cli("notice", "settle", notice, "--batch", requeue, "--as", "queued").exit_code
        == 0
    )
    with SendGridServer(record=record) as server:
        resent = sqlite_setup.cli(
            "notice", "send", notice, "--mailer", "sendgrid", env=sendgrid_env(server)
        )
    assert "this run sent 1" in resent.stdout
    counts = received(record)
    assert sum(counts.values()) == 4  # the person chose to send one batch again


# -- interruptions ---------------------------------------------------------------------------


class Interrupting(Mailer):
    """Wraps a real mailer and raises KeyboardInterrupt before or after it sends."""

    name = "sendgrid"

    def __init__(self, inner: Mailer, *, after: bool) -> None:
        self.inner = inner
        self.after = after
        self.max_batch = inner.max_batch

    def send(self, batch: Batch) -> BatchResult:
        if self.after:
            self.inner.send(batch)
        raise KeyboardInterrupt


@pytest.mark.parametrize("after", [False, True])
def test_ctrl_c_during_a_request_makes_its_batch_unknown(
    setup: support.Setup, record: Path, after: bool
) -> None:
    with SendGridServer(record=record) as server:
        settings = support.settings_for(setup.root, setup.url, **sendgrid_env(server))
        inner = make_mailer(settings, "sendgrid", now=utcnow)
        with pytest.raises(KeyboardInterrupt):
            run(
                setup,
                server,
                options=SendOptions(batch_size=5),
                mailer=Interrupting(inner, after=after),
            )
    # Whether or not the request got through, nobody can tell: unknown, never re-sent.
    assert sum(received(record).values()) == (1 if after else 0)
    assert sorted(states(setup).values()) == ["queued", "queued", "unknown"]
    _assert_unlocked(setup)


def _send_paced_until_interrupted(
    setup: support.Setup, record: Path, *, sleep: Callable[[float], None]
) -> None:
    """Send the notice at one recipient a second; ``sleep`` (the pacing wait) interrupts."""
    with SendGridServer(record=record) as server:
        settings = support.settings_for(setup.root, setup.url, **sendgrid_env(server))
        notice = setup.create().notice
        sender = runner.sender_for(settings, mailer="sendgrid")
        with (
            runner.change_source(settings, warn=lambda _: None) as source,
            pytest.raises(KeyboardInterrupt),
        ):
            renderer = runner.renderer_for(
                setup.database, settings, notice, source, sender=sender, warn=lambda _: None
            )
            send_notice(
                setup.database,
                notice.id,
                make_mailer(settings, "sendgrid", now=utcnow),
                renderer,
                sender=sender.address,
                options=SendOptions(rate=1),
                sleep=sleep,
            )


def test_ctrl_c_while_waiting_puts_the_batch_back(setup: support.Setup, record: Path) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    _send_paced_until_interrupted(setup, record, sleep=interrupt)
    assert sum(received(record).values()) == 1  # the first batch went before the wait
    assert sorted(states(setup).values()) == ["queued", "queued", "sent"]
    with setup.database.engine.connect() as connection:
        attempts = (
            connection.execute(text("SELECT attempts FROM deliveries WHERE state = 'queued'"))
            .scalars()
            .all()
        )
    assert attempts == [0, 0]  # the claimed batch was never handed over: no attempt used
    _assert_unlocked(setup)


def test_rate_wait_happens_before_the_claim(setup: support.Setup, record: Path) -> None:
    """A SIGKILL during the rate-limit wait must leave no batch claimed (nothing 'sending',
    so nothing of unknown outcome that was never handed to the mailer)."""
    seen: list[list[str]] = []

    def look_then_stop(seconds: float) -> None:
        seen.append(sorted(states(setup).values()))
        raise KeyboardInterrupt

    _send_paced_until_interrupted(setup, record, sleep=look_then_stop)
    assert seen == [["queued", "queued", "sent"]]


def _assert_unlocked(setup: support.Setup) -> None:
    with setup.database.engine.connect() as connection:
        assert connection.execute(text("SELECT sender FROM notices")).scalar() is None


# -- the send lock and recovery ------------------------------------------------------------------


def test_a_second_sender_is_refused_while_the_first_is_alive(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    created = sqlite_setup.create()
    with send_lock(sqlite_setup.database, created.notice.id, lease=60):
        result = sqlite_setup.cli(
            "notice", "send", str(created.notice.id), "--out", str(tmp_path / "out")
        )
    assert result.exit_code == 2
    assert (
        f"notice {created.notice.id} is being sent by another process (pid {os.getpid()}"
        in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_the_lock_of_a_dead_process_is_taken_over(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    created = sqlite_setup.create()
    import socket

    with sqlite_setup.database.engine.begin() as connection:
        connection.execute(
            update(Notice)
            .where(Notice.id == created.notice.id)
            .values(sender=f"{socket.gethostname()}:999999999:dead", sender_heartbeat=utcnow())
        )
    result = sqlite_setup.cli(
        "notice", "send", str(created.notice.id), "--out", str(tmp_path / "out")
    )
    assert result.exit_code == 0, result.output


def _renderer(setup: support.Setup, notice: campaign.NoticeInfo) -> Iterator[NoticeRenderer]:
    sender = runner.sender_for(setup.settings, mailer="folder")
    with runner.change_source(setup.settings, warn=lambda _: None) as source:
        yield runner.renderer_for(
            setup.database, setup.settings, notice, source, sender=sender, warn=lambda _: None
        )


def test_rows_left_sending_by_a_crash_become_unknown(setup: support.Setup, record: Path) -> None:
    notice = setup.create().notice
    with send_lock(setup.database, notice.id, lease=60) as token:
        batch_id, rows = claim(setup.database, notice.id, "1", 10, token=token, now=utcnow())
    assert len(rows) == 1  # ...and the process died here, the request maybe made
    with SendGridServer(record=record) as server:
        report = run(setup, server, options=SendOptions())
    assert report.recovered == {"unknown": 1}
    assert states(setup)["c1"] == "unknown" and received(record).get("ada@example.com") is None
    found = status.notice_status(setup.database, notice.id)
    assert [b.id for b in found.unknown_batches] == [batch_id]


def test_the_folder_mailer_looks_instead_of_guessing(
    sqlite_setup: support.Setup, tmp_path: Path
) -> None:
    notice = sqlite_setup.create().notice
    out = tmp_path / "out"
    mailer = make_mailer(sqlite_setup.settings, "folder", now=utcnow, outbox_dir=out)
    with send_lock(sqlite_setup.database, notice.id, lease=60) as token:
        _, written = claim(sqlite_setup.database, notice.id, "1", 10, token=token, now=utcnow())
        _, lost = claim(sqlite_setup.database, notice.id, "2", 10, token=token, now=utcnow())
    renderer = next(_renderer(sqlite_setup, notice))
    row = written[0]
    recipient: Recipient = renderer.recipient(row.id, row.customer_id, row.email, row.name)
    sender = runner.sender_for(sqlite_setup.settings, mailer="folder")
    mailer.send(
        Batch(
            id="x",
            notice_id=notice.id,
            template=renderer.template("1"),
            recipients=(recipient,),
            sender=sender.address,
        )
    )
    result = sqlite_setup.cli("notice", "send", str(notice.id), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert states(sqlite_setup) == {"c1": "sent", "c2": "sent", "c3": "sent"}
    assert len(list((out / f"notice-{notice.id}").glob("*.eml"))) == 3
    assert lost[0].customer_id == "c2"
