"""Benchmark: our Markdown -> clause tree parser against plain mistune parsing.

Times, side by side and interleaved in one run, on the real GitHub policies of
``../shared/corpus/github-site-policy``:

  ours      ``publisher.markdown.parse_document``: front matter, one mistune block pass
            with line stamping, inline parsing, clause tree, ids;
  mistune   ``mistune.create_markdown(renderer="ast", plugins=["table", "strikethrough"])``:
            the AST alone (the floor: we cannot parse Markdown with less work than this).

for the largest Terms of Service revision (about 45 KB) and for all 81 revisions of the
ToS and the Acceptable Use Policies. Prints medians and the ratio ours / mistune.
Run: ``python benchmarks/bench_parse.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mistune
from _common import announce, median_seconds

from publisher.markdown import parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "github-site-policy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    files = sorted(CORPUS.glob("*/*.md"))
    texts = [path.read_text("utf-8") for path in files]
    largest = max(zip(files, texts, strict=True), key=lambda pair: len(pair[1].encode()))
    markdown = mistune.create_markdown(renderer="ast", plugins=["table", "strikethrough"])

    announce(f"mistune {mistune.__version__}")
    one = largest[1]
    clauses = sum(1 for _ in parse_document(one).walk())
    print(f"\nlargest revision: {largest[0].name}, {len(one.encode()):,} bytes, {clauses} clauses")
    for _ in range(10):  # warm up
        parse_document(one)
        markdown(one)
    result = median_seconds(
        {"ours": lambda: parse_document(one), "mistune": lambda: markdown(one)}, args.repeat
    )
    print(f"  ours     {result['ours'] * 1000:7.2f} ms")
    print(f"  mistune  {result['mistune'] * 1000:7.2f} ms")
    print(f"  ratio    {result['ours'] / result['mistune']:7.2f}x")

    total = sum(len(text.encode()) for text in texts)
    print(f"\nall {len(texts)} revisions (ToS + AUP), {total / 1e6:.2f} MB")
    result = median_seconds(
        {
            "ours": lambda: [parse_document(text) for text in texts],
            "mistune": lambda: [markdown(text) for text in texts],
        },
        max(5, args.repeat // 10),
    )
    print(f"  ours     {result['ours'] * 1000:7.1f} ms")
    print(f"  mistune  {result['mistune'] * 1000:7.1f} ms")
    print(f"  ratio    {result['ours'] / result['mistune']:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
