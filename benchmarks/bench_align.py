"""Benchmark: clause alignment on pathological shapes, at four sizes, time and peak memory.

Shapes (synthetic, seeded), each at 500 / 1,000 / 2,000 / 4,000 clauses:

  reworded    a list of distinct bullets, every one reworded at once ("must not" → "shall not")
  identical   "1. same" × n compared with itself
  identical-1 the same list with one item removed from the middle
  bullets-1   "- You must not do that." × n with one removed
  near-dup    bullets that differ only by a number ("... clause 17 ..."), one edited every
              n/7 items (7 edited)
  alike-7     n/7 sections alike but for their number ("## 3. Restrictions" and the same six
              rules), 7 rules edited: 7 modified, no moves

Each measurement runs ``compare`` (parsing excluded) in a fresh process and reports the median
wall and CPU time over ``--repeat`` runs and the process's peak resident memory (CPU time is
the steadier figure on a shared, loaded machine). The growth exponent
is the least-squares slope of log(time) against log(n). The issue's bar: 4,000 reworded
bullets under 1 s and 200 MB, every exponent ≤ 1.2.

Run: ``python benchmarks/bench_align.py [--repeat N] [--sizes 500,1000,2000,4000]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import time

from _common import announce

SHAPES = ("reworded", "identical", "identical-1", "bullets-1", "near-dup", "alike-7")
RULES = (
    "You must not copy the software.",
    "You must not resell the Service.",
    "You must not share your password.",
    "You must not reverse engineer the software.",
    "You must not remove any notices.",
    "You must not use the Service unlawfully.",
)
WORDS = (
    "account",
    "data",
    "service",
    "content",
    "user",
    "licence",
    "party",
    "notice",
    "payment",
    "term",
    "access",
    "right",
    "law",
    "court",
    "claim",
    "fee",
    "order",
    "report",
)


def texts(shape: str, n: int) -> tuple[str, str]:
    """The old and new Markdown of one shape at size ``n``."""
    rng = random.Random(n)
    if shape == "reworded":
        # Alike as real "You must not …" lists are: every pair is above the cutoffs.
        lines = [
            f"- You must not use the Service to {rng.choice(WORDS)} or {rng.choice(WORDS)}"
            f" the {rng.choice(WORDS)} of others."
            for _ in range(n)
        ]
        old = "\n".join(lines)
        return old, old.replace("must not", "shall not")
    if shape in ("identical", "identical-1"):
        lines = ["1. same"] * n
        new = lines if shape == "identical" else lines[: n // 2] + lines[n // 2 + 1 :]
        return "\n".join(lines), "\n".join(new)
    if shape == "bullets-1":
        lines = ["- You must not do that."] * n
        return "\n".join(lines), "\n".join(lines[: n // 2] + lines[n // 2 + 1 :])
    if shape == "near-dup":
        lines = [f"- You must not use the Service for clause {i} of this list." for i in range(n)]
        new = list(lines)
        for k in range(7):
            at = (2 * k + 1) * n // 14
            new[at] = new[at].replace("use the Service", "abuse the Service")
        return "\n".join(lines), "\n".join(new)
    if shape == "alike-7":
        sections = n // 7
        edited = {(sections * (2 * k + 1) // 14, k % 6) for k in range(7)}

        def alike(edits: set[tuple[int, int]]) -> str:
            lines = []
            for s in range(sections):
                lines += [f"## {s + 1}. Restrictions", ""]
                lines += [
                    f"- {f'You must not misuse Product {s}.' if (s, r) in edits else rule}"
                    for r, rule in enumerate(RULES)
                ]
                lines.append("")
            return "\n".join(lines)

        return alike(set()), alike(edited)
    raise ValueError(shape)


def measure_one(shape: str, n: int, repeat: int) -> dict[str, float]:
    """In this process: parse both sides once, then time ``compare`` ``repeat`` times."""
    from publisher.diff import compare
    from publisher.markdown import parse_document

    old_text, new_text = texts(shape, n)
    old, new = parse_document(old_text), parse_document(new_text)
    times, cpu = [], []
    summary = ""
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = compare(old, new)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        summary = result.summary.describe()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": statistics.median(times),
        "cpu": statistics.median(cpu),
        "peak_mb": peak_kib / 1024,
        "summary": summary,
    }


def slope(sizes: list[int], seconds: list[float]) -> float:
    xs = [math.log(n) for n in sizes]
    ys = [math.log(max(s, 1e-6)) for s in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="500,1000,2000,4000")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--one", nargs=2, metavar=("SHAPE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], int(args.one[1]), args.repeat)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    announce()
    for shape in args.shapes.split(","):
        seconds, cpu = [], []
        for n in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--one", shape, str(n), "--repeat", str(args.repeat)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out)
            seconds.append(result["seconds"])
            cpu.append(result["cpu"])
            print(
                f"{shape:12} {n:6}  {result['seconds']:8.3f} s wall  {result['cpu']:8.3f} s cpu"
                f"  {result['peak_mb']:7.0f} MB  {result['summary']}",
                flush=True,
            )
        if len(sizes) > 1:
            print(
                f"{shape:12} exponent {slope(sizes, seconds):.2f} wall,"
                f" {slope(sizes, cpu):.2f} cpu",
                flush=True,
            )


if __name__ == "__main__":
    main()
