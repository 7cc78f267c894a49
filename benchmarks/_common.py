"""What every benchmark shares: a description of the machine, the conditions a figure was
taken under (1-minute load average before and after, whether bytecode is written), the
interleaved timing loop, and ``publisher web`` started in a subprocess.

Every benchmark calls :func:`announce` first: it prints the machine and the load average
before, and, when the benchmark ends, the load average after; so every figure printed
between the two lines states its conditions. The tests' helper modules (``tests/``) are
importable from here (the web start and the synthetic generators live there, beside the
tests that use them too).
"""

from __future__ import annotations

import atexit
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from web_process import free_port, launch_web, stop_web  # noqa: E402

__all__ = [
    "ROOT",
    "announce",
    "conditions",
    "free_port",
    "launch_web",
    "load_average",
    "machine",
    "median_seconds",
    "pyc",
    "stop_web",
]


def _cpu_model() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "unknown CPU"
    for line in lscpu.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _memory() -> str:
    try:
        return f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    except (ValueError, OSError):
        return "? GiB"


def machine(*extras: str) -> str:
    """``2 cores (CPU model), 8 GiB, Python 3.11.2`` and ``extras`` (library versions)."""
    parts = [f"{os.cpu_count()} cores ({_cpu_model()})", _memory()]
    parts += [f"Python {platform.python_version()}", *extras]
    return ", ".join(parts)


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def pyc() -> str:
    """``.pyc on`` when this interpreter writes bytecode, else ``.pyc off``."""
    return ".pyc off" if sys.dont_write_bytecode else ".pyc on"


def conditions(when: str) -> str:
    """``load average 1.23 (1 min) before; .pyc on`` (``when`` is "before" or "after")."""
    return f"load average {load_average():.2f} (1 min) {when}; {pyc()}"


_announced: list[bool] = []


def announce(*extras: str) -> None:
    """Print the machine and the conditions now; at exit, print the conditions after."""
    print(f"machine: {machine(*extras)}")
    print(conditions("before"), flush=True)
    if not _announced:
        _announced.append(True)
        atexit.register(lambda: print(conditions("after"), flush=True))


def median_seconds(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each callable, alternating between them to share the noise."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}
