"""Benchmark: where the time of the PostgreSQL ledger goes with 1, 2, 4 writer processes.

No HTTP: each process is what a `publisher web` process is to the ledger (its own store
connection pools and one group-commit writer, ``GroupCommit``), fed by client threads that
each record one acceptance at a time and wait for it, as the web's requests do; the clients
(``--concurrency`` in all) are shared out between the processes, as a load balancer would.
For each process count, on a fresh store:

  - records per second (all processes together), batches and the mean batch size;
  - per statement of a batch (check before the lock, link under it, flush after it): the
    median milliseconds and the share of the wall time the writers spent in it — the link's
    share, summed over processes, is how busy the head lock was (1.0: always held or waited
    for);
  - the writers' CPU per record (the Python side of the ledger, web cost excluded);
  - the records counted (every client's key exactly once) and the chain verified.

``--previous`` runs every count a second time with the append function of the revision
before ``0013_linker`` (migration ``0007_ledger_erasure``), side by side. Run:

    python benchmarks/bench_chain.py [--postgres URL] [--records 6000] [--processes 1,2,4]
        [--concurrency 16] [--previous]
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import announce, load_average, machine, pyc
from bench_accept import POLICY, fresh_database, seed
from sqlalchemy import event

from publisher.store.db import Database
from publisher.store.group_commit import GroupCommit
from publisher.store.ledger import AcceptanceRequest, records, verify_chain

STATEMENTS = {"check": "WITH r AS", "link": "SELECT item, record_id", "flush": "SELECT pg_logical"}


@dataclass
class Share:
    """One writer process's figures."""

    records: int = 0
    batches: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)


def _writer(url: str, customers: list[str], clients: int, ready: Any, start: Any, out: Any) -> None:
    """One process: a store, a group commit, ``clients`` threads recording ``customers``."""
    database = Database.from_url(url)
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for engine in (database.engine, database.autocommit_engine):

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, _cursor: Any, _sql: str, *_args: Any) -> None:
            conn.info["started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            for name, prefix in STATEMENTS.items():
                if sql.lstrip().startswith(prefix):
                    times[name].append(time.perf_counter() - conn.info["started"])

    ledger = GroupCommit(database)
    pending = iter(customers)
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                customer = next(pending, None)
            if customer is None:
                return
            ledger.record(AcceptanceRequest(customer, POLICY, "1", "link", ip="192.0.2.1"))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    with database.autocommit_engine.connect() as connection:  # connected before the clock
        connection.exec_driver_sql("SELECT 1")
    ready.put(os.getpid())
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    share = Share(
        len(customers),
        ledger.batches,
        time.perf_counter() - began,
        time.process_time() - cpu,
        times,
    )
    ledger.close()
    database.dispose()
    out.put(share)


@dataclass(frozen=True)
class Run:
    function: str
    processes: int
    per_second: float
    batches: int
    shares: list[Share]
    stored: int
    distinct: int
    chain_ok: bool

    def median_ms(self, name: str) -> float:
        values = [t for s in self.shares for t in s.times[name]]
        return statistics.median(values) * 1000 if values else 0.0

    def busy(self, name: str) -> float:
        wall = max(s.wall for s in self.shares)
        return sum(sum(s.times[name]) for s in self.shares) / wall


def run(postgres: str, processes: int, args: argparse.Namespace, *, previous: bool) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="bench-chain-"))
    with fresh_database("postgresql", postgres, workdir) as url:
        database = seed(url, workdir, args.records)
        if previous:
            before = importlib.import_module(
                "publisher.store.migrations.versions.0007_ledger_erasure"
            )
            with database.engine.begin() as connection:
                connection.exec_driver_sql(before.CREATE)
        context = multiprocessing.get_context("spawn")
        ready, start, out = context.Queue(), context.Event(), context.Queue()
        customers = [f"b{i}" for i in range(args.records)]
        clients = [args.concurrency // processes] * processes
        for i in range(args.concurrency % processes):
            clients[i] += 1
        workers = [
            context.Process(
                target=_writer,
                args=(url, customers[i::processes], clients[i], ready, start, out),
            )
            for i in range(processes)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:  # every process imported and connected before the clock starts
            ready.get()
        began = time.perf_counter()
        start.set()
        shares = [out.get() for _ in workers]
        elapsed = time.perf_counter() - began
        for worker in workers:
            worker.join()
        stored = records(database)
        result = Run(
            "before 0013" if previous else "0013_linker",
            processes,
            args.records / elapsed,
            sum(s.batches for s in shares),
            shares,
            len(stored),
            len({r.customer_id for r in stored}),
            verify_chain(database).ok,
        )
        database.dispose()
    return result


def report(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"machine: {machine()}",
        f"load average at the start: {args.load_before}, at the end: {load_average():.2f} "
        f"(1 min); {pyc()}",
        f"{args.records} records per run, {args.concurrency} clients shared out between the "
        "processes; ms: median per statement; busy: the writers' time in that statement over "
        "the wall time, summed over processes",
        "",
        f"{'function':<12} {'P':>2} {'rec/s':>7} {'batch':>6} {'check ms':>9} {'link ms':>8} "
        f"{'flush ms':>9} {'link busy':>10} {'cpu/rec ms':>11}  records",
    ]
    for r in runs:
        cpu = sum(s.cpu for s in r.shares) / max(1, sum(s.records for s in r.shares)) * 1000
        lines.append(
            f"{r.function:<12} {r.processes:>2} {r.per_second:>7.0f} "
            f"{args.records / max(1, r.batches):>6.1f} {r.median_ms('check'):>9.2f} "
            f"{r.median_ms('link'):>8.2f} {r.median_ms('flush'):>9.2f} {r.busy('link'):>10.2f} "
            f"{cpu:>11.2f}  {r.stored} stored, {args.records - r.distinct} lost, "
            f"{r.stored - r.distinct} duplicated, chain " + ("intact" if r.chain_ok else "BROKEN")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("PUBLISHER_TEST_POSTGRES_URL"))
    parser.add_argument("--records", type=int, default=6000, help="acceptances per run")
    parser.add_argument("--processes", default="1,2,4", help="writer process counts")
    parser.add_argument("--concurrency", type=int, default=16, help="clients in all")
    parser.add_argument(
        "--previous", action="store_true", help="also run the function before 0013_linker"
    )
    args = parser.parse_args()
    if not args.postgres:
        print("needs PostgreSQL: pass --postgres URL or set PUBLISHER_TEST_POSTGRES_URL")
        sys.exit(2)
    try:
        counts = [int(n) for n in args.processes.split(",")]
    except ValueError:
        parser.error(f"--processes: not a list of numbers: {args.processes!r}")
    if any(n < 1 or n > args.concurrency for n in counts):
        parser.error("--processes: each count must be between 1 and --concurrency")
    announce()
    args.load_before = f"{load_average():.2f}"
    runs = []
    for count in counts:
        runs.append(run(args.postgres, count, args, previous=False))
        if args.previous:
            runs.append(run(args.postgres, count, args, previous=True))
    print(report(runs, args))
    if any(r.stored != args.records or r.distinct != args.records or not r.chain_ok for r in runs):
        raise SystemExit("records lost or duplicated, or the chain is broken")


if __name__ == "__main__":
    main()
