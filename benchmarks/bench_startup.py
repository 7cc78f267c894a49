"""Benchmark: start-up of ``publisher diff OLD.md NEW.md`` and git's diff driver (issue 14).

Each command runs ``--runs`` times in a fresh process on two one-line policy files; CPU (user
+ system, through ``os.wait4``) and wall time, medians and minima, side by side with two
floors: ``python -c pass`` (the interpreter) and ``python -c "import click, mistune, yaml,
rapidfuzz"`` (the libraries any diff of two files needs).

A third diff row gives both files front matter (YAML loads only for a file that has it).

Every command runs in two settings, interleaved run by run so that load changes hit both
alike:

* **with bytecode** — how a pip-installed package runs: the ``publisher`` package is compiled
  first (``python -m compileall``) and the children may write and read ``.pyc`` files. They
  go to a temporary ``PYTHONPYCACHEPREFIX``, so the tree measured is left as it was.
* **.pyc off** — ``PYTHONDONTWRITEBYTECODE=1`` and no cache prefix: in an editable tree with
  no ``__pycache__`` every run compiles our modules again (the libraries keep the bytecode
  pip wrote for them).

The issue's target is a CPU median under 0.15 s with bytecode. Run:
``python benchmarks/bench_startup.py [--runs N]`` (set PYTHONPATH to compare another
checkout).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from _common import announce

TARGET = 0.15
"""Seconds of CPU (median, with bytecode) that the two diff commands must start in."""

MODES = ("with bytecode", ".pyc off")


def once(argv: list[str], env: Mapping[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env),
        cwd=tempfile.gettempdir(),  # not a checkout: `python -m` would import the one here
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed")
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - start


def environments(cache: Path) -> dict[str, dict[str, str]]:
    """The children's environment in each mode (see the module doc)."""
    plain = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    return {
        "with bytecode": {**plain, "PYTHONPYCACHEPREFIX": str(cache)},
        ".pyc off": {**plain, "PYTHONDONTWRITEBYTECODE": "1"},
    }


def package_dir(env: Mapping[str, str]) -> Path:
    """The ``publisher`` package the children import (PYTHONPATH decides)."""
    done = subprocess.run(
        [sys.executable, "-c", "import publisher; print(publisher.__file__)"],
        env=dict(env),
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).parent


def compile_package(package: Path, env: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], env=dict(env), check=True
    )


def cases(old: Path, new: Path, old_fm: Path, new_fm: Path) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python -c pass": [py, "-c", "pass"],
        "import click, mistune, yaml, rapidfuzz": [
            py,
            "-c",
            "import click, mistune, yaml, rapidfuzz",
        ],
        "publisher diff a.md b.md": [py, "-m", "publisher", "diff", str(old), str(new)],
        "the same with front matter": [py, "-m", "publisher", "diff", str(old_fm), str(new_fm)],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp, "a.md"), Path(tmp, "b.md")
        old.write_text("# Terms\n\n1. Be kind.\n")
        new.write_text("# Terms\n\n1. Be very kind.\n")
        old_fm, new_fm = Path(tmp, "fm-a.md"), Path(tmp, "fm-b.md")
        for plain, with_front_matter in ((old, old_fm), (new, new_fm)):
            with_front_matter.write_text(
                '---\ntitle: Terms\nversion: "1"\n---\n' + plain.read_text()
            )
        envs = environments(Path(tmp, "pycache"))
        package = package_dir(envs["with bytecode"])
        compile_package(package, envs["with bytecode"])
        commands = cases(old, new, old_fm, new_fm)
        announce()
        print(f"measuring {package}")
        if any(package.rglob("__pycache__")):
            print(f"note: {package} holds __pycache__ folders: the .pyc-off runs read them")
        for argv in commands.values():  # the libraries' and stdlib's bytecode, into the cache
            once(argv, envs["with bytecode"])
        results: dict[tuple[str, str], list[tuple[float, float]]] = {
            (name, mode): [] for name in commands for mode in MODES
        }
        for _ in range(args.runs):  # interleaved, so load changes hit every case alike
            for name, argv in commands.items():
                for mode in MODES:
                    results[name, mode].append(once(argv, envs[mode]))
        print()
        print(
            "| command | with bytecode: CPU median s | CPU min s | wall median s "
            "| .pyc off: CPU median s | CPU min s | wall median s | .pyc off costs s |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        medians: dict[tuple[str, str], float] = {}
        for name in commands:
            cells = []
            for mode in MODES:
                runs = results[name, mode]
                cpu = [c for c, _ in runs]
                medians[name, mode] = statistics.median(cpu)
                cells += [
                    f"{medians[name, mode]:.3f}",
                    f"{min(cpu):.3f}",
                    f"{statistics.median(w for _, w in runs):.3f}",
                ]
            extra = medians[name, ".pyc off"] - medians[name, "with bytecode"]
            print(f"| {name} | {' | '.join(cells)} | {extra:+.3f} |")
        print()
        for name in ("publisher diff a.md b.md", "the same with front matter", "diff driver"):
            cpu = medians[name, "with bytecode"]
            verdict = "met" if cpu < TARGET else "NOT met"
            print(f"{name}: {cpu:.3f} s CPU median with bytecode, target {TARGET} s {verdict}")


if __name__ == "__main__":
    main()
