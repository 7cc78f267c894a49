"""``publisher web`` in a subprocess, started and waited for: shared by the tests that run the
service as it runs (tests/server_support.py) and the benchmarks (benchmarks/_common.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from live_server import free_port

__all__ = ["free_port", "launch_web", "stop_web"]

READY_SECONDS = 90.0
"""How long a start may take: generous, the shared machine can be very loaded."""


def launch_web(
    root: Path,
    url: str,
    *,
    workers: int = 2,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    stderr: int = subprocess.PIPE,
) -> tuple[subprocess.Popen[bytes], str]:
    """Run ``publisher -C root web --no-sync`` on a free port with ``env`` added to ours, and
    wait until ``/readyz`` answers 200: the process and its base URL. Raises RuntimeError
    (with the server's stderr when it was captured) when it exits or does not start."""
    port = free_port()
    command = [sys.executable, "-m", "publisher", "-C", str(root), "web", "--port", str(port)]
    command += ["--workers", str(workers), "--no-sync", "--database-url", url, *args]
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=stderr
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            said = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"publisher web exited: {said}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"publisher web did not start in {READY_SECONDS:.0f} s")
        time.sleep(0.1)


def stop_web(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process``; kill it when it has not exited after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
