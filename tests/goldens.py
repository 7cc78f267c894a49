"""Golden files: outputs people read (redlines, emails, outlines, reports), kept beside the
tests so a reviewer sees a change of behaviour as a diff. ``UPDATE_GOLDEN=1`` rewrites them;
read the diff before committing. Tests take the ``golden`` fixture (conftest.py); helpers
that are not tests call :func:`check_golden` directly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

Golden = Callable[[Path | str, str], None]
"""The ``golden`` fixture's type: ``golden(path, text)``."""

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def check_golden(path: Path | str, text: str) -> None:
    """Assert that ``text`` equals the golden file ``path`` (relative to tests/golden, or
    absolute); with ``UPDATE_GOLDEN`` set, write it instead."""
    target = Path(path) if Path(path).is_absolute() else GOLDEN_DIR / path
    if os.environ.get("UPDATE_GOLDEN"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    assert target.exists(), f"missing golden file {target}; run with UPDATE_GOLDEN=1"
    assert text == target.read_text(encoding="utf-8"), (
        f"{target.relative_to(GOLDEN_DIR) if target.is_relative_to(GOLDEN_DIR) else target} "
        "differs from its golden file (UPDATE_GOLDEN=1 rewrites it; read the diff)"
    )
