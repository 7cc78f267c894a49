"""Benchmark: translation lag on a multilingual repository (20 locale folders x 52 policies,
no front matter, the layout of a browser maker's policy repository), side by side in one run:

  ours, cold    PolicyRepo with an empty document cache: families, then every translation's
                rendered source version, lag and the clauses changed since (the work of
                ``publisher translations``);
  ours, warm    the same over the disk cache the cold run filled;
  ours, list    policies() and each policy's languages (``publisher list``);
  peer          what such repositories' own scripts do: for each translation, ``git log -1
                --format=%ct -- FILE`` of the translation and of its source, "lagging" when
                the source changed later (file level only: no versions, no clauses).

Prints medians of several repetitions, the ratios and peak memory (tracemalloc) of ours.
Run: ``python benchmarks/bench_translations.py [--policies 52] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

from _common import announce
from translations_support import LOCALES, policy_names, policy_path

from publisher.config import Settings
from publisher.history import PolicyRepo
from publisher.translations import statuses

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(root: Path, *args: str, when: str | None = None) -> str:
    env = dict(ENV, **({"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when} if when else {}))
    return subprocess.run(
        ["git", "-C", str(root), *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def body(name: str, locale: str, revision: int, clauses: int = 12) -> str:
    lines = [f"# {name} ({locale})", ""]
    for n in range(1, clauses + 1):
        changed = " (revised)" if revision and n % 4 == revision % 4 else ""
        lines.append(f"{n}. Clause {n} of {name} in {locale}, with enough words to read{changed}.")
    return "\n".join(lines) + "\n"


def make_repo(root: Path, policies: int) -> None:
    git(root, "init", "-q", "-b", "main")
    names = policy_names(policies)
    for revision in range(3):
        for locale in LOCALES if revision == 0 else ["en", "de"] if revision == 1 else ["en"]:
            for name in names:
                path = root / policy_path(locale, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(body(name, locale, revision), encoding="utf-8")
        git(root, "add", "-A")
        git(
            root,
            "commit",
            "-q",
            "-m",
            f"revision {revision}",
            when=f"2024-0{revision + 1}-10T12:00:00+00:00",
        )


def ours(root: Path, cache: Path) -> int:
    settings = Settings(root=root, cache_dir=str(cache))
    with PolicyRepo.open(settings, warn=lambda _: None) as repo:
        found = statuses(repo, today=date(2024, 6, 1))
    return sum(s.lagging for s in found)


def ours_list(root: Path, cache: Path) -> int:
    settings = Settings(root=root, cache_dir=str(cache))
    with PolicyRepo.open(settings, warn=lambda _: None) as repo:
        return sum(len(repo.languages(p)) for p in repo.policies())


def peer(root: Path) -> int:
    lagging = 0
    for source in sorted((root / "policies" / "en").glob("*.md")):
        source_time = int(
            git(root, "log", "-1", "--format=%ct", "--", str(source.relative_to(root)))
        )
        for locale in LOCALES[1:]:
            path = f"policies/{locale}/{source.name}"
            lagging += int(git(root, "log", "-1", "--format=%ct", "--", path)) < source_time
    return lagging


def median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, caches = Path(tmp) / "repo", Path(tmp) / "caches"
        root.mkdir()
        make_repo(root, args.policies)
        files = args.policies * len(LOCALES)
        announce()
        print(f"{files} files, {args.policies * (len(LOCALES) - 1)} translations")
        counter = iter(range(1_000_000))
        cold, lagging = median(lambda: ours(root, caches / f"cold{next(counter)}"), args.repeat)
        ours(root, caches / "warm")
        warm, _ = median(lambda: ours(root, caches / "warm"), args.repeat)
        listed, _ = median(lambda: ours_list(root, caches / "warm"), args.repeat)
        theirs, peer_lagging = median(lambda: peer(root), args.repeat)
        tracemalloc.start()
        ours(root, caches / "peak")
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"ours, cold   {cold:7.2f} s  lagging: {lagging} (with clauses)")
        print(f"ours, warm   {warm:7.2f} s")
        print(f"ours, list   {listed:7.2f} s")
        print(f"peer         {theirs:7.2f} s  lagging: {peer_lagging} (file dates only)")
        print(
            f"peer / ours warm: {theirs / warm:.1f}x; peer / ours cold: {theirs / cold:.1f}x; "
            f"peak memory of ours (cold, tracemalloc): {peak:.0f} MB"
        )


if __name__ == "__main__":
    main()
