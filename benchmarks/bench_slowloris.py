"""Benchmark: slowloris against the acceptance service, stock uvicorn against ours.

The same app (``publisher.web.server:app_from_environment``, SQLite store) is served twice in
one run, each in its own process:

  * the peer: uvicorn's own httptools protocol (what `publisher web` ran before);
  * ours: :class:`publisher.web.protocol.GuardedHttpToolsProtocol` (`publisher web`), with
    ``--header-timeout`` seconds for a request's headers.

Against each, N sockets send an unfinished request (``GET /healthz HTTP/1.1`` and part of a
header) and then one more byte every second, as a slowloris client does. Reported: how many
of them the server still holds open after 1, header-timeout + 2 and the full duration in
seconds, the latency of ordinary ``GET /healthz`` requests (a new connection each) while they
are held (median and p99 of several rounds), and the server's peak resident memory. Only
loopback addresses are used; the run is bounded by --sockets and --seconds. Run:

    python benchmarks/bench_slowloris.py [--sockets 1000] [--seconds 12] [--header-timeout 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from _common import announce, free_port

from publisher.config import load_settings
from publisher.store import migrate
from publisher.web.protocol import HEADER_TIMEOUT_ENV
from publisher.web.server import SETTINGS_ENV, settings_to_env

SERVE = """
import sys, uvicorn
from uvicorn.importer import import_from_string
protocol = sys.argv[1]
uvicorn.run("publisher.web.server:app_from_environment", factory=True, port=int(sys.argv[2]),
            http=import_from_string(protocol) if ":" in protocol else protocol,
            access_log=False, log_level="warning", server_header=False)
"""


def start(protocol: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, protocol, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server ({protocol}) did not start")


def still_open(sockets: list[socket.socket]) -> int:
    count = 0
    for sock in sockets:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            count += 1  # nothing to read: the server still holds it
            continue
        except OSError:
            continue
        if data and not data.startswith(b"HTTP/"):
            count += 1
    return count


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Outcome:
    name: str
    open_at: dict[int, int]
    p50_ms: float
    p99_ms: float
    failed: int
    rss_mib: float


def attack(name: str, protocol: str, env: dict[str, str], args: argparse.Namespace) -> Outcome:
    process, base = start(protocol, env)
    host, port = base.removeprefix("http://").split(":")
    sockets: list[socket.socket] = []
    latencies: list[float] = []
    failed = 0
    open_at: dict[int, int] = {}
    checkpoints = sorted({1, int(args.header_timeout) + 2, args.seconds})
    try:
        for _ in range(args.sockets):
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            sock.setblocking(False)
            sockets.append(sock)
        started = time.monotonic()
        second = 0
        while second < args.seconds:
            second += 1
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"a")
            with httpx.Client(timeout=10) as client:  # ordinary clients meanwhile
                for _ in range(20):
                    before = time.perf_counter()
                    try:
                        client.get(f"{base}/healthz", headers={"connection": "close"})
                        latencies.append(time.perf_counter() - before)
                    except httpx.HTTPError:
                        failed += 1
            time.sleep(max(0.0, started + second - time.monotonic()))
            if second in checkpoints:
                open_at[second] = still_open(sockets)
        rss = peak_rss_mib(process.pid)
    finally:
        for sock in sockets:
            sock.close()
        process.terminate()
        process.wait(10)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    return Outcome(
        name,
        open_at,
        statistics.median(ordered) * 1000 if ordered else float("nan"),
        p99 * 1000,
        failed,
        rss,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--header-timeout", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            Path(tmp),
            env={"PUBLISHER_SECRET_KEY": "k" * 32},
            overrides={"database_url": f"sqlite:///{tmp}/store.db"},
        )
        migrate.open_store(settings).dispose()
        env = {
            **os.environ,
            SETTINGS_ENV: settings_to_env(settings),
            HEADER_TIMEOUT_ENV: str(args.header_timeout),
        }
        outcomes = [
            attack("uvicorn httptools (peer)", "httptools", env, args),
            attack(
                "publisher web (guarded)",
                "publisher.web.protocol:GuardedHttpToolsProtocol",
                env,
                args,
            ),
        ]
    announce()
    print(
        f"{args.sockets} slowloris sockets, {args.seconds} s, header timeout "
        f"{args.header_timeout:g} s\n"
    )
    marks = sorted(outcomes[0].open_at)
    print(
        "| server | "
        + " | ".join(f"open after {m} s" for m in marks)
        + " | /healthz p50 ms | p99 ms | failed | peak RSS MiB |"
    )
    print("|---|" + "---:|" * (len(marks) + 4))
    for o in outcomes:
        print(
            f"| {o.name} | "
            + " | ".join(f"{o.open_at.get(m, 0):,}" for m in marks)
            + f" | {o.p50_ms:.1f} | {o.p99_ms:.1f} | {o.failed} | {o.rss_mib:.0f} |"
        )


if __name__ == "__main__":
    main()
