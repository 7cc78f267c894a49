"""Golden `publisher show` outlines of every version of the example policies, read from git.

Rewrite with ``UPDATE_GOLDEN=1 pytest tests/test_outline_examples.py`` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "show"
EXAMPLES = [
    (slug, label)
    for slug in ("acceptable-use", "terms-of-service", "privacy")
    for label in ("1", "2", "3")
]


@pytest.mark.parametrize(("slug", "label"), EXAMPLES)
def test_show_example_version(slug: str, label: str) -> None:
    result = CliRunner().invoke(main, ["-C", str(ROOT), "show", slug, "--version", label])
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"example-{slug}-v{label}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run with UPDATE_GOLDEN=1 to create it"
    assert result.stdout == golden.read_text(encoding="utf-8")
