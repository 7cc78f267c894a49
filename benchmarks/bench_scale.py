"""Benchmark: the commands at scale (issue 14), side by side with the floor.

For each size (``--sizes``, commits; ``--policies`` policies) a synthetic repository is made by
``make_history.py``; then each run is one subprocess, measured by a subreaper process (CPU =
user + system of the process and of every process it started, git and the parsing pool's
workers included; wall; peak RSS of the largest single process) with its output bytes:

  floor          one ``git log`` pass (our options), one ``git cat-file --batch`` stream of every
                 policy blob, one parse of each distinct blob: what any reader must do cold;
  list cold      ``publisher list`` with no cache (output: stdout bytes);
  list warm      the same again (the cache the cold run filled);
  log            ``publisher log`` of the longest-lived policy, warm;
  build cold     ``publisher build`` of the policies of ``--build-glob`` (by default all 133;
                 ``'policies/product/policy-00[0-3]*.md'`` picks 13, with a long one, like
                 the issue's 11), no cache (output: the site's bytes; files written);
  build warm     the same build again, no new commit (every policy's pages from the page
                 cache: "policies reused");
  build +1       after one new commit rewording one clause of one of the built policies.

Prints a Markdown table (``--repeat`` runs of each, medians) with the machine, the load
before and after the benchmark and the 1-minute load when each row was taken (``load``).
Run: ``python benchmarks/bench_scale.py --sizes 500,5000``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import announce, load_average

HERE = Path(__file__).resolve().parent
PUBLISHER = [sys.executable, "-m", "publisher"]
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass(frozen=True)
class Run:
    cpu: float
    wall: float
    rss_mb: float
    output: int  # bytes
    note: str = ""
    load: float = 0.0  # the 1-minute load average when the run ended


_REAPER = """
import ctypes, json, os, resource, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
while True:  # orphans (a pool's fork server) are ours now: wait for them too
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([code.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                  code.stderr.decode(errors="replace")[-2000:]]))
"""


def measure(argv: list[str], cwd: Path, *, stdout_file: Path) -> Run:
    """Run ``argv`` to completion; its CPU, wall time, peak RSS and stdout bytes. A small
    reaper process runs it, made the subreaper of everything it starts, so that the CPU of
    processes started by a fork server (the parsing pool's workers) is counted too; peak
    RSS is the largest single process's."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _REAPER, str(stdout_file), *argv],
        cwd=cwd,
        capture_output=True,
        env={**GIT_ENV, "PYTHONHASHSEED": "0"},
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"reaper failed:\n{done.stderr.decode()}")
    code, cpu, maxrss, err = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({code}):\n{err}")
    return Run(
        cpu=cpu,
        wall=wall,
        rss_mb=maxrss / 1024,
        output=stdout_file.stat().st_size,
        load=load_average(),
    )


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def floor(repo: Path, glob: str) -> int:
    """The floor, run in its own process: returns the bytes read from git."""
    from publisher.gitlog import LOG_OPTIONS as _LOG_OPTIONS
    from publisher.history import compile_glob
    from publisher.markdown import decode_policy, parse_document

    matches = compile_glob(glob)
    log = subprocess.run(
        ["git", "log", *_LOG_OPTIONS, "main", "--"],
        cwd=repo,
        check=True,
        capture_output=True,
        env=GIT_ENV,
    ).stdout
    blobs: dict[str, str] = {}  # blob -> a path it had (for error messages)
    pending = ""  # the new blob of a raw change whose path comes next
    for token in (t.lstrip(b"\n") for t in log.split(b"\0")):
        if token.startswith(b":"):
            pending = token.split()[3].decode()
        elif pending:
            path = token.decode("utf-8", "replace")
            if matches.match(path) and set(pending) != {"0"}:
                blobs.setdefault(pending, path)
            pending = ""
    cat = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=GIT_ENV,
    )
    assert cat.stdin is not None and cat.stdout is not None
    data = cat.communicate("".join(f"{b}\n" for b in blobs).encode())[0]
    read = len(log) + len(data)
    at = 0
    for path in blobs.values():
        end = data.index(b"\n", at)
        size = int(data[at:end].split()[2])
        parse_document(decode_policy(data[end + 1 : end + 1 + size], path=path), path=path)
        at = end + 2 + size
    return read


def commit_one_edit(repo: Path, path: str) -> None:
    """One new commit rewording the first numbered clause of ``path``."""
    text = (repo / path).read_text()
    text = text.replace("1. ", "1. Notwithstanding the above, ", 1)
    (repo / path).write_text(text)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=b@example.com",
            "commit",
            "-qam",
            f"Reword the first clause of {path}",
        ],
        cwd=repo,
        check=True,
        env=GIT_ENV,
    )


def bench_size(
    work: Path, commits: int, policies: int, build_glob: str, repeat: int, with_build: bool = True
) -> list[tuple[str, Run]]:
    # made in a process of its own: a child inherits the peak RSS of its parent at fork, so
    # this process must stay small for the children's peak RSS to be theirs
    repo = work / f"repo-{commits}"
    subprocess.run(
        [
            sys.executable,
            str(HERE / "make_history.py"),
            str(repo),
            "--policies",
            str(policies),
            "--commits",
            str(commits),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cache = repo / ".publisher" / "cache"
    site = repo / "build" / "site"
    out = work / "stdout"
    rows: list[tuple[str, Run]] = []

    def median(name: str, runs: list[Run], note: str = "") -> None:
        rows.append(
            (
                name,
                Run(
                    cpu=statistics.median(r.cpu for r in runs),
                    wall=statistics.median(r.wall for r in runs),
                    rss_mb=statistics.median(r.rss_mb for r in runs),
                    output=runs[-1].output,
                    note=note or runs[-1].note,
                    load=statistics.median(r.load for r in runs),
                ),
            )
        )

    floors = []
    for _ in range(repeat):
        run = measure([sys.executable, __file__, "--floor", str(repo)], repo, stdout_file=out)
        floors.append(Run(run.cpu, run.wall, run.rss_mb, int(out.read_text()), load=run.load))
    median("floor", floors, "bytes read from git")
    cold = []
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(measure([*PUBLISHER, "list"], repo, stdout_file=out))
    median("list cold", cold, "stdout")
    median(
        "list warm",
        [measure([*PUBLISHER, "list"], repo, stdout_file=out) for _ in range(repeat)],
        "stdout",
    )
    median(
        "log",
        [measure([*PUBLISHER, "log", "policy-0001"], repo, stdout_file=out) for _ in range(repeat)],
        "stdout",
    )

    if not with_build:
        shutil.rmtree(repo)
        return rows
    build = [*PUBLISHER, "--policies", build_glob, "build", "--format", "json"]

    def build_run() -> Run:
        run = measure(build, repo, stdout_file=out)
        result = json.loads(out.read_text())
        note = (
            f"{result['versions']} versions, {result['redlines']} redlines, "
            f"{result.get('files_written', '?')} files written, "
            f"{result.get('pages_rendered', '?')} pages rendered, "
            f"{result.get('policies_reused', '?')} of {result.get('policies', '?')} "
            "policies reused"
        )
        return Run(run.cpu, run.wall, run.rss_mb, tree_bytes(site), note, run.load)

    cold = []
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(repo / "build", ignore_errors=True)
        cold.append(build_run())
    median("build cold", cold)
    median("build warm", [build_run() for _ in range(repeat)])
    after = []
    for _ in range(repeat):
        commit_one_edit(repo, "policies/product/policy-0001.md")
        after.append(build_run())
    median("build +1 commit", after)
    shutil.rmtree(repo)
    return rows


def _git_version() -> str:
    return subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,5000", help="commit counts, comma-separated")
    parser.add_argument("--policies", type=int, default=133)
    parser.add_argument("--build-glob", default="policies/**/*.md")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-build", action="store_true", help="only list and log")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor is not None:
        print(floor(args.floor, "policies/**/*.md"))
        return
    announce(_git_version())
    print()
    print("| commits | run | CPU s | x floor CPU | wall s | peak RSS MB | output | load | note |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            rows = bench_size(
                Path(tmp),
                size,
                args.policies,
                args.build_glob,
                args.repeat,
                with_build=not args.no_build,
            )
            base = rows[0][1].cpu
            for name, run in rows:
                print(
                    f"| {size:,} | {name} | {run.cpu:.2f} | {run.cpu / base:.1f} | "
                    f"{run.wall:.2f} | {run.rss_mb:.0f} | {run.output / 1e6:.2f} MB | "
                    f"{run.load:.1f} | {run.note} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
