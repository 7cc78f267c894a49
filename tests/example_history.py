"""This repository as a policy repository: the example policies' versions are its commits."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def has_example_history() -> bool:
    """Whether the history holds at least three versions of the example acceptable-use."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "--format=%H", "--", "policies/acceptable-use.md"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return False
    return len(out) >= 3
