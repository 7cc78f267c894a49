"""Run the benchmarks one after another and record the conditions each ran under (issue 20).

Each benchmark runs in its own process, in sequence (never two at once: they would measure
each other), with the 1-minute load average read before and after, the child's CPU time and
peak RSS (``os.wait4``), and whether the interpreter writes bytecode. Each one's output goes
to ``OUT/<name>.txt`` and a summary table to ``OUT/SUMMARY.md`` (and stdout), so a re-run at
another load can be set beside this one. Run:

    python benchmarks/run_all.py OUT [--only bench_site,bench_accept] [--quick]

``--quick`` passes each benchmark the smaller sizes listed in :data:`QUICK` (a smoke run, not
figures to quote). PostgreSQL benchmarks need ``PUBLISHER_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

ORDER = [
    "bench_startup",
    "bench_parse",
    "bench_diff",
    "bench_history",
    "bench_cache",
    "bench_site",
    "bench_accept",
    "bench_chain",
    "bench_status",
    "bench_notices",
    "bench_same_day",
    "bench_align",
    "bench_pathological",
    "bench_formats",
    "bench_certificate",
    "bench_translations",
    "bench_slowloris",
    "bench_scale",
]
"""Every benchmark, cheapest first; ``bench_scale`` last (it generates large repositories)."""

QUICK: dict[str, list[str]] = {
    "bench_startup": ["--runs", "3"],
    "bench_parse": ["--repeat", "5"],
    "bench_history": ["--repeat", "1"],
    "bench_cache": ["--repeat", "1"],
    "bench_site": ["--cold", "1", "--warm", "1"],
    "bench_accept": ["--requests", "300", "--rounds", "1"],
    "bench_chain": ["--records", "600", "--processes", "1,2"],
    "bench_status": ["--requests", "300", "--rounds", "1", "--customers", "50"],
    "bench_notices": ["--recipients", "2000", "--rounds", "1", "--naive-seconds", "2"],
    "bench_same_day": ["--sizes", "100,200", "--repeat", "1"],
    "bench_align": ["--sizes", "100,200", "--repeat", "1"],
    "bench_pathological": ["--repeat", "1", "--only", "a"],
    "bench_formats": ["--sizes", "50", "--repeat", "1"],
    "bench_certificate": ["--sizes", "20", "--repeat", "1"],
    "bench_translations": ["--policies", "5", "--repeat", "1"],
    "bench_slowloris": ["--sockets", "50", "--seconds", "3"],
    "bench_scale": ["--sizes", "200", "--policies", "10"],
}


@dataclass(frozen=True)
class Run:
    name: str
    status: int
    wall: float
    cpu: float
    peak_mib: float
    load_before: float
    load_after: float


def load() -> float:
    return os.getloadavg()[0]


def run(name: str, args: list[str], out: Path) -> Run:
    before = load()
    start = time.perf_counter()
    with (out / f"{name}.txt").open("w") as log:
        log.write(f"# {name} {' '.join(args)}\n# load average before: {before:.2f}\n")
        log.flush()
        proc = subprocess.Popen(
            [sys.executable, str(HERE / f"{name}.py"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        after = load()
        log.write(f"# load average after: {after:.2f}\n")
    return Run(
        name=name,
        status=os.waitstatus_to_exitcode(status),
        wall=time.perf_counter() - start,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        load_before=before,
        load_after=after,
    )


def summary(runs: list[Run]) -> str:
    pyc = "off" if sys.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    cores = os.cpu_count()
    lines = [
        f"{cores} cores, Python {sys.version.split()[0]}, writing .pyc {pyc}",
        "",
        "| benchmark | exit | wall s | CPU s | peak RSS MiB (largest child) | load before → after |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.name} | {r.status} | {r.wall:.1f} | {r.cpu:.1f} | {r.peak_mib:.0f} "
            f"| {r.load_before:.2f} → {r.load_after:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for each benchmark's output")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else ORDER
    unknown = sorted(set(names) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(unknown)} (known: {', '.join(ORDER)})")
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for name in names:
        print(f"== {name} (load {load():.2f})", flush=True)
        runs.append(run(name, QUICK.get(name, []) if args.quick else [], args.out))
    table = summary(runs)
    (args.out / "SUMMARY.md").write_text(table)
    print(table)
    if any(r.status not in (0,) for r in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
