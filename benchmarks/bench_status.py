"""Benchmark: `GET /api/v1/status` requests per second from one `publisher web` process,
against its own `GET /healthz` (the peer: the same server, no database), SQLite and PostgreSQL.

For each database, in one run:

  1. a fresh store with one policy in three versions (2 material against 1, 3 editorial
     against 2) and customers who accepted 1 (need to accept 3), 2 (carried forward), 3
     (current) or nothing, a quarter each;
  2. `publisher web --workers 1` started as its own process;
  3. the load generator of ``bench_accept.py`` (a separate process, keep-alive connections)
     alternates rounds of ``/healthz`` and of status requests, one customer per request,
     cycling through all of them;
  4. before the load, one status answer per group is checked (needs_acceptance and reason),
     so the benchmark measures correct answers; the server's peak RSS is read from /proc;
  5. the answer cache (setting ``status_cache_size``, default 10,000 answers) is warmed with
     one request per customer, so the status rounds measure cache hits, each still checked
     against the store's change mark; after the load, an acceptance committed through
     another connection (as another process would) must be in the very next answer;
  6. then the same rounds against a server whose cache holds fewer answers than there are
     customers (``--miss-cache``, default 100), so every request is a miss that reads the
     store and evicts an answer: the cost of a miss.

Run:

    python benchmarks/bench_status.py [--postgres URL] [--requests 6000] [--rounds 3]
                                      [--miss-cache 100] [--backend sqlite|postgresql|both]

PostgreSQL is taken from --postgres or PUBLISHER_TEST_POSTGRES_URL (skipped when neither).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from _common import announce, conditions, machine
from bench_accept import (
    BODY,
    POLICY,
    Result,
    fresh_database,
    hello_request,
    load,
    median,
    server,
)

from publisher.config import load_settings
from publisher.document import body_sha256
from publisher.store import migrate
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import AcceptanceRequest, record_acceptance, record_acceptances
from publisher.store.versions import VersionText, store_versions

TOKEN = "benchmark-status-token-0123456789"
BODY_2 = BODY.replace("rule number 7 ", "rule number 7, and rule 70, ")
BODY_3 = BODY_2.replace("The customer shall", "The Customer shall")
GROUPS = ("1", "2", "3", None)
EXPECTED = {
    "1": (True, "material-changes"),
    "2": (False, "editorial-only"),
    "3": (False, "accepted-current"),
    None: (True, "not-accepted"),
}


def seed(url: str, root: Path, customers: int) -> Database:
    settings = load_settings(root, env={}, overrides={"database_url": url})
    database = migrate.open_store(settings)
    store_versions(
        database,
        [
            VersionText(
                slug=POLICY,
                label=str(i + 1),
                position=i,
                title="Terms of Service",
                summary=None,
                effective=date(2024, 1 + i, 1),
                commit=f"{i:040x}",
                path="policies/tos.md",
                sha256=body_sha256(body),
                body=body,
            )
            for i, body in enumerate((BODY, BODY_2, BODY_3))
        ],
    )
    import_customers(
        database,
        [
            CustomerRow(i + 2, f"s{i}", f"s{i}@example.com", f"S {i}", "Co")
            for i in range(customers)
        ],
    )
    record_acceptances(
        database,
        [
            AcceptanceRequest(customer_id=f"s{i}", policy=POLICY, version=label, method="import")
            for i in range(customers)
            if (label := GROUPS[i % 4]) is not None
        ],
    )
    return database


def status_request(host: str, customer: str) -> bytes:
    return (
        f"GET /api/v1/status?customer={customer}&policy={POLICY} HTTP/1.1\r\n"
        f"Host: {host}\r\nUser-Agent: bench\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    ).encode()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_pid(port: int) -> int:
    """The process of ``bench_accept.server`` listening on ``port`` (for its peak RSS)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"web" in words and str(port).encode() in words:
            return int(cmdline.parent.name)
    raise SystemExit(f"no server process on port {port}")


@dataclass(frozen=True)
class BackendResult:
    backend: str
    hello: list[Result]
    status: list[Result]
    rss_mib: float
    misses: list[Result]
    """Status rounds against a cache smaller than the customers: every request a miss."""
    miss_rss_mib: float


def check_answers(port: int) -> None:
    for i, label in enumerate(GROUPS):
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/status",
            params={"customer": f"s{i}", "policy": POLICY},
            headers={"authorization": f"Bearer {TOKEN}"},
        ).json()
        [policy] = answer["policies"]
        got = (policy["needs_acceptance"], policy["reason"])
        if got != EXPECTED[label]:
            raise SystemExit(f"wrong answer for a customer who accepted {label}: {got}")


def check_fresh(port: int, database: Database, customer: str) -> None:
    """An acceptance committed through another connection (this process's, not the
    server's) is in the server's very next answer, though it was answered from its cache."""
    record_acceptance(database, customer_id=customer, policy=POLICY, version="3", method="api")
    answer = httpx.get(
        f"http://127.0.0.1:{port}/api/v1/status",
        params={"customer": customer, "policy": POLICY},
        headers={"authorization": f"Bearer {TOKEN}"},
    ).json()
    [policy] = answer["policies"]
    if (policy["needs_acceptance"], policy["reason"]) != (False, "accepted-current"):
        raise SystemExit(f"stale answer after an acceptance committed: {policy}")


def status_rounds(port: int, args: argparse.Namespace) -> list[Result]:
    host = f"127.0.0.1:{port}"
    statuses = [status_request(host, f"s{i % args.customers}") for i in range(args.requests)]
    return [load("127.0.0.1", port, statuses, args.concurrency) for _ in range(args.rounds)]


def run_backend(backend: str, postgres: str | None, args: argparse.Namespace) -> BackendResult:
    workdir = Path(tempfile.mkdtemp(prefix="bench-status-"))
    try:
        with fresh_database(backend, postgres, workdir) as url:
            database = seed(url, workdir, args.customers)
            os.environ.pop("PUBLISHER_STATUS_CACHE_SIZE", None)  # the default
            with server(url, workdir, 1) as (port, _pid):
                host = f"127.0.0.1:{port}"
                check_answers(port)
                hello = [hello_request(host)] * args.requests
                statuses = [
                    status_request(host, f"s{i % args.customers}") for i in range(args.requests)
                ]
                everyone = [status_request(host, f"s{i}") for i in range(args.customers)]
                load("127.0.0.1", port, hello[:500], args.concurrency)  # warm-up
                load("127.0.0.1", port, everyone, args.concurrency)  # one answer each cached
                hellos, answers = [], []
                for _ in range(args.rounds):
                    hellos.append(load("127.0.0.1", port, hello, args.concurrency))
                    answers.append(load("127.0.0.1", port, statuses, args.concurrency))
                check_fresh(port, database, "s3")  # s3 had accepted nothing
                rss = peak_rss_mib(server_pid(port))
            os.environ["PUBLISHER_STATUS_CACHE_SIZE"] = str(args.miss_cache)
            with server(url, workdir, 1) as (port, _pid):
                load("127.0.0.1", port, statuses[:500], args.concurrency)  # warm-up
                misses = status_rounds(port, args)
                check_fresh(port, database, "s7")
                miss_rss = peak_rss_mib(server_pid(port))
            os.environ.pop("PUBLISHER_STATUS_CACHE_SIZE")
            database.dispose()
            return BackendResult(backend, hellos, answers, rss, misses, miss_rss)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: list[BackendResult], args: argparse.Namespace) -> str:
    lines = [
        f"machine: {machine()}; {conditions('after')}",
        f"server: publisher web --workers 1; load generator: 1 process, {args.concurrency} "
        f"keep-alive connections; {args.rounds} rounds of {args.requests} requests per "
        f"endpoint; {args.customers} customers; medians; status: answer cache of 10000 "
        f"(every request a hit, checked against the store's mark); misses: cache of "
        f"{args.miss_cache} (every request a miss)",
        "",
        f"{'database':<11} {'endpoint':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses",
    ]
    for r in results:
        for name, runs in (
            ("hello /healthz", r.hello),
            ("GET /api/v1/status", r.status),
            ("status (misses)", r.misses),
        ):
            codes: dict[int, int] = {}
            for run in runs:
                for code, count in run.statuses.items():
                    codes[code] = codes.get(code, 0) + count
            lines.append(
                f"{r.backend:<11} {name:<16} {median(runs, 'per_second'):>8.0f} "
                f"{median(runs, 'p50_ms'):>8.2f} {median(runs, 'p99_ms'):>8.2f}  "
                + ", ".join(f"{code}: {count}" for code, count in sorted(codes.items()))
            )
        ratio = median(r.status, "per_second") / median(r.hello, "per_second")
        hit_us = 1e6 / median(r.status, "per_second")
        miss_us = 1e6 / median(r.misses, "per_second")
        lines.append(
            f"{'':<11} status/hello throughput {ratio:.2f}; a miss costs {miss_us - hit_us:.0f} "
            f"us more than a hit ({miss_us:.0f} vs {hit_us:.0f} us per request); server peak "
            f"RSS {r.rss_mib:.0f} MiB (misses: {r.miss_rss_mib:.0f} MiB)"
        )
    return "\n".join(lines)


def main() -> None:
    os.environ["PUBLISHER_API_TOKENS"] = f"status:{TOKEN}"  # for the server bench_accept starts
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PUBLISHER_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: $PUBLISHER_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--requests", type=int, default=6000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--miss-cache",
        type=int,
        default=100,
        help="status_cache_size of the server measured for misses (fewer than --customers)",
    )
    args = parser.parse_args()
    if args.miss_cache >= args.customers:
        parser.error("--miss-cache must be smaller than --customers, or misses would hit")
    announce()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not args.postgres:
        print(
            "PostgreSQL skipped: pass --postgres URL or set PUBLISHER_TEST_POSTGRES_URL",
            file=sys.stderr,
        )
        backends.remove("postgresql")
    results = [run_backend(b, args.postgres, args) for b in backends]
    print(report(results, args))
    if any(run.statuses.keys() - {200} for r in results for run in (*r.status, *r.misses)):
        raise SystemExit("some status requests did not answer 200")


if __name__ == "__main__":
    main()
