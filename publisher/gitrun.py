"""Running git: the environment it runs in, one-shot commands (:func:`run_git`) and their
errors (:class:`~publisher.errors.GitError` carrying git's stderr and a hint)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from publisher.errors import GitError

#: Environment variables that would point git at another repository than the one we open
#: (git hooks set some of them); object-directory variables are kept on purpose, since a
#: pre-receive hook's quarantine needs them.
_LOCATING_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX")

#: git's object caches, bounded for the long reads of a whole history (``git log`` over every
#: commit, ``cat-file`` of every blob): by default git keeps up to 96 MiB of delta bases and
#: maps whole pack files, so its memory grows with the repository (about 100 MB for the log
#: of 20,000 commits, 160 MB for reading their blobs). Reading newest first, as the history
#: does, smaller caches cost no time (BENCHMARKS.md, "History at scale").
LOG_CACHES = (
    "-c",
    "core.deltaBaseCacheLimit=2m",
    "-c",
    "core.packedGitWindowSize=1m",
    "-c",
    "core.packedGitLimit=8m",
)
BLOB_CACHES = (
    "-c",
    "core.deltaBaseCacheLimit=16m",
    "-c",
    "core.packedGitWindowSize=1m",
    "-c",
    "core.packedGitLimit=32m",
)

GIT_MISSING_HINT = "install git (2.31 or newer) and make sure it is on PATH"


def git_env() -> dict[str, str]:
    """The environment git runs in: ours, minus what would redirect it to another repository,
    with a stable language for messages and no interactive prompts."""
    env = {k: v for k, v in os.environ.items() if k not in _LOCATING_VARS}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def first_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    input: bytes | None = None,
    what: str | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run ``git <args>`` in ``cwd`` and return its stdout.

    Raises :class:`GitError` carrying git's stderr when git fails, and a clear error when git
    is not installed. ``what`` names the operation in the message ("cannot <what>: …");
    ``env`` adds variables to :func:`git_env` (e.g. ``GIT_INDEX_FILE`` in a hook).
    """
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            env={**git_env(), **(env or {})},
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH", hint=GIT_MISSING_HINT) from exc
    if proc.returncode != 0:
        stderr = decode(proc.stderr)
        prefix = f"cannot {what}: " if what else f"git {args[0]} failed: "
        raise GitError(prefix + first_line(stderr), stderr=stderr)
    return proc.stdout


def diff_color_wanted(cwd: Path, *, terminal: bool) -> bool:
    """Whether git colours diffs here (``color.diff``, else ``color.ui``; ``auto`` means
    colour when ``terminal``: stdout is a terminal, or git's pager). False when git cannot
    say (outside a repository, git missing)."""
    try:
        out = run_git(
            ["config", "--get-colorbool", "color.diff", "true" if terminal else "false"], cwd=cwd
        )
    except GitError:
        return False
    return out.strip() == b"true"
