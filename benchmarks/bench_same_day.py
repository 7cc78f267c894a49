"""Benchmark: many commits on one day (issue 20 item 3), version labels in one pass.

Builds synthetic histories with ``git fast-import``: one policy changed in every commit, at
four sizes, all commits on one day or one commit a day. Then times a warm read
(``PolicyRepo.policies()`` over a filled document cache, so the labelling shows rather
than the parsing), contenders interleaved in each repetition:

  ours, same day        the one-pass labels (YYYY-MM-DD, .2, .3 …);
  quadratic, same day   the labelling before issue 20 (probe .2, .3 … from the start for
                        each new version), put back for the run: the peer;
  ours, spread          the same number of commits, one a day: the floor.

Prints medians, the growth exponent between the smallest and the largest size, and the
peak traced memory of one read at the largest size. Run:
``python benchmarks/bench_same_day.py`` (``--sizes 500,1000`` for a quick look).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from _common import announce

import publisher.history.versions as versions
from publisher.config import Settings
from publisher.history import PolicyRepo

DAY = 86_400
START = 1_717_200_000  # 2024-06-01 00:00:00 UTC


def make_history(path: Path, commits: int, *, step: int) -> None:
    """``commits`` commits, ``step`` seconds apart, each changing policies/terms.md."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(path)], check=True, env=env)
    stream: list[str] = []
    for i in range(commits):
        body = f"# Terms\n\n1. Rule number {i} applies.\n2. Be kind.\n"
        message = f"Terms change {i}\n"
        stream += [
            "commit refs/heads/main\n",
            f"committer Alice <alice@example.com> {START + i * step} +0000\n",
            f"data {len(message.encode())}\n{message}",
            f"M 100644 inline policies/terms.md\ndata {len(body.encode())}\n{body}\n",
        ]
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=path,
        check=True,
        env=env,
        input="".join(stream).encode(),
    )


def read(path: Path) -> int:
    with PolicyRepo.open(Settings(root=path)) as repo:
        return sum(len(p.versions) for p in repo.policies())


class _Quadratic:
    """The labelling before issue 20: every new label probes from ``.2`` on."""

    def __init__(self, taken: dict[str, object]) -> None:
        self._taken = taken

    def next(self, day: date) -> str:
        label, n = day.isoformat(), 1
        while label in self._taken:
            n += 1
            label = f"{day.isoformat()}.{n}"
        return label


@contextmanager
def quadratic_labels() -> Iterator[None]:
    ours = versions._DateLabels
    versions._DateLabels = _Quadratic  # type: ignore[misc, assignment]
    try:
        yield
    finally:
        versions._DateLabels = ours  # type: ignore[misc]


def timed(run: Callable[[], int]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def peak_mib(run: Callable[[], int]) -> float:
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="625,1250,2500,5000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    announce()
    medians: dict[str, list[float]] = {
        "ours, same day": [],
        "quadratic, same day": [],
        "ours, spread": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            same, spread = Path(tmp) / f"same-{size}", Path(tmp) / f"spread-{size}"
            make_history(same, size, step=1)
            make_history(spread, size, step=DAY)
            assert read(same) == size and read(spread) == size  # fills the caches

            def quadratic(path: Path = same) -> int:
                with quadratic_labels():
                    return read(path)

            runs: dict[str, Callable[[], int]] = {
                "ours, same day": lambda path=same: read(path),
                "quadratic, same day": quadratic,
                "ours, spread": lambda path=spread: read(path),
            }
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.repeat):
                for name, run in runs.items():  # interleaved
                    times[name].append(timed(run))
            row = [f"{size:>6} commits"]
            for name in runs:
                median = statistics.median(times[name])
                medians[name].append(median)
                row.append(f"{name}: {median:7.3f} s")
            print("  ".join(row), flush=True)
            if size == sizes[-1]:
                print(
                    "peak traced memory at the largest size: "
                    + ", ".join(f"{name} {peak_mib(run):.0f} MiB" for name, run in runs.items())
                )
    if len(sizes) > 1:
        scale = math.log(sizes[-1] / sizes[0])
        print(
            "growth exponent (smallest to largest): "
            + ", ".join(
                f"{name} {math.log(m[-1] / m[0]) / scale:.2f}" for name, m in medians.items()
            )
        )
        print(
            f"quadratic / ours at {sizes[-1]}: "
            f"{medians['quadratic, same day'][-1] / medians['ours, same day'][-1]:.1f}x"
        )


if __name__ == "__main__":
    main()
