"""Benchmark: the whole public site of github/site-policy (57 policies, every version, every
redline) — cold build, and warm rebuild after one new commit — against a plain mkdocs build of
the same 57 current pages without history, in one run.

The corpus bundle (../shared/corpus/github-site-policy.bundle, 344 commits) is cloned into a
temporary folder. Each measurement runs the real command in its own process, as a user would:

  * cold: ``publisher build`` with an empty cache (history, every parse, every diff, every
    page);
  * warm: a new commit changes one clause of the largest policy (the Terms of Service, 45 KB
    and 40+ versions: the worst case, its redlines to the new current version are all new),
    then ``publisher build`` again with the cache of the previous builds;
  * peer: ``mkdocs build`` of a docs folder holding the 57 current policies as plain Markdown
    pages, the same theme, no plugin (what a site without history costs).

Every build uses the default ``mkdocs`` theme and no search plugin (search indexes every page:
its cost is reported separately with --search). Prints wall-clock and CPU medians, and ratios.

    python benchmarks/bench_site.py [--cold 3] [--warm 5] [--search] [--theme mkdocs|material]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import announce

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLE = REPO_ROOT.parent / "shared" / "corpus" / "github-site-policy.bundle"
POLICIES = "Policies/**/*.md"
CHANGED = "Policies/github-terms/github-terms-of-service.md"


@dataclass
class Run:
    wall: float
    cpu: float
    output: str


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command; wall-clock seconds and the CPU seconds (user + sys) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, proc.stdout)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True
    ).stdout


OPTIONS: dict[str, object] = {}
"""Extra options of the policies plugin (--option KEY=VALUE)."""


def write_site_config(where: Path, repo: Path, cache: Path, theme: str, search: bool) -> Path:
    docs = where / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# GitHub site policy\n\n<!-- policies -->\n")
    plugins = (["search"] if search else []) + [
        {
            "policies": {
                "repo": str(repo),
                "policies": POLICIES,
                "cache_dir": str(cache),
                **OPTIONS,
            }
        }
    ]
    config = {
        "site_name": "GitHub site policy",
        "site_url": "https://policies.example.com/",
        "docs_dir": str(docs),
        "site_dir": str(where / "out"),
        "theme": {"name": theme},
        "plugins": plugins,
    }
    path = where / "mkdocs.yml"
    path.write_text(json.dumps(config, indent=1))
    return path


def write_plain_config(where: Path, repo: Path, theme: str, search: bool) -> Path:
    """The peer: the 57 current policies as plain Markdown pages, no history."""
    docs = where / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# GitHub site policy\n")
    files = [p for p in git(repo, "ls-files", "Policies").splitlines() if p.endswith(".md")]
    for name in files:
        target = docs / Path(name).relative_to("Policies")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / name, target)
    config = {
        "site_name": "GitHub site policy",
        "site_url": "https://policies.example.com/",
        "docs_dir": str(docs),
        "site_dir": str(where / "out"),
        "theme": {"name": theme},
        "plugins": ["search"] if search else [],
    }
    path = where / "mkdocs.yml"
    path.write_text(json.dumps(config, indent=1))
    return path


CHANGE = re.compile(r"at least \d+ days prior to the change")


def commit_change(repo: Path, n: int) -> None:
    """One new version of the Terms of Service: one clause changes its notice period."""
    path = repo / CHANGED
    text = path.read_text(encoding="utf-8")
    changed, count = CHANGE.subn(f"at least {30 + n} days prior to the change", text, count=1)
    if count != 1:
        sys.exit(f"cannot find {CHANGE.pattern!r} in {CHANGED}")
    path.write_text(changed, encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"Bench: change the notice period in the ToS ({n})")


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def publisher_build(config: Path, repo: Path) -> tuple[Run, dict[str, object]]:
    result = run(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(repo),
            "build",
            "-f",
            str(config),
            "--format",
            "json",
        ],
        cwd=config.parent,
    )
    return result, json.loads(result.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", type=int, default=3, help="cold builds (default 3)")
    parser.add_argument("--warm", type=int, default=5, help="warm rebuilds (default 5)")
    parser.add_argument("--theme", default="mkdocs", help="mkdocs theme (mkdocs, material)")
    parser.add_argument("--search", action="store_true", help="enable the search plugin")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the policies plugin (VALUE as YAML/JSON: docx=false, "
        "redline_window=all)",
    )
    args = parser.parse_args()
    for item in args.option:
        key, _, value = item.partition("=")
        try:
            OPTIONS[key] = json.loads(value)
        except ValueError:
            OPTIONS[key] = value
    if not BUNDLE.is_file():
        sys.exit(f"corpus bundle not found at {BUNDLE} (see ../shared/corpus/README.md)")

    announce()
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp_name:
        tmp = Path(tmp_name)
        repo = tmp / "site-policy"
        subprocess.run(["git", "clone", "-q", str(BUNDLE), str(repo)], check=True)
        plain = write_plain_config(tmp / "plain", repo, args.theme, args.search)

        cold: list[Run] = []
        info: dict[str, object] = {}
        for i in range(args.cold):
            cache = tmp / f"cache-cold-{i}"
            config = write_site_config(tmp / f"cold-{i}", repo, cache, args.theme, args.search)
            result, info = publisher_build(config, repo)
            cold.append(result)
            print(
                f"cold {i + 1}: {result.wall:6.2f} s wall, {result.cpu:6.2f} s CPU  "
                f"({info['pages']} pages, {info['files']} files, {info['versions']} versions, "
                f"{info['redlines']} redlines, {info['computed_redlines']} computed, "
                f"{info.get('redirects', 0)} redirects; output "
                f"{tree_bytes(Path(str(info['site_dir']))) / 1e6:.1f} MB)"
            )

        warm: list[Run] = []
        peer: list[Run] = []
        config = write_site_config(
            tmp / "warm", repo, tmp / "cache-cold-0", args.theme, args.search
        )
        publisher_build(config, repo)  # the warm cache is in place
        same, data = publisher_build(config, repo)
        print(
            f"no change: {same.wall:6.2f} s wall, {same.cpu:6.2f} s CPU  "
            f"({data['files_written']} files written, {data['pages_rendered']} pages rendered)"
        )
        for i in range(args.warm):
            commit_change(repo, i + 1)
            result, data = publisher_build(config, repo)
            warm.append(result)
            peer_run = run(
                [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(plain)], cwd=plain.parent
            )
            peer.append(peer_run)
            print(
                f"warm {i + 1}: {result.wall:6.2f} s wall, {result.cpu:6.2f} s CPU  "
                f"({data['computed_redlines']} redlines computed, "
                f"{data['pages_rendered']} pages rendered)   "
                f"plain mkdocs: {peer_run.wall:5.2f} s wall, {peer_run.cpu:5.2f} s CPU"
            )

    def med(runs: list[Run], what: str) -> float:
        return statistics.median(getattr(r, what) for r in runs)

    print()
    print(
        f"| build ({args.theme} theme{', search' if args.search else ''}) "
        "| wall s (median) | CPU s (median) | vs plain mkdocs (wall) |"
    )
    print("|---|---:|---:|---:|")
    rows = [
        ("policy site, cold (empty cache)", cold),
        ("policy site, warm (one new commit)", warm),
        ("plain mkdocs, 57 current pages", peer),
    ]
    for name, runs in rows:
        print(
            f"| {name} | {med(runs, 'wall'):.2f} | {med(runs, 'cpu'):.2f} | "
            f"{med(runs, 'wall') / med(peer, 'wall'):.1f}x |"
        )
    print(
        f"\nsite: {info.get('pages')} HTML pages + {info.get('files')} feed/API files; "
        f"{info.get('versions')} versions, {info.get('redlines')} redlines. "
        f"targets: cold < 60 s, warm < 5 s."
    )


if __name__ == "__main__":
    main()
