"""Every module of the ``publisher`` package stays small enough to read in one sitting
(issue 13: no module over about 600 lines or 30 KB). A module that grows past that is split
by concern, not exempted here."""

from __future__ import annotations

from pathlib import Path

import pytest

import publisher
from publisher.counting import counted

PACKAGE = Path(publisher.__file__).resolve().parent
MAX_LINES = 600
MAX_BYTES = 30_000


def _too_large(root: Path, max_lines: int, max_bytes: int) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        lines = data.count(b"\n")
        if lines > max_lines or len(data) > max_bytes:
            found.append(f"{path.relative_to(root)}: {counted(lines, 'line')}, {len(data):,} bytes")
    return found


def test_no_publisher_module_is_over_the_limits() -> None:
    assert _too_large(PACKAGE, MAX_LINES, MAX_BYTES) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("x = 1\n" * 601, ["big.py: 601 lines, 3,606 bytes"]), ("x = 1\n" * 600, [])],
)
def test_the_check_names_a_module_over_the_line_limit(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    (tmp_path / "big.py").write_text(text)
    assert _too_large(tmp_path, MAX_LINES, MAX_BYTES) == expected


def test_the_check_names_a_module_over_the_byte_limit(tmp_path: Path) -> None:
    (tmp_path / "wide.py").write_text("x = '" + "y" * 30_000 + "'\n")
    assert _too_large(tmp_path, MAX_LINES, MAX_BYTES) == ["wide.py: 1 line, 30,007 bytes"]
