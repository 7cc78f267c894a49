"""Benchmark: start-up of ``publisher diff OLD.md NEW.md`` and git's diff driver (issue 14).

Each command runs ``--runs`` times in a fresh process on two one-line policy files; CPU (user
+ system, through ``os.wait4``) and wall time, medians and minima, side by side with two
floors: ``python -c pass`` (the interpreter) and ``python -c "import click, mistune, yaml,
rapidfuzz"`` (the libraries any diff of two files needs). Run:
``python benchmarks/bench_startup.py`` (set PYTHONPATH to compare another checkout).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import announce


def once(argv: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp, "a.md"), Path(tmp, "b.md")
        old.write_text("# Terms\n\n1. Be kind.\n")
        new.write_text("# Terms\n\n1. Be very kind.\n")
        py = sys.executable
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "import click, mistune, yaml, rapidfuzz": [
                py,
                "-c",
                "import click, mistune, yaml, rapidfuzz",
            ],
            "publisher diff a.md b.md": [py, "-m", "publisher", "diff", str(old), str(new)],
            "diff driver": [
                py,
                "-m",
                "publisher",
                "diff-driver",
                "terms.md",
                str(old),
                "a" * 40,
                "100644",
                str(new),
                "b" * 40,
                "100644",
            ],
        }
        announce()
        print()
        print("| command | CPU median s | CPU min s | wall median s |")
        print("|---|---:|---:|---:|")
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so load changes hit every case alike
            for name, argv in cases.items():
                results[name].append(once(argv))
        for name, runs in results.items():
            cpu = [c for c, _ in runs]
            print(
                f"| {name} | {statistics.median(cpu):.3f} | {min(cpu):.3f} | "
                f"{statistics.median(w for _, w in runs):.3f} |"
            )


if __name__ == "__main__":
    main()
