"""The crash test: a send of a few thousand recipients through the real CLI against the local
SendGrid-compatible server (with 429s, 5xx and stalled answers injected) is killed with
SIGKILL at random moments, at least 20 times while it is sending, and resumed until done.
Then, as the server counts, every recipient got exactly one notice — except the rows
``notice status`` lists as of unknown outcome, which got at most one. Never a silent
duplicate, never a silent loss.

The number of kills does not depend on the machine's speed: the send is throttled
(``--rate``), and each kill comes at a random moment: mostly a random 0–0.1 s after the run
made a random 1–3 requests to the server (as the server counts them), sometimes at a random
time since its start (before that, whichever comes first); so a killed run sends at
most a few batches and work remains for every kill; the loop kills until 20 runs were killed
after talking to the server (kills during start-up come on top).

The seed is printed; rerun a failure with ``PUBLISHER_CRASH_SEED=<seed>``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import notices_support as support
from sendgrid_server import read_records

from publisher.notices import campaign
from publisher.notices.status import notice_status
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.ledger import AcceptanceRequest, record_acceptances

TESTS = Path(__file__).resolve().parent
RECIPIENTS = 3000
KILLS = 20
BATCH = 25
RATE = 250
"""Recipients per second: 10 batches a second, so a killed run sends at most about 4 batches
(its 1–3 requests and 0.1 s more) and 20 kills use at most about 2,000 of the recipients."""
EARLY = 0.15
"""The share of kills at a random time since the start, which may fall in start-up."""


def _customers() -> list[CustomerRow]:
    return [
        CustomerRow(i + 2, f"cust{i:05d}", f"cust{i:05d}@example.com", f"Customer {i}", "")
        for i in range(RECIPIENTS)
    ]


def _start_server(record: Path, seed: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "sendgrid_server.py"),
            "--port",
            "0",
            "--record",
            str(record),
            "--fail-rate",
            "0.04",
            "--ratelimit-rate",
            "0.04",
            "--reset-seconds",
            "0",
            "--stall-rate",
            "0.03",
            "--stall-seconds",
            "1.3",
            "--latency",
            "0.01",
            "--seed",
            str(seed),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    assert line.startswith("listening on "), line
    return server, line.split()[-1]


def _stat(server_url: str, name: str) -> int:
    """One of the server's counters: ``requests`` so far (retries included), ``stalled``…"""
    with urllib.request.urlopen(f"{server_url}/_stats", timeout=5) as answer:
        return int(json.load(answer)[name])


def _requests(server_url: str) -> int:
    return _stat(server_url, "requests")


def _kill_at_a_random_moment(
    process: subprocess.Popen[str], server_url: str, rng: random.Random
) -> bool | None:
    """Kill ``process`` with SIGKILL at a random moment: now and then at a random time after
    it started (start-up included), else a random 0–0.1 s after it made a random 1–3
    requests. None if it ended first, else whether it had talked to the server."""
    before = _requests(server_url)
    early = rng.random() < EARLY
    deadline = time.monotonic() + (rng.uniform(0.05, 1.5) if early else 30)
    cap = before + rng.randint(1, 3)
    while process.poll() is None and time.monotonic() < deadline:
        if _requests(server_url) >= cap:
            time.sleep(rng.uniform(0, 0.1))
            break
        time.sleep(0.005)
    if process.poll() is not None:
        return None
    process.kill()  # SIGKILL: no cleanup, no lock release, nothing
    process.wait()
    return _requests(server_url) > before


def test_sigkill_at_random_moments_never_duplicates_or_loses(tmp_path: Path) -> None:
    seed = int(os.environ.get("PUBLISHER_CRASH_SEED") or time.time_ns() % 1_000_000)
    print(f"crash test seed {seed}")
    rng = random.Random(seed)
    root = support.make_notice_repo(tmp_path / "repo")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    setup = support.prepare(root, url, customers=[], accepted=[])
    customers = _customers()
    import_customers(setup.database, customers)
    record_acceptances(
        setup.database,
        [
            AcceptanceRequest(c.id, support.POLICY, "1" if i % 3 == 1 else "2", "import")
            for i, c in enumerate(customers)
            if i % 3
        ],
    )
    notice = setup.create().notice
    groups = {g.since: g.count for g in campaign.recipient_groups(setup.database, notice.id)}
    assert groups == {None: 1000, "1": 1000, "2": 1000}

    record = tmp_path / "sent.jsonl"
    server, server_url = _start_server(record, seed)
    env = support.python_env()
    env.update(
        PUBLISHER_SENDGRID_HOST=server_url,
        PUBLISHER_SENDGRID_API_KEY="SG.crash",
        PUBLISHER_MAIL_TIMEOUT="1",
    )
    command = [
        sys.executable,
        "-m",
        "publisher",
        "-C",
        str(root),
        "notice",
        "send",
        str(notice.id),
        "--mailer",
        "sendgrid",
        "--batch-size",
        str(BATCH),
        "--database-url",
        url,
    ]
    kills = early_kills = finished = 0
    started = time.monotonic()
    try:
        while True:
            counts = notice_status(setup.database, notice.id).counts
            if not counts["queued"] and not counts["sending"]:
                break  # done; every kill below happened while work remained
            throttle = ["--rate", str(RATE)] if kills < KILLS else []  # the last run: full speed
            process = subprocess.Popen(
                [*command, *throttle],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            if kills < KILLS:
                sending = _kill_at_a_random_moment(process, server_url, rng)
                if sending is not None:
                    kills += sending
                    early_kills += not sending
                    continue
            else:
                process.wait(timeout=120)
            stderr = process.stderr.read() if process.stderr else ""
            assert process.returncode in (0, 1), stderr  # done (1: some rows unknown)
            finished += 1
        stalled = _stat(server_url, "stalled")
    finally:
        server.terminate()
        server.wait(timeout=10)
    elapsed = time.monotonic() - started

    found = notice_status(setup.database, notice.id)
    unknown = {c for batch in found.unknown_batches for c in batch.customers}
    with setup.database.engine.connect() as connection:
        rows = {
            r.email: r
            for r in connection.exec_driver_sql(
                "SELECT customer_id, email, state, message_id FROM deliveries"
            )
        }
    got = Counter(line["to"] for line in read_records(record))
    message_ids = {line["to"]: line["message_id"] for line in read_records(record)}
    print(
        f"{kills} kills while sending (+{early_kills} during start-up), {finished} full "
        f"runs, {elapsed:.1f} s; states {found.counts}; "
        f"server got {sum(got.values())} for {len(got)} recipients"
    )

    assert kills >= KILLS, "the send finished before 20 kills: give it more work"
    assert found.counts["queued"] == found.counts["sending"] == found.counts["failed"] == 0
    # Every batch of unknown outcome has a cause: a kill, or an answer that never came.
    assert len(found.unknown_batches) <= kills + early_kills + stalled
    assert set(got) <= set(rows), "the server got mail for someone not in the outbox"
    duplicates = {email: n for email, n in got.items() if n > 1}
    assert not duplicates, f"sent twice: {duplicates}"
    for email, row in rows.items():
        if row.customer_id in unknown:
            assert row.state == "unknown" and got[email] <= 1
        else:
            assert row.state == "sent", (email, row.state)
            assert got[email] == 1, f"{email} is recorded as sent but the server has no message"
            assert row.message_id == message_ids[email]
    lost = [e for e, r in rows.items() if got[e] == 0 and r.customer_id not in unknown]
    assert not lost
    # The status names every unknown row in a batch with the command that settles it.
    as_json = json.loads(json.dumps(found.to_dict()))
    assert sum(b["size"] for b in as_json["unknown_batches"]) == found.counts["unknown"]
    setup.database.dispose()
