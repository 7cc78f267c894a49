"""Benchmark: the clause diff against its peers, in one run, on the real GitHub ToS history.

On every consecutive pair of the 44 Terms of Service revisions in
``../shared/corpus/github-site-policy/github-terms-of-service`` (40–46 KB each), interleaved:

  ours        ``parse_document`` both sides + ``publisher.diff.compare`` (alignment, word
              diffs of reworded clauses, classification; no rendering);
  redlines    ``Redlines(old, new).opcodes``: the `redlines` package's word diff (no rendering);
  difflib     ``SequenceMatcher(None, old.split(), new.split()).get_opcodes()``: a bare word
              diff, no structure at all;
  parse-only  mistune's AST of both sides (same plugins as our parser): the floor for anything
              that understands the Markdown;
  (our parse) ``parse_document`` of both sides alone, to show where our time goes.

Then the whole history as the site build and ``publisher diff`` see it when warm (each
revision parsed once, 43 compares), and compare alone on parsed documents (parse cache hit).

Prints per-pair medians, totals over the 43 pairs and the ratios DESIGN sets targets for:
ours at least 2x faster than redlines, within 2x of parse-only, all 43 pairs under 1 s warm.
Run: ``python benchmarks/bench_diff.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from itertools import pairwise
from pathlib import Path

import mistune
from _common import announce
from redlines import Redlines

from publisher.diff import compare
from publisher.markdown import parse_document

CORPUS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "github-site-policy"
    / "github-terms-of-service"
)


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per measurement (median reported)"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    texts = [f.read_text(encoding="utf-8") for f in sorted(CORPUS.glob("*.md"))]
    pairs = list(pairwise(texts))
    ast = mistune.create_markdown(renderer="ast", plugins=["table", "strikethrough"])

    def ours(old: str, new: str) -> object:
        return compare(parse_document(old), parse_document(new))

    def redlines(old: str, new: str) -> object:
        return Redlines(old, new).opcodes

    def words(old: str, new: str) -> object:
        return SequenceMatcher(None, old.split(), new.split()).get_opcodes()

    def parse_only(old: str, new: str) -> object:
        return ast(old), ast(new)

    def our_parse(old: str, new: str) -> object:
        return parse_document(old), parse_document(new)

    contenders: dict[str, Callable[[str, str], object]] = {
        "ours": ours,
        "redlines": redlines,
        "difflib words": words,
        "parse-only": parse_only,
        "(our parse)": our_parse,
    }
    for run in contenders.values():  # warm up: imports, regex caches, mistune plugins
        run(*pairs[0])

    per_pair: dict[str, list[float]] = {name: [] for name in contenders}
    for old, new in pairs:  # interleaved per pair so the contenders share the noise
        for name, run in contenders.items():
            per_pair[name].append(median_seconds(lambda r=run, a=old, b=new: r(a, b), args.repeat))

    def history() -> object:
        documents = [parse_document(text) for text in texts]
        return [compare(a, b) for a, b in pairwise(documents)]

    documents = [parse_document(text) for text in texts]

    def compare_only() -> object:
        return [compare(a, b) for a, b in pairwise(documents)]

    history()
    whole = median_seconds(history, args.repeat)
    compares = median_seconds(compare_only, args.repeat)

    # The largest pair (DESIGN's "45 KB pair") once more, alone, interleaved and repeated
    # ten times as often: one pair is too short to time reliably on a busy machine.
    largest = max(range(len(pairs)), key=lambda k: len(pairs[k][0]) + len(pairs[k][1]))
    big: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeat * 10):
        for name, run in contenders.items():
            start = time.perf_counter()
            run(*pairs[largest])
            big[name].append(time.perf_counter() - start)
    big_median = {name: statistics.median(times) for name, times in big.items()}
    announce()
    print(
        f"corpus: {len(texts)} ToS revisions, {len(pairs)} consecutive pairs, "
        f"{min(map(len, texts)) // 1024}–{max(map(len, texts)) // 1024} KB each; "
        f"median of {args.repeat} runs per measurement"
    )
    print()
    print(
        f"{'contender':<14}{'median/pair':>13}{'largest pair':>14}{'43 pairs':>11}{'vs ours':>10}"
    )
    total_ours = sum(per_pair["ours"])
    for name, times in per_pair.items():
        total = sum(times)
        print(
            f"{name:<14}{statistics.median(times) * 1000:>10.1f} ms"
            f"{big_median[name] * 1000:>11.1f} ms{total:>9.2f} s"
            f"{total / total_ours:>9.2f}x"
        )
    print()
    speedup = sum(per_pair["redlines"]) / total_ours
    over_parse = total_ours / sum(per_pair["parse-only"])
    largest_over_parse = big_median["ours"] / big_median["parse-only"]
    print(
        f"largest pair: {Path(sorted(CORPUS.glob('*.md'))[largest + 1]).name} and the "
        f"one before, {len(pairs[largest][1]) // 1024} KB"
    )
    print(
        f"redlines / ours:            {speedup:.1f}x   (largest pair "
        f"{big_median['redlines'] / big_median['ours']:.1f}x; target: at least 2x)"
    )
    print(
        f"ours / parse-only:          {over_parse:.2f}x  (largest pair "
        f"{largest_over_parse:.2f}x; target: at most 2x)"
    )
    print(
        f"whole history, warm:        {whole * 1000:.0f} ms for {len(texts)} parses + "
        f"{len(pairs)} compares (target: under 1 s)"
    )
    print(
        f"compare only (parsed):      {compares * 1000:.0f} ms for {len(pairs)} compares "
        f"({compares / len(pairs) * 1000:.2f} ms each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
