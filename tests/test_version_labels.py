"""publisher.version_labels: labels read right in text."""

from __future__ import annotations

import pytest

from publisher.version_labels import label_text


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("3", "v3"),
        ("2.1", "v2.1"),
        ("10-beta", "v10-beta"),
        ("2024-06-01", "2024-06-01"),
        ("2024-06-01.2", "2024-06-01.2"),
        ("v4", "v4"),
        ("2024 edition", "2024 edition"),
        ("draft", "draft"),
    ],
)
def test_label_text(label: str, text: str) -> None:
    assert label_text(label) == text
