"""Golden `publisher show` outlines of every version of the example policies, read from git.

Rewrite with ``UPDATE_GOLDEN=1 pytest tests/test_outline_examples.py`` and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from goldens import Golden

from publisher.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "show"
EXAMPLES = [
    (slug, label)
    for slug in ("acceptable-use", "terms-of-service", "privacy")
    for label in ("1", "2", "3")
]


@pytest.mark.parametrize(("slug", "label"), EXAMPLES)
def test_show_example_version(slug: str, label: str, golden: Golden) -> None:
    result = CliRunner().invoke(main, ["-C", str(ROOT), "show", slug, "--version", label])
    assert result.exit_code == 0, result.stderr
    golden(GOLDEN / f"example-{slug}-v{label}.txt", result.stdout)
