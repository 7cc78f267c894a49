"""Benchmark: reading the on-disk caches (JSON) against pickle, the format they left.

The caches live in the policy repository (``.publisher/cache``), so they are JSON: a pickle
there would run whatever a committed file holds. This measures what that costs on the
github/site-policy corpus (``../shared/corpus/github-site-policy.bundle``, cloned into a
temporary folder), side by side in one run:

  documents   every revision of every policy (deleted ones too), parsed once, then decoded
              from the bytes of :class:`~publisher.cache.DocumentCache` entries vs
              ``pickle.loads`` of the same documents;
  site        every value the site build caches (change sets, redline and version page
              fragments), decoded by the site cache's codec vs ``pickle.loads``.

Only decoding is timed (the bytes are in memory): file reads cost the same for both. Prints
medians of several rounds, the two formats taking turns, the ratios, and the load average
and bytecode setting the figures were taken at. Run: ``python benchmarks/bench_cache.py``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from _common import announce, median_seconds

from publisher.cache import DocumentCache, decode_document, encode_document
from publisher.config import Settings
from publisher.history import PolicyRepo
from publisher.site import SiteCache, SiteOptions
from publisher.site_builder import build_site
from publisher.site_cache import _codec

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GLOB = "Policies/**/*.md"


def row(name: str, count: int, ours: float, peer: float, size: tuple[int, int]) -> None:
    print(
        f"{name:10} {count:6d} {ours * 1e3:9.0f} ms {peer * 1e3:9.0f} ms {ours / peer:7.2f}x"
        f" {size[0] / 2**20:8.1f} MiB {size[1] / 2**20:8.1f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=CORPUS / "github-site-policy.bundle")
    parser.add_argument("--repeat", type=int, default=7, help="rounds of each (median)")
    args = parser.parse_args(argv)
    if not args.bundle.is_file():
        print(f"corpus bundle not found: {args.bundle}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        root = work / "site-policy"
        subprocess.run(["git", "clone", "-q", str(args.bundle), str(root)], check=True)
        settings = Settings(root=root, policies=GLOB)
        site_cache = SiteCache(None)
        with PolicyRepo.open(settings, cache=DocumentCache(None)) as repo:
            docs = [
                repo.document(r) for p in repo.policies(include_deleted=True) for r in p.revisions
            ]
            build_site(repo, SiteOptions(), today=date(2025, 6, 1), cache=site_cache)
        # .docx redlines are stored as raw file bytes (put_bytes), not through the codec:
        # there is nothing to decode, so they are left out of the comparison.
        stored = [site_cache.get(*key.split("/", 1)) for key in list(site_cache._memory)]
        values = [v for v in stored if not isinstance(v, bytes)]
        files = len(stored) - len(values)

        doc_json = [
            json.dumps(encode_document(d), ensure_ascii=False, separators=(",", ":")).encode()
            for d in docs
        ]
        doc_pickle = [pickle.dumps(d, pickle.HIGHEST_PROTOCOL) for d in docs]
        codec = _codec()
        site_json = [codec.dumps(v) for v in values]
        site_pickle = [pickle.dumps(v, pickle.HIGHEST_PROTOCOL) for v in values]
        assert [decode_document(json.loads(b)) for b in doc_json] == docs
        assert [codec.loads(b) for b in site_json] == values

        announce()
        print(
            f"corpus: {args.bundle.name}, {args.repeat} interleaved rounds, medians of "
            f"decoding only; {files} .docx files in the site cache are raw bytes, not "
            "decoded, and left out\n"
        )
        print(
            f"{'':10} {'items':>6} {'JSON':>12} {'pickle':>12} {'ratio':>8} "
            f"{'JSON size':>12} {'pickle size':>12}"
        )
        times = median_seconds(
            {
                "documents JSON": lambda: [decode_document(json.loads(b)) for b in doc_json],
                "documents pickle": lambda: [pickle.loads(b) for b in doc_pickle],
                "site JSON": lambda: [codec.loads(b) for b in site_json],
                "site pickle": lambda: [pickle.loads(b) for b in site_pickle],
            },
            args.repeat,
        )
        row(
            "documents",
            len(docs),
            times["documents JSON"],
            times["documents pickle"],
            (sum(map(len, doc_json)), sum(map(len, doc_pickle))),
        )
        row(
            "site",
            len(values),
            times["site JSON"],
            times["site pickle"],
            (sum(map(len, site_json)), sum(map(len, site_pickle))),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
