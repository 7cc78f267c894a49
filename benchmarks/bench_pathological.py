"""Benchmark: pathological inputs, and how each one's time grows with its size.

Every shape runs our code and its peer side by side, interleaved, in one run; medians of
``--repeat`` rounds, then a separate round under ``tracemalloc`` for the peak of Python
memory. The growth exponent k of t ~ n^k is fitted (least squares on log t, log n) per shape
and contender: 1 is linear, 2 quadratic.

(a) issue 11 item 2, lint and parser shapes at 10k / 50k / 100k characters: "[" x n, a
    heading "1.1.1…", "Section 1 and 2 and …", "![" x n, "<!--" x n, "\\[" x n:
      lint      ``lint_source`` (front matter, numbering, dangling references) and the
                ``policy-link`` rule on one policy: what the pre-receive hook runs per file;
      parse     ``publisher.markdown.parse_document``;
      mistune   ``mistune.create_markdown(renderer="ast", plugins=["table",
                "strikethrough"])`` on the same text (the peer: no parse can do less).
(b) issue 11 item 3, at 500 / 1,000 / 2,000 / 4,000 clauses: ``compare`` of "1. same" x N
    against itself, and against itself with one clause removed;
(c) issue 20 item 1: a bullet list with "must not" on every bullet, against the same list
    with "shall not";
(d) issue 20 item 2: near-identical bullets against a copy with 7 of them edited;
      compare   parse both texts and ``publisher.diff.compare``;
      mistune   mistune parsing both texts.
(e) issue 20 item 3: N commits of one policy on one day (built with ``git fast-import`` in a
    temporary directory), ``PolicyRepo(...).policies()`` with an empty document cache (cold)
    and again with the cache filled (warm); peers: the same history spread over N days
    (cold and warm), and mistune parsing the N revisions' texts.

Run: ``python benchmarks/bench_pathological.py [--repeat N] [--only a,b,…] [--budget S]``.
A contender whose median passes ``--budget`` seconds at one size is not run at the larger
ones (printed "skipped"); its exponent is fitted on the sizes it ran.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mistune
from _common import announce, median_seconds

from publisher.config import load_settings
from publisher.diff import compare
from publisher.document import Document
from publisher.history import PolicyRepo
from publisher.lint.links import policy_link_findings
from publisher.lint.repository import LintTarget, lint_source
from publisher.markdown import parse_document

TEXT_SIZES = (10_000, 50_000, 100_000)
CLAUSE_SIZES = (500, 1_000, 2_000, 4_000)
FRONT = "---\ntitle: Shapes\n---\n"

MARKDOWN = mistune.create_markdown(renderer="ast", plugins=["table", "strikethrough"])


# --------------------------------------------------------------------------- measuring


def peak_mib(run: Callable[[], object]) -> float:
    """Peak Python memory (tracemalloc) of one run, in MiB."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def exponent(points: list[tuple[int, float]]) -> float | None:
    """k of t ~ n^k, least squares on the logs (None with fewer than two points)."""
    points = [(n, t) for n, t in points if t > 0]
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


class Shape:
    """One shape: its contenders' medians and peaks per size, printed as they come."""

    def __init__(self, name: str, unit: str) -> None:
        self.name = name
        self.unit = unit
        self.points: dict[str, list[tuple[int, float]]] = {}
        self.over: set[str] = set()
        print(f"\n{name}")
        print(f"  {unit:>9}  {'contender':10} {'median s':>10} {'peak MiB':>9}")

    def measure(
        self, size: int, runs: dict[str, Callable[[], object]], repeat: int, budget: float
    ) -> None:
        skipped = [name for name in runs if name in self.over]
        live = {name: run for name, run in runs.items() if name not in self.over}
        for run in live.values():  # warm up (imports, caches of the regex engine)
            run()
        medians = median_seconds(live, repeat)
        for name, run in live.items():
            peak = peak_mib(run)
            self.points.setdefault(name, []).append((size, medians[name]))
            print(f"  {size:>9,}  {name:10} {medians[name]:10.4f} {peak:9.1f}", flush=True)
            if medians[name] > budget:
                self.over.add(name)
        for name in skipped:
            print(f"  {size:>9,}  {name:10} {'skipped':>10} (over the budget at a smaller size)")

    def summary(self) -> None:
        fitted = ", ".join(
            f"{name} n^{k:.2f}"
            for name, points in self.points.items()
            if (k := exponent(points)) is not None
        )
        print(f"  growth: {fitted}")


# --------------------------------------------------------------------------- (a) lint


def _repeat(piece: str, size: int, prefix: str = "") -> str:
    return prefix + piece * ((size - len(prefix)) // len(piece)) + "\n"


LINT_SHAPES: dict[str, Callable[[int], str]] = {
    '"[" x n': lambda n: _repeat("[", n),
    'heading "## 1.1.1…"': lambda n: _repeat("1.", n, "## ") + "1 x\n",
    '"Section 1 and 2 and …"': lambda n: _repeat(" and 2", n, "See Section 1") + ".\n",
    '"![" x n': lambda n: _repeat("![", n),
    '"<!--" x n': lambda n: _repeat("<!--", n),
    '"\\[" x n': lambda n: _repeat("\\[", n),
}


class _OnePolicy:
    """The link check's view of a repository holding just this policy."""

    def slugs(self) -> set[str]:
        return {"shapes"}

    def slug_at(self, path: str) -> str | None:
        return "shapes" if path == "policies/shapes.md" else None

    def exists(self, path: str) -> bool:
        return path == "policies/shapes.md"

    def labels(self, slug: str) -> set[str]:
        return set()

    def document_of(self, slug: str, label: str | None = None) -> Document | None:
        return None


def lint_text(source: str) -> None:
    document, _ = lint_source(LintTarget("policies/shapes.md", source))
    if document is not None:
        policy_link_findings(document, source, "policies/shapes.md", _OnePolicy())


def bench_lint(repeat: int, budget: float) -> None:
    for name, make in LINT_SHAPES.items():
        shape = Shape(f"(a) {name}", "chars")
        for size in TEXT_SIZES:
            text = FRONT + make(size)
            shape.measure(
                size,
                {
                    "lint": lambda text=text: lint_text(text),  # type: ignore[misc]
                    "parse": lambda text=text: parse_document(text),  # type: ignore[misc]
                    "mistune": lambda text=text: MARKDOWN(text),  # type: ignore[misc]
                },
                repeat,
                budget,
            )
        shape.summary()


# --------------------------------------------------------------------------- (b)-(d) diff


def _compare_runs(old: str, new: str) -> dict[str, Callable[[], object]]:
    return {
        "compare": lambda: compare(parse_document(old), parse_document(new)),
        "mistune": lambda: (MARKDOWN(old), MARKDOWN(new)),
    }


def _same(n: int) -> str:
    return "# Terms\n\n" + "1. same\n" * n


def _bullets(n: int, verb: str) -> str:
    return "# Terms\n\n" + "".join(
        f"- Customers {verb} resell capacity of region {i}.\n" for i in range(n)
    )


def _near_identical(n: int, edited: Collection[int] = ()) -> str:
    lines = []
    for i in range(n):
        text = "- The customer must keep the credentials of the account secret."
        if i in edited:
            text = "- The customer must keep the credentials of each account secret."
        lines.append(text + "\n")
    return "# Terms\n\n" + "".join(lines)


DIFF_SHAPES: dict[str, Callable[[int], tuple[str, str]]] = {
    '(b) "1. same" x N against itself': lambda n: (_same(n), _same(n)),
    '(b) "1. same" x N, one removed': lambda n: (_same(n), _same(n - 1)),
    '(c) N bullets, "must not" -> "shall not" on each': lambda n: (
        _bullets(n, "must not"),
        _bullets(n, "shall not"),
    ),
    "(d) N near-identical bullets, 7 edited": lambda n: (
        _near_identical(n),
        _near_identical(n, {n * k // 8 for k in range(1, 8)}),
    ),
}


def bench_diff(repeat: int, budget: float, only: str) -> None:
    for name, make in DIFF_SHAPES.items():
        if name[1] not in only:
            continue
        shape = Shape(name, "clauses")
        for size in CLAUSE_SIZES:
            old, new = make(size)
            shape.measure(size, _compare_runs(old, new), repeat, budget)
        shape.summary()


# --------------------------------------------------------------------------- (e) history


def _fast_import(root: Path, n: int, same_day: bool) -> list[str]:
    """A repository at ``root`` with ``n`` commits of policies/terms.md, each changing its
    body, all on 2024-03-07 (``same_day``) or one a day; the revisions' texts."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    start = datetime(2024, 3, 7, 0, 0, tzinfo=UTC)
    texts: list[str] = []
    stream: list[bytes] = []
    for i in range(n):
        when = start + (timedelta(seconds=i * 86_400 / (n + 1)) if same_day else timedelta(days=i))
        text = f"# Terms\n\n1. Pay within {i + 1} days.\n2. Keep your password safe.\n"
        texts.append(text)
        data = text.encode()
        message = f"Revise the terms ({i + 1})\n".encode()
        stamp = f"{int(when.timestamp())} +0000"
        stream += [
            b"commit refs/heads/main\n",
            f"committer Alice Example <alice@example.com> {stamp}\n".encode(),
            b"data %d\n" % len(message),
            message,
        ]
        # No "from": each commit continues the branch's tip in this import.
        stream += [b"M 100644 inline policies/terms.md\n", b"data %d\n" % len(data), data, b"\n"]
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"],
        input=b"".join(stream),
        check=True,
        env=env,
    )
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True, env=env)
    return texts


@contextmanager
def _history(n: int, same_day: bool) -> Iterator[tuple[Path, list[str]]]:
    with tempfile.TemporaryDirectory(prefix="bench-pathological-") as tmp:
        root = Path(tmp) / "repo"
        yield root, _fast_import(root, n, same_day)


def _policies(root: Path, cache: Path, cold: bool) -> Callable[[], object]:
    def run() -> object:
        if cold:
            subprocess.run(["rm", "-rf", str(cache)], check=True)
        settings = load_settings(root, overrides={"cache_dir": str(cache)})
        with PolicyRepo.open(settings) as repo:
            return repo.policies()

    return run


def bench_history(repeat: int, budget: float) -> None:
    shape = Shape("(e) N commits of one policy on one day: PolicyRepo(...).policies()", "commits")
    for size in CLAUSE_SIZES:
        with _history(size, True) as (day_root, texts), _history(size, False) as (spread, _):
            day_cache, spread_cache = day_root.parent / "cache", spread.parent / "cache"
            _policies(day_root, day_cache, cold=False)()
            _policies(spread, spread_cache, cold=False)()
            shape.measure(
                size,
                {
                    "one-day cold": _policies(day_root, day_cache, cold=True),
                    "one-day warm": _policies(day_root, day_cache, cold=False),
                    "days cold": _policies(spread, spread_cache, cold=True),
                    "days warm": _policies(spread, spread_cache, cold=False),
                    "mistune": lambda texts=texts: [MARKDOWN(t) for t in texts],  # type: ignore[misc]
                },
                repeat,
                budget,
            )
    shape.summary()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="abcde", help="which groups to run, e.g. 'a' or 'bcd'")
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds after which a contender skips the larger sizes",
    )
    args = parser.parse_args()
    announce(f"mistune {mistune.__version__}")
    if "a" in args.only:
        bench_lint(args.repeat, args.budget)
    if set("bcd") & set(args.only):
        bench_diff(args.repeat, args.budget, args.only)
    if "e" in args.only:
        bench_history(args.repeat, args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
