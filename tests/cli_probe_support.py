"""Run ``publisher`` in a fresh interpreter and report what it imported: the exit code, the
names in ``sys.modules`` at exit, stdout and the rest of stderr (for the start-up and lazy
command tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROBE = """
import json, sys
from publisher.cli import main
try:
    main(sys.argv[1:], prog_name="publisher")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


@dataclass(frozen=True)
class Probed:
    code: int | None
    modules: set[str]
    stdout: str
    stderr: str


def probe_cli(args: list[str], cwd: Path | None = None) -> Probed:
    """``publisher ARGS`` run through :func:`publisher.cli.main` in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    *rest, last = done.stderr.strip().splitlines()
    report = json.loads(last)
    return Probed(report["code"], set(report["modules"]), done.stdout, "\n".join(rest))
