"""Benchmark: the signed evidence certificate against the bare WeasyPrint floor.

  ours   ``certificate_pdf``: collect one customer's evidence (re-hashing the accepted text),
         lay out the certificate (record, text, notices, chain proof), sign PDF + manifest
  peer   WeasyPrint alone rendering the same text in a ``<pre>`` (no evidence, no signature):
         the least any PDF of that text costs with the library we use
  verify ``verify_certificate`` of our file (signature, text hash, record hash), offline

Synthetic policies (seeded) of n numbered clauses; one acceptance in a SQLite store in a temp
folder. Medians over ``--repeat`` runs in one process; the peak resident memory is the
process's at the end (it includes both sides).

Run: ``python benchmarks/bench_certificate.py [--repeat N] [--sizes 50,200,1000]``.
"""

from __future__ import annotations

import argparse
import functools
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from html import escape
from pathlib import Path

from _common import announce
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

WORDS = ("account", "data", "service", "content", "network", "licence", "notice", "payment")


def body(n: int) -> str:
    rng = random.Random(n)
    lines = ["# Benchmark Policy", ""]
    lines += [
        f"{i + 1}. You must not misuse the " + " ".join(rng.choice(WORDS) for _ in range(14)) + "."
        for i in range(n)
    ]
    return "\n".join(lines) + "\n"


def median_ms(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="50,200,1000")
    args = parser.parse_args()

    from publisher.document import body_sha256
    from publisher.formats.pdf import html_to_pdf
    from publisher.store import migrate
    from publisher.store.certificate import certificate_pdf, verify_certificate
    from publisher.store.customers import CustomerRow, import_customers
    from publisher.store.db import Database
    from publisher.store.evidence import collect_evidence
    from publisher.store.ledger import record_acceptance
    from publisher.store.versions import VersionText, store_versions

    announce()
    key = Ed25519PrivateKey.generate()
    print(f"{'n':>6} {'ours ms':>9} {'peer ms':>9} {'ratio':>6} {'verify ms':>10} {'KB':>6}")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            database = Database.from_url(f"sqlite:///{Path(tmp) / 'store.db'}", root=Path(tmp))
            migrate.ensure_schema(database)
            text = body(n)
            store_versions(
                database,
                [
                    VersionText(
                        slug="bench",
                        label="1",
                        position=0,
                        title="Benchmark Policy",
                        summary=None,
                        effective=date(2024, 1, 1),
                        commit="1" * 40,
                        path="policies/bench.md",
                        sha256=body_sha256(text),
                        body=text,
                    )
                ],
            )
            import_customers(database, [CustomerRow(2, "c1", "ada@example.com", "Ada", "", None)])
            record_acceptance(
                database,
                customer_id="c1",
                policy="bench",
                version="1",
                method="link",
                ip="192.0.2.1",
                user_agent="Firefox",
            )

            def ours(database: Database = database) -> bytes:
                return certificate_pdf(collect_evidence(database, "c1"), [], key)

            page = (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                f"<pre>{escape(text)}</pre></body></html>"
            )
            ours()  # warm WeasyPrint's fonts once for both sides
            ours_ms = median_ms(ours, args.repeat)
            peer_ms = median_ms(functools.partial(html_to_pdf, page), args.repeat)
            data = ours()
            verify_ms = median_ms(functools.partial(verify_certificate, data), args.repeat)
            database.dispose()
        print(
            f"{n:>6} {ours_ms:>9.0f} {peer_ms:>9.0f} {ours_ms / peer_ms:>6.2f} "
            f"{verify_ms:>10.2f} {len(data) / 1024:>6.0f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
