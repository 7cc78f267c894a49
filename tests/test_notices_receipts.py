"""Receipt emails (setting ``receipts: email``) on SQLite and PostgreSQL: after an acceptance
by link (also on an organisation's behalf) ``publisher notice receipts`` mails the customer
(and the member) the receipt page's facts through the dry-run folder, once; a process killed
between recording and sending, or while a receipt is with the mailer, sends it exactly once
when run again. Goldens for the English and German email."""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import notices_support as support
import pytest
from goldens import Golden

from publisher.links import LinkClaims, signer_for
from publisher.notices.receipt_render import (
    ReceiptFacts,
    ReceiptSender,
    receipt_context,
    render_receipt,
)
from publisher.notices.receipt_watch import background_receipts
from publisher.notices.receipt_watch import watch as receipt_watch
from publisher.notices.receipts import enqueue, receipt_counts
from publisher.notices.states import State
from publisher.store.customers import customer_row
from publisher.store.ledger import chain_head, record_acceptance, records
from publisher.store.organisations import save_customer
from publisher.web import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

POLICY = support.POLICY
FACTS = ReceiptFacts(
    seq=7,
    record_hash="a" * 64,
    content_sha256="b" * 64,
    accepted_at=datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC),
    slug=POLICY,
    version="3",
    title="Acceptable Use Policy",
    effective=date(2027, 1, 15),
    customer_name="Acme Ltd",
    company="",
    member_name="Ann Smith",
    head_seq=9,
    head_hash="c" * 64,
)
SENDER = ReceiptSender("Northwind Cloud", "legal@northwind.example", "https://policies.example")


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_receipt_email(language: str, golden: Golden) -> None:
    context = receipt_context(FACTS, recipient_name="Ann Smith", language=language, sender=SENDER)
    rendered = render_receipt(context)
    golden(f"notices/receipt.{language}.txt", f"Subject: {rendered.subject}\n\n{rendered.text}")
    golden(f"notices/receipt.{language}.html", rendered.html)
    for fact in ("a" * 64, "b" * 64, "c" * 64):
        assert fact in rendered.text and fact in rendered.html
    assert "https://policies.example/acceptable-use/v/3/" in rendered.text


def test_a_person_s_receipt_names_them() -> None:
    facts = replace(FACTS, customer_name="Bob", member_name=None)
    text = render_receipt(
        receipt_context(facts, recipient_name="Bob", language=None, sender=SENDER)
    ).text
    assert "Accepted by: Bob\n" in text and "on behalf of" not in text


@pytest.fixture
def receipts(setup: support.Setup) -> Iterator[support.Setup]:
    """The notices store with receipts on, and acme (member ann)."""
    for values in (
        {"id": "acme", "email": "legal@acme.example", "name": "Acme Ltd", "kind": "organisation"},
        {"id": "ann", "email": "ann@acme.example", "name": "Ann Smith", "organisation": "acme"},
    ):
        save_customer(setup.database, customer_row(values))
    setup.settings = support.settings_for(setup.root, setup.url, PUBLISHER_RECEIPTS="email")
    yield setup


def run(setup: support.Setup, out: Path, *args: str) -> Any:
    return setup.cli(
        "notice", "receipts", "--out", str(out), *args, env={"PUBLISHER_RECEIPTS": "email"}
    )


def files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.glob("receipt-*/*.eml"))


def text_of(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return f"To: {message['To']}\nSubject: {message['Subject']}\n\n{body.get_content()}"


def accept(client: TestClient, link: str) -> None:
    page = client.get(link)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    done = client.post(link, data={"csrf": csrf.group(1), "accept": "yes"}, follow_redirects=False)
    assert done.status_code == 303, done.text


def test_receipts_after_link_acceptances_are_sent_once(
    receipts: support.Setup, tmp_path: Path
) -> None:
    out = tmp_path / "outbox"
    off = receipts.cli("notice", "receipts", "--out", str(out))
    assert off.exit_code != 0 and "receipt emails are off" in off.stderr
    assert "Traceback" not in off.output
    signer = signer_for(receipts.settings)
    with TestClient(
        create_app(receipts.settings, database=receipts.database),
        base_url=receipts.settings.accept_url,
    ) as client:
        accept(client, "/a/" + signer.sign(LinkClaims("c3", POLICY, "3")))
        accept(client, "/a/" + signer.sign(LinkClaims("ann", POLICY, "3", organisation="acme")))
    person, org = (
        records(receipts.database, customer_id="c3")[-1],
        records(receipts.database, customer_id="acme")[-1],
    )
    sent = run(receipts, out, "--format", "json")
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.stdout)
    assert (report["queued"], report["sent"], report["counts"]["sent"]) == (3, 3, 3)
    assert files(out) == [
        f"receipt-{person.seq}/00000001-c3.eml",
        f"receipt-{org.seq}/00000002-acme.eml",
        f"receipt-{org.seq}/00000003-ann.eml",
    ]
    head_seq, head_hash = chain_head(receipts.database)
    mine = text_of(out / files(out)[0])
    assert mine.startswith("To: Cy Young <cy@example.net>\n")
    for fact in (person.hash, person.content_sha256, head_hash, f"number {person.seq}, hash"):
        assert fact in mine
    assert f"Ledger head: number {head_seq}, hash {head_hash}" in mine
    for name in files(out)[1:]:
        said = text_of(out / name)
        assert "Accepted by: Ann Smith, on behalf of Acme Ltd" in said
        assert org.hash in said
    again = run(receipts, out)
    assert again.exit_code == 0, again.output
    assert "0 queued, this run sent 0" in again.stdout
    assert len(files(out)) == 3


def test_imports_get_no_receipt_and_the_backlog_can_be_skipped(
    receipts: support.Setup, tmp_path: Path
) -> None:
    database = receipts.database
    record_acceptance(database, customer_id="c3", policy=POLICY, version="3", method="import")
    assert enqueue(database) == 0  # an import: given elsewhere, long ago
    record_acceptance(database, customer_id="c1", policy=POLICY, version="3", method="link")
    skipped = run(receipts, tmp_path / "out", "--skip-backlog")
    assert skipped.exit_code == 0, skipped.output
    assert "1 earlier acceptance will get no receipt" in skipped.stderr
    assert receipt_counts(database)[State.SENT] == 0
    record_acceptance(database, customer_id="c2", policy=POLICY, version="3", method="api")
    assert run(receipts, tmp_path / "out").exit_code == 0
    assert [f.split("-", 2)[-1] for f in files(tmp_path / "out")] == ["c2.eml"]


CRASH = """
import os, sys
from publisher.config import load_settings
from publisher.notices import runner
from publisher.notices.mailers.folder import FolderMailer
from publisher.store import migrate
from publisher.store.ledger import record_acceptance

root, url, when = sys.argv[1], sys.argv[2], sys.argv[3]
settings = load_settings(root, overrides={"database_url": url})
database = migrate.open_store(settings, create=False)
record_acceptance(database, customer_id="c3", policy="acceptable-use", version="3", method="link")
if when == "recorded":
    os._exit(9)  # killed after the commit, before any receipt was queued

send = FolderMailer.send

def dying(self, batch):
    if when == "written":
        send(self, batch)  # the file is written; killed before the outcome is recorded
    os._exit(9)

FolderMailer.send = dying
runner.receipts(database, settings)
"""


@pytest.mark.parametrize("when", ["recorded", "claimed", "written"])
def test_a_killed_sender_sends_each_receipt_exactly_once(
    receipts: support.Setup, tmp_path: Path, when: str
) -> None:
    out = tmp_path / "outbox"
    env = {**support.python_env(), "PUBLISHER_RECEIPTS": "email", "PUBLISHER_OUTBOX_DIR": str(out)}
    killed = subprocess.run(
        [sys.executable, "-c", CRASH, str(receipts.root), receipts.url, when],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 9, killed.stderr
    assert len(files(out)) == (1 if when == "written" else 0)
    resumed = run(receipts, out, "--format", "json")
    assert resumed.exit_code == 0, resumed.output
    report = json.loads(resumed.stdout)
    assert report["counts"]["sent"] == 1 and report["counts"]["unknown"] == 0
    if when != "recorded":
        assert report["recovered"] == {"written": {"sent": 1}, "claimed": {"queued": 1}}[when]
    [name] = files(out)
    [record] = records(receipts.database, customer_id="c3")
    assert name.startswith(f"receipt-{record.seq}/") and name.endswith("-c3.eml")
    assert record.hash in text_of(out / name)
    assert run(receipts, out).exit_code == 0 and len(files(out)) == 1


def test_the_service_sends_receipts_in_the_background(
    receipts: support.Setup, tmp_path: Path
) -> None:
    """``publisher web`` with receipts on runs :func:`background_receipts`: an acceptance's
    receipt goes out without anyone running ``publisher notice receipts``, once."""
    out = tmp_path / "background"
    settings = support.settings_for(
        receipts.root, receipts.url, PUBLISHER_RECEIPTS="email", PUBLISHER_OUTBOX_DIR=str(out)
    )
    signer = signer_for(settings)
    sender = background_receipts(receipts.database, settings, interval=0.05).start()
    try:
        with TestClient(
            create_app(settings, database=receipts.database), base_url=settings.accept_url
        ) as client:
            accept(client, "/a/" + signer.sign(LinkClaims("c3", POLICY, "3")))
        person = records(receipts.database, customer_id="c3")[-1]
        deadline = time.monotonic() + 60
        while not files(out) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()
    assert files(out) == [f"receipt-{person.seq}/00000001-c3.eml"]
    assert person.hash in text_of(out / files(out)[0])
    assert receipt_counts(receipts.database)[State.SENT] == 1


def test_a_failing_receipt_pass_is_logged_and_retried(
    receipts: support.Setup, caplog: pytest.LogCaptureFixture
) -> None:
    """With receipts off the pass raises; the loop logs it and keeps going until stopped."""
    stop = threading.Event()
    passes: list[object] = []
    thread = threading.Thread(
        target=receipt_watch,
        args=(receipts.database, support.settings_for(receipts.root, receipts.url)),
        kwargs={"interval": 0.01, "stop": stop, "on_pass": passes.append},
        daemon=True,
    )
    with caplog.at_level("WARNING", logger="publisher.receipts"):
        thread.start()
        deadline = time.monotonic() + 60
        while len(caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and passes == []
    assert len(caplog.records) >= 2
    assert "receipt pass failed: receipt emails are off" in caplog.records[0].getMessage()
