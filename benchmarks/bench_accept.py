"""Benchmark: accepted POSTs per second and latency of `publisher web`, SQLite and PostgreSQL.

For each database, in one run:

  1. a fresh store with one policy version and enough customers for every request;
  2. `publisher web` started as its own process (uvicorn, --workers W);
  3. a load generator in a separate process (asyncio, keep-alive connections, prepared
     requests) that first hits the server's trivial ``GET /healthz`` (the "hello" peer: the
     same server, no database) and then POSTs one acceptance per customer link — exactly
     what a browser sends after the page was opened (the CSRF cookie and form field are made
     with the library, so the page GET is not part of the measurement);
  4. after the run, the records are counted in the database: every customer exactly once
     (none lost, none duplicated), and the ledger audited as `publisher audit verify` does
     (chain, stored texts, record times never going back, triggers);
  5. for each number of service processes in ``--workers`` (e.g. ``1,2,4``), steps 1-4 again;
  6. the raw-commit floor of the same database in the same run: single-row commits per second
     on 1 and on 16 connections, and rows per second committed in batches of 256.

Reports per database and process count the medians over several rounds of requests per
second and p50/p90/p99 latency for hello and for accept, and their ratio. Run:

    python benchmarks/bench_accept.py [--postgres URL] [--requests 4000] [--rounds 3]
        [--workers 1,2,4]

PostgreSQL is taken from --postgres or PUBLISHER_TEST_POSTGRES_URL (skipped when neither).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from _common import announce, launch_web, load_average, machine, pyc, stop_web
from sqlalchemy import create_engine, event, make_url, text

from publisher.config import load_settings
from publisher.document import body_sha256
from publisher.links import LinkClaims, LinkSigner
from publisher.store import migrate
from publisher.store.audit import audit_ledger
from publisher.store.customers import CustomerRow, import_customers
from publisher.store.db import Database
from publisher.store.ledger import records
from publisher.store.versions import VersionText, store_versions
from publisher.web.security import CSRF_COOKIE, csrf_field, new_nonce

KEY = "benchmark-signing-key-0123456789abcdef"
POLICY = "terms-of-service"
BODY = "# Terms of Service\n\n" + "".join(
    f"{i}. The customer shall observe rule number {i} of this agreement.\n" for i in range(1, 60)
)


# -- the load generator (runs in its own process) ---------------------------------------------


async def _run_requests(
    host: str, port: int, requests: Sequence[bytes], concurrency: int
) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    position = 0

    async def connection() -> None:
        nonlocal position
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while position < len(requests):
                request = requests[position]
                position += 1
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = int(head[9:12])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def _generator(
    host: str, port: int, requests: list[bytes], concurrency: int, queue: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    queue.put(asyncio.run(_run_requests(host, port, requests, concurrency)))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process ``pid`` and its live descendants
    (uvicorn's worker processes), from /proc; 0 where /proc is not there."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def load(
    host: str, port: int, requests: list[bytes], concurrency: int, server_pid: int | None = None
) -> Result:
    """Send ``requests`` from a separate process; measure throughput and latency there, and
    the CPU the server (``server_pid`` and its workers) spent meanwhile."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_generator, args=(host, port, requests, concurrency, queue))
    before = cpu_seconds(server_pid) if server_pid else 0.0
    process.start()
    elapsed, latencies, statuses = queue.get()
    process.join()
    used = cpu_seconds(server_pid) - before if server_pid else 0.0
    return Result.of(elapsed, latencies, statuses, cpu_ms=used * 1000 / max(len(latencies), 1))


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    cpu_ms: float = 0.0
    """CPU milliseconds the service processes used per request (user + system)."""

    @classmethod
    def of(
        cls, elapsed: float, latencies: list[float], statuses: dict[int, int], cpu_ms: float = 0.0
    ) -> Result:
        ordered = sorted(latencies)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        return cls(
            len(ordered),
            elapsed,
            len(ordered) / elapsed,
            pct(0.50),
            pct(0.90),
            pct(0.99),
            ordered[-1] * 1000,
            statuses,
            cpu_ms,
        )


# -- requests -------------------------------------------------------------------------------


def hello_request(host: str) -> bytes:
    return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode()


def accept_request(host: str, token: str) -> bytes:
    nonce = new_nonce()
    body = urllib.parse.urlencode({"csrf": csrf_field([KEY], token, nonce), "accept": "yes"})
    return (
        f"POST /a/{token} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: {CSRF_COOKIE}={nonce}\r\n\r\n{body}"
    ).encode()


# -- databases and the server -----------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, postgres: str | None, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    assert postgres is not None
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    base = make_url(postgres).set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(url: str, root: Path, customers: int) -> Database:
    settings = load_settings(root, env={}, overrides={"database_url": url})
    database = migrate.open_store(settings)
    store_versions(
        database,
        [
            VersionText(
                slug=POLICY,
                label="1",
                position=0,
                title="Terms of Service",
                summary=None,
                effective=date(2024, 1, 1),
                commit="0" * 40,
                path="policies/tos.md",
                sha256=body_sha256(BODY),
                body=BODY,
            )
        ],
    )
    import_customers(
        database,
        [
            CustomerRow(i + 2, f"b{i}", f"b{i}@example.com", f"B {i}", "Co")
            for i in range(customers)
        ],
    )
    return database


@contextmanager
def server(url: str, root: Path, workers: int) -> Iterator[tuple[int, int]]:
    """``publisher web`` on the store at ``url``, running until the block ends: its port
    and process id."""
    try:
        process, base = launch_web(
            root,
            url,
            workers=workers,
            env={"PUBLISHER_SECRET_KEY": KEY},
            stderr=subprocess.DEVNULL,
        )
    except RuntimeError as error:
        raise SystemExit(str(error)) from None
    try:
        yield int(base.rsplit(":", 1)[1]), process.pid
    finally:
        stop_web(process, timeout=30)


# -- one database -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    single_1: float
    single_16: float
    batched: float


def _commits(url: str, seconds: float, connections: int, rows: int) -> float:
    """Rows per second committed into a scratch table, ``rows`` per commit."""
    engine = create_engine(url, pool_size=connections, max_overflow=0)
    if url.startswith("sqlite"):  # as the store runs it

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER, note TEXT)"))
    counts = [0] * connections
    stop = time.monotonic() + seconds

    def work(slot: int) -> None:
        with engine.connect() as connection:
            while time.monotonic() < stop:
                with connection.begin():
                    connection.execute(
                        text("INSERT INTO bench_floor VALUES (:i, 'x')"),
                        [{"i": i} for i in range(rows)],
                    )
                counts[slot] += rows

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_floor"))
    engine.dispose()
    return sum(counts) / elapsed


def floor(url: str) -> Floor:
    return Floor(_commits(url, 2.0, 1, 1), _commits(url, 2.0, 16, 1), _commits(url, 2.0, 1, 256))


@dataclass(frozen=True)
class BackendResult:
    backend: str
    workers: int
    hello: list[Result]
    accept: list[Result]
    expected: int
    stored: int
    distinct: int
    chain_ok: bool
    audit_problems: tuple[str, ...]
    floor: Floor


def run_backend(
    backend: str, postgres: str | None, args: argparse.Namespace, workers: int
) -> BackendResult:
    workdir = Path(tempfile.mkdtemp(prefix="bench-accept-"))
    warmup = 200
    total = warmup + args.requests * args.rounds
    try:
        with fresh_database(backend, postgres, workdir) as url:
            database = seed(url, workdir, total)
            signer = LinkSigner([KEY])
            tokens = [signer.sign(LinkClaims(f"b{i}", POLICY, "1")) for i in range(total)]
            with server(url, workdir, workers) as (port, pid):
                host = f"127.0.0.1:{port}"
                hello = [hello_request(host)] * args.requests
                load("127.0.0.1", port, [hello_request(host)] * warmup, args.concurrency)
                load(
                    "127.0.0.1",
                    port,
                    [accept_request(host, t) for t in tokens[:warmup]],
                    args.concurrency,
                )
                hellos, accepts = [], []
                for round_ in range(args.rounds):
                    start = warmup + round_ * args.requests
                    batch = [accept_request(host, t) for t in tokens[start : start + args.requests]]
                    hellos.append(load("127.0.0.1", port, hello, args.concurrency, pid))
                    accepts.append(load("127.0.0.1", port, batch, args.concurrency, pid))
            stored = records(database)
            audit = audit_ledger(database, repo_root=workdir)  # what `audit verify` checks
            sqlite_url = f"sqlite:///{workdir / 'floor.db'}"
            result = BackendResult(
                backend,
                workers,
                hellos,
                accepts,
                expected=total,
                stored=len(stored),
                distinct=len({r.customer_id for r in stored}),
                chain_ok=audit.ok,
                audit_problems=tuple(message for _kind, message in audit.messages),
                floor=floor(url if backend == "postgresql" else sqlite_url),
            )
            database.dispose()
            return result
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def median(results: list[Result], field: str) -> float:
    return statistics.median(getattr(r, field) for r in results)


def report(results: list[BackendResult], args: argparse.Namespace) -> str:
    lines = [
        f"machine: {machine()}",
        f"load average at the start: {args.load_before}, at the end: {load_average():.2f} "
        f"(1 min); {pyc()}",
        f"server: publisher web --workers N (uvicorn); load generator: 1 process, "
        f"{args.concurrency} keep-alive connections; {args.rounds} rounds of "
        f"{args.requests} requests per endpoint; medians; cpu ms: CPU time of the service "
        "processes per request (user + system; on PostgreSQL the database server's own "
        "CPU is not in it)",
        "",
        f"{'database':<11} {'N':>2} {'endpoint':<14} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'cpu ms':>7}  statuses",
    ]
    for r in results:
        for name, runs in (("hello /healthz", r.hello), ("accept POST", r.accept)):
            statuses: dict[int, int] = {}
            for run in runs:
                for code, count in run.statuses.items():
                    statuses[code] = statuses.get(code, 0) + count
            lines.append(
                f"{r.backend:<11} {r.workers:>2} {name:<14} {median(runs, 'per_second'):>8.0f} "
                f"{median(runs, 'p50_ms'):>8.1f} {median(runs, 'p90_ms'):>8.1f} "
                f"{median(runs, 'p99_ms'):>8.1f} {median(runs, 'max_ms'):>8.1f} "
                f"{median(runs, 'cpu_ms'):>7.3f}  "
                + ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items()))
            )
        ratio = median(r.accept, "per_second") / median(r.hello, "per_second")
        lost = r.expected - r.distinct
        duplicated = r.stored - r.distinct
        lines.append(
            f"{'':<14} accept/hello throughput {ratio:.2f}; records: {r.stored} stored for "
            f"{r.expected} accepts, {lost} lost, {duplicated} duplicated; audit verify: "
            + ("intact" if r.chain_ok else "BROKEN: " + "; ".join(r.audit_problems[:3]))
        )
        lines.append(
            f"{'':<14} floor: {r.floor.single_1:.0f} single-row commits/s on 1 connection, "
            f"{r.floor.single_16:.0f} on 16, {r.floor.batched:.0f} rows/s in batches of 256"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PUBLISHER_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: $PUBLISHER_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--requests", type=int, default=4000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workers",
        default="1",
        help="service processes, or a list of counts to run one after another (e.g. 1,2,4)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not args.postgres:
        print(
            "PostgreSQL skipped: pass --postgres URL or set PUBLISHER_TEST_POSTGRES_URL",
            file=sys.stderr,
        )
        backends.remove("postgresql")
    try:
        counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers: not a list of numbers: {args.workers!r}")
    if any(n < 1 for n in counts):
        parser.error("--workers: each count must be at least 1")
    announce()
    args.load_before = f"{load_average():.2f}"
    results = [run_backend(b, args.postgres, args, n) for b in backends for n in counts]
    print(report(results, args))
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    r.__dict__
                    | {
                        "hello": [x.__dict__ for x in r.hello],
                        "accept": [x.__dict__ for x in r.accept],
                        "floor": r.floor.__dict__,
                    }
                    for r in results
                ],
                indent=2,
                default=str,
            )
        )
    if any(r.stored != r.expected or r.distinct != r.expected or not r.chain_ok for r in results):
        raise SystemExit("records lost or duplicated, or the chain is broken")


if __name__ == "__main__":
    main()
