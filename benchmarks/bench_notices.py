"""Benchmark: a change notice to 100,000 recipients through the sendgrid mailer, end to end.

Setup (not timed): a SQLite store with the example Acceptable Use Policy's versions (this
repository's history), 100,000 customers — a third on version 1, a third on version 2, a
third who never accepted — and a notice for version 3 (three recipient groups). The local
SendGrid-compatible server (``tests/sendgrid_server.py``) runs in its own process and records
every personalization it accepts.

Side by side in one run:

  batched   ``publisher notice send N --mailer sendgrid`` as a subprocess (start-up, the
            outbox, rendering each group once, signing 100,000 links, 1,000 personalizations
            per request): recipients per second end to end and the process's peak RSS;
  naive     the same command with ``--batch-size 1``: one API request per recipient (same
            outbox, same guarantees), run for a fixed time, then Ctrl-C;
  bare      a loop that only calls the official client once per recipient (no database,
            no outbox): the cost of one API request, the floor of any one-per-recipient send.

Each batched round starts from a fresh copy of the store and a fresh record file, and is
checked afterwards: every recipient recorded exactly once. Prints medians and ratios.

Run: ``python benchmarks/bench_notices.py`` (``--recipients``, ``--rounds``, ``--naive-seconds``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _common import announce  # noqa: E402

from publisher.config import Settings, load_settings  # noqa: E402
from publisher.history import PolicyRepo  # noqa: E402
from publisher.links import LinkSigner  # noqa: E402
from publisher.notices import campaign  # noqa: E402
from publisher.notices.changes import GitChanges  # noqa: E402
from publisher.notices.mailers.base import Batch  # noqa: E402
from publisher.notices.mailers.sendgrid import request_body  # noqa: E402
from publisher.notices.render import NoticeRenderer, default_subject, make_sender  # noqa: E402
from publisher.store import migrate  # noqa: E402
from publisher.store.customers import CustomerRow, import_customers  # noqa: E402
from publisher.store.ledger import AcceptanceRequest, record_acceptances  # noqa: E402
from publisher.store.versions import stored_versions, sync_versions  # noqa: E402

POLICY = "acceptable-use"
KEY = "bench-key-0123456789abcdef0123456789"
API_KEY = "SG.bench"
MAIL_FROM = "Northwind Cloud Legal <legal@northwind.example>"


def env_for(tmp: Path, server_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update(
        PUBLISHER_SECRET_KEY=KEY,
        PUBLISHER_MAIL_FROM=MAIL_FROM,
        PUBLISHER_SENDGRID_HOST=server_url,
        PUBLISHER_SENDGRID_API_KEY=API_KEY,
        PUBLISHER_CACHE_DIR=str(tmp / "cache"),
        PUBLISHER_POLICIES="policies/**/*.md",
        PUBLISHER_SITE_URL="https://policies.northwind.example",
        PUBLISHER_ACCEPT_URL="https://accept.northwind.example",
    )
    return env


def settings_for(tmp: Path, database: Path) -> Settings:
    return load_settings(
        ROOT,
        env={
            "PUBLISHER_SECRET_KEY": KEY,
            "PUBLISHER_MAIL_FROM": MAIL_FROM,
            "PUBLISHER_CACHE_DIR": str(tmp / "cache"),
        },
        overrides={"database_url": f"sqlite:///{database}", "policies": "policies/**/*.md"},
    )


def prepare(tmp: Path, recipients: int) -> tuple[Path, int]:
    """The seeded store (checkpointed, so the file alone is a copy) and the notice id."""
    database_path = tmp / "seed.db"
    settings = settings_for(tmp, database_path)
    database = migrate.open_store(settings)
    sync_versions(database, settings, slugs=[POLICY])
    customers = [
        CustomerRow(
            i + 2, f"cust{i:06d}", f"cust{i:06d}@example.com", f"Customer {i}", "Example Ltd"
        )
        for i in range(recipients)
    ]
    import_customers(database, customers)
    requests = [
        AcceptanceRequest(c.id, POLICY, "1" if i % 3 == 1 else "2", "import")
        for i, c in enumerate(customers)
        if i % 3
    ]
    for start in range(0, len(requests), 5000):
        record_acceptances(database, requests[start : start + 5000])
    with PolicyRepo.open(settings) as repo:  # the example version may be in force: forced
        created = campaign.create_notice(
            database,
            slug=POLICY,
            label=None,
            effective=None,
            source=GitChanges(repo),
            default_notice_days=30,
            subject_for=default_subject,
            force=True,
        )
    database.dispose()
    with sqlite3.connect(database_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database_path, created.notice.id


PEAK_RSS_WRAPPER = """
import atexit, os, sys

def _peak() -> None:
    # VmHWM: this process's peak resident memory since exec (ru_maxrss would include the
    # parent's memory from before the exec).
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_HWM"], "w") as out:
        out.write(kb)

atexit.register(_peak)
from publisher.cli import main
sys.argv[0] = "publisher"
main()
"""
"""``python -m publisher …`` that writes its peak RSS (kB) to $BENCH_HWM at exit."""


def received(record: Path) -> Counter[str]:
    """Personalizations the server recorded, per recipient (streamed: flat memory here too)."""
    counts: Counter[str] = Counter()
    with record.open(encoding="utf-8") as lines:
        for line in lines:
            counts[json.loads(line)["to"]] += 1
    return counts


def start_server(record: Path) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "sendgrid_server.py"),
            "--port",
            "0",
            "--record",
            str(record),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline()
    return server, line.split()[-1]


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.wait(timeout=30)


def run_send(
    tmp: Path, seed: Path, notice: int, name: str, *, extra: list[str], limit: float | None = None
) -> dict[str, Any]:
    """One ``notice send`` subprocess on a fresh copy of the store: wall time, peak RSS,
    rows sent (as the store says) and what the server recorded."""
    database = tmp / f"{name}.db"
    shutil.copyfile(seed, database)
    record = tmp / f"{name}.jsonl"
    record.unlink(missing_ok=True)
    server, url = start_server(record)
    hwm = tmp / f"{name}.hwm"
    command = [
        sys.executable,
        "-c",
        PEAK_RSS_WRAPPER,
        "-C",
        str(ROOT),
        "notice",
        "send",
        str(notice),
        "--mailer",
        "sendgrid",
        "--database-url",
        f"sqlite:///{database}",
        "--format",
        "json",
        *extra,
    ]
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env={**env_for(tmp, url), "BENCH_HWM": str(hwm)},
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if limit is not None:
            time.sleep(limit)
            process.send_signal(signal.SIGINT)
        output_bytes, error_bytes = process.communicate()
        elapsed = time.perf_counter() - started
        output, errors = output_bytes.decode(), error_bytes.decode()
    finally:
        stop(server)
    if limit is None and process.returncode != 0:
        raise SystemExit(f"{name}: exit {process.returncode}\n{errors[-2000:]}")
    with sqlite3.connect(database) as connection:
        sent = connection.execute(
            "SELECT count(*) FROM deliveries WHERE notice_id = ? AND state = 'sent'", (notice,)
        ).fetchone()[0]
    got = received(record)
    return {
        "elapsed": elapsed,
        "rss_mb": int(hwm.read_text()) / 1024,
        "sent": sent,
        "recorded": sum(got.values()),
        "distinct": len(got),
        "duplicates": sum(1 for n in got.values() if n > 1),
        "report": json.loads(output) if output.strip().startswith("{") else None,
    }


def bare_loop(tmp: Path, seed: Path, notice_id: int, count: int) -> dict[str, float]:
    """The official client, one request per recipient, nothing else (no store, no outbox)."""
    from sendgrid import SendGridAPIClient

    settings = settings_for(tmp, seed)
    database = migrate.open_store(settings)
    notice = campaign.get_notice(database, notice_id)
    sender = make_sender(MAIL_FROM, "", "", required=True)
    with PolicyRepo.open(settings) as repo:
        renderer = NoticeRenderer(
            notice,
            versions=stored_versions(database, slug=POLICY),
            source=GitChanges(repo),
            signer=LinkSigner([KEY]),
            accept_url="https://accept.northwind.example",
            site_url="https://policies.northwind.example",
            sender=sender,
        )
        template = renderer.template(None)
    database.dispose()
    record = tmp / "bare.jsonl"
    server, url = start_server(record)
    client = SendGridAPIClient(API_KEY, host=url)
    try:
        started = time.perf_counter()
        for i in range(count):
            recipient = renderer.recipient(
                i + 1, f"cust{i:06d}", f"cust{i:06d}@example.com", f"Customer {i}"
            )
            batch = Batch(
                id="bare",
                notice_id=notice.id,
                template=template,
                recipients=(recipient,),
                sender=sender.address,
            )
            client.send(request_body(batch))
        elapsed = time.perf_counter() - started
    finally:
        stop(server)
    return {"elapsed": elapsed, "rate": count / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--naive-seconds", type=float, default=20.0)
    parser.add_argument("--bare-count", type=int, default=3000)
    args = parser.parse_args()

    announce(f"SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="bench-notices-") as folder:
        tmp = Path(folder)
        t = time.perf_counter()
        seed, notice = prepare(tmp, args.recipients)
        print(
            f"setup: {args.recipients:,} customers, notice {notice} "
            f"({time.perf_counter() - t:.1f} s, not timed)"
        )

        batched = []
        for i in range(args.rounds):
            result = run_send(tmp, seed, notice, f"batched{i}", extra=[])
            assert result["sent"] == args.recipients, result
            assert result["recorded"] == result["distinct"] == args.recipients, result
            assert result["duplicates"] == 0
            batched.append(result)
            print(
                f"  batched round {i + 1}: {result['elapsed']:.2f} s, "
                f"{args.recipients / result['elapsed']:,.0f} recipients/s, "
                f"peak RSS {result['rss_mb']:.0f} MB, "
                f"{result['report']['batches']} requests"
            )
        naive = run_send(
            tmp, seed, notice, "naive", extra=["--batch-size", "1"], limit=args.naive_seconds
        )
        assert naive["recorded"] >= naive["sent"] and naive["duplicates"] == 0
        print(
            f"  naive: {naive['sent']:,} sent in {naive['elapsed']:.1f} s "
            f"(peak RSS {naive['rss_mb']:.0f} MB)"
        )
        bare = bare_loop(tmp, seed, notice, args.bare_count)
        print(f"  bare client loop: {args.bare_count:,} requests in {bare['elapsed']:.1f} s")

    batched_rate = statistics.median(args.recipients / r["elapsed"] for r in batched)
    batched_time = statistics.median(r["elapsed"] for r in batched)
    peak = max(r["rss_mb"] for r in batched)
    naive_rate = naive["sent"] / naive["elapsed"]
    print()
    print(f"{'':28}{'recipients/s':>14}{'peak RSS':>10}")
    print(
        f"{'batched (1,000/request)':28}{batched_rate:>14,.0f}{peak:>8.0f} MB"
        f"   {args.recipients:,} in {batched_time:.1f} s (median of {args.rounds})"
    )
    print(f"{'naive (1/request, outbox)':28}{naive_rate:>14,.0f}{naive['rss_mb']:>8.0f} MB")
    print(f"{'bare client loop (1/req)':28}{bare['rate']:>14,.0f}")
    print()
    print(
        f"batched / naive: {batched_rate / naive_rate:.1f}x; "
        f"batched / bare loop: {batched_rate / bare['rate']:.1f}x"
    )
    print("targets: 2,000+ recipients/s, under 300 MB, 20x one request per recipient")


if __name__ == "__main__":
    main()
