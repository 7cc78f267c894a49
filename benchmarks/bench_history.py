"""Benchmark: read and parse every revision of every policy of github/site-policy.

Clones ``../shared/corpus/github-site-policy.bundle`` (344 commits, 57 policies) into a
temporary directory, then times, side by side in one run:

  ours, cold    PolicyRepo with an empty document cache: one ``git log`` pass (following
                renames), one ``cat-file --batch`` process, every revision parsed;
  ours, warm    a new PolicyRepo over the disk cache the cold run filled (nothing parsed);
  GitPython     the naive peer: for each policy file at the tip,
                ``repo.iter_commits("HEAD", paths=path, first_parent=True)``, then each
                revision's blob through GitPython's object API (``commit.tree / path``), parsed
                (no rename following, so it reads fewer revisions than we do);
  parse only    parsing the same texts already in memory: the floor for a cold read.

and, to decide whether GitPython can replace our own ``cat-file --batch`` reader (issue 13),
every blob of the policies' history read by object id through three readers:

  gitio.CatFile            ours: one ``cat-file --batch`` process, requests pipelined;
  GitPython get_object     ``repo.git.get_object_data``: GitPython's persistent
                           ``cat-file --batch``, one round trip per object;
  GitPython odb.stream     ``repo.odb.stream``: the same through GitPython's object database.

Prints medians of several repetitions and the ratios. Run: ``python benchmarks/bench_history.py``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import git as gitpython
from _common import announce

from publisher.cache import DocumentCache
from publisher.config import Settings
from publisher.gitio import CatFile
from publisher.history import PolicyRepo, compile_glob
from publisher.markdown import decode_policy, parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GLOB = "Policies/**/*.md"


def ours(root: Path, cache_dir: Path) -> int:
    """Every revision of every policy, read and parsed; returns how many."""
    settings = Settings(root=root, policies=GLOB)
    count = 0
    with PolicyRepo.open(settings, cache=DocumentCache(cache_dir)) as repo:
        for policy in repo.policies():
            for revision in policy.revisions:
                repo.document(revision)
                count += 1
    return count


def ours_git_only(root: Path) -> int:
    """Policies with their versions listed, and every revision's text read (no Markdown)."""
    settings = Settings(root=root, policies=GLOB)
    count = 0
    with PolicyRepo.open(settings, cache=DocumentCache(None)) as repo:
        for policy in repo.policies():
            for revision in policy.revisions:
                repo.read(revision)
                count += 1
    return count


def naive_gitpython(root: Path, *, parse: bool = True) -> int:
    """The peer: one rev-list per file, blobs through GitPython's object database, parsed."""
    is_policy = compile_glob(GLOB)
    repo = gitpython.Repo(root)
    count = 0
    try:
        paths = [
            item.path
            for item in repo.head.commit.tree.traverse()
            if item.type == "blob" and is_policy.match(item.path)
        ]
        for path in paths:
            for commit in repo.iter_commits("HEAD", paths=path, first_parent=True):
                text = decode_policy((commit.tree / path).data_stream.read(), path=path)
                if parse:
                    parse_document(text, path=path)
                count += 1
    finally:
        repo.close()
    return count


def policy_blobs(root: Path) -> list[str]:
    """Every distinct blob id a policy file had in the history (what a cold read fetches)."""
    out = subprocess.run(
        ["git", "-C", str(root), "log", "--raw", "--no-abbrev", "--format=", "--", "Policies"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blobs = {line.split()[3] for line in out.splitlines() if line.startswith(":")}
    return sorted(blob for blob in blobs if set(blob) != {"0"})


def read_catfile(root: Path, blobs: list[str]) -> int:
    reader = CatFile(root / ".git")
    try:
        return sum(len(o.data) for o in reader.get_many(blobs) if o is not None)
    finally:
        reader.close()


def read_gitpython(root: Path, blobs: list[str], *, odb: bool) -> int:
    repo = gitpython.Repo(root)
    try:
        if odb:
            return sum(len(repo.odb.stream(bytes.fromhex(b)).read()) for b in blobs)
        return sum(len(repo.git.get_object_data(b)[3]) for b in blobs)
    finally:
        repo.close()


def texts(root: Path) -> list[str]:
    with PolicyRepo.open(Settings(root=root, policies=GLOB), cache=DocumentCache(None)) as repo:
        return [repo.read(r) for p in repo.policies() for r in p.revisions]


def round_robin(cases: dict[str, Callable[[], int]], repeat: int) -> dict[str, tuple[float, int]]:
    """Median seconds and item count of each case, run in turn (so that load from other
    processes on a shared machine falls on all of them alike)."""
    runs: dict[str, list[float]] = {name: [] for name in cases}
    counts: dict[str, int] = {}
    for _ in range(repeat):
        for name, fn in cases.items():
            start = time.perf_counter()
            counts[name] = fn()
            runs[name].append(time.perf_counter() - start)
    return {name: (statistics.median(runs[name]), counts[name]) for name in cases}


def _git_version() -> str:
    return subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=CORPUS / "github-site-policy.bundle")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each (median)")
    args = parser.parse_args(argv)
    if not args.bundle.is_file():
        print(f"corpus bundle not found: {args.bundle}", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        root = work / "site-policy"
        subprocess.run(["git", "clone", "-q", str(args.bundle), str(root)], check=True)
        announce(_git_version(), f"GitPython {gitpython.__version__}")
        print(f"corpus: {args.bundle.name}, {args.repeat} repetitions, medians\n")

        corpus = texts(root)
        cold_dirs = iter(work / f"cold-{i}" for i in range(args.repeat))
        warm_dir = work / "warm"
        ours(root, warm_dir)  # fill the warm cache
        results = round_robin(
            {
                "ours, cold cache": lambda: ours(root, next(cold_dirs)),
                "ours, warm cache": lambda: ours(root, warm_dir),
                "GitPython, naive": lambda: naive_gitpython(root),
                "parse only (texts in memory)": lambda: len([parse_document(t) for t in corpus]),
                "ours, git only (no Markdown)": lambda: ours_git_only(root),
                "GitPython, git only": lambda: naive_gitpython(root, parse=False),
            },
            args.repeat,
        )
        print(f"{'':32} {'median':>9} {'revisions':>10} {'per revision':>13}")
        for name, (seconds, count) in results.items():
            print(f"{name:32} {seconds:8.3f}s {count:10d} {seconds / count * 1e3:10.3f} ms")

        def ratio(peer: str, mine: str) -> str:
            (p_s, p_n), (m_s, m_n) = results[peer], results[mine]
            return f"{p_s / m_s:5.2f}x total, {(p_s / p_n) / (m_s / m_n):5.2f}x per revision"

        print()
        print(f"GitPython / ours cold:    {ratio('GitPython, naive', 'ours, cold cache')}")
        print(f"GitPython / ours warm:    {ratio('GitPython, naive', 'ours, warm cache')}")
        print(
            f"git only, GitPython/ours: {ratio('GitPython, git only', 'ours, git only (no Markdown)')}"
        )
        print(
            f"ours cold / parse only:   {ratio('ours, cold cache', 'parse only (texts in memory)')}"
        )
        blobs = policy_blobs(root)
        readers = round_robin(
            {
                "gitio.CatFile (ours)": lambda: read_catfile(root, blobs),
                "GitPython get_object_data": lambda: read_gitpython(root, blobs, odb=False),
                "GitPython odb.stream": lambda: read_gitpython(root, blobs, odb=True),
            },
            args.repeat,
        )
        print(f"\nreading {len(blobs)} blobs by id ({readers['gitio.CatFile (ours)'][1]:,} bytes):")
        base = readers["gitio.CatFile (ours)"][0]
        for name, (seconds, _) in readers.items():
            print(f"{name:32} {seconds * 1e3:8.1f} ms  {seconds / base:5.2f}x ours")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
