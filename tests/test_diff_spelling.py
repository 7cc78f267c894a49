"""British/American spelling variants are editorial (issue 10 item 3), from breame's word
list, overridable by the ``spelling_variants`` setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kinds_support import diff, kinds

from publisher.diff import spelling
from publisher.errors import ConfigError

BRITISH = (
    "We analyse your behaviour on the site under the licence you accepted, and we "
    "organise the results.\n"
)
AMERICAN = (
    "We analyze your behavior on the site under the license you accepted, and we "
    "organize the results.\n"
)


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    spelling.configure("breame")


def test_spelling_variants_are_editorial_both_ways() -> None:
    for a, b, name in ((BRITISH, AMERICAN, "spelling-us"), (AMERICAN, BRITISH, "spelling-uk")):
        changes = diff(a, b, name)
        assert kinds(changes) == ["modified"]
        assert not changes.changes[0].material


def test_a_real_word_change_beside_a_variant_stays_material() -> None:
    changes = diff(BRITISH, AMERICAN.replace("analyze", "sell"))
    assert changes.material


def test_the_setting_turns_variants_off_or_replaces_the_list(tmp_path: Path) -> None:
    spelling.configure("none")
    assert diff(BRITISH, AMERICAN).material
    pairs = tmp_path / "variants.txt"
    pairs.write_text(
        "# mine\nanalyse analyze\nbehaviour behavior\nlicence license\norganise organize\n",
        encoding="utf-8",
    )
    spelling.configure(str(pairs))
    assert not diff(BRITISH, AMERICAN).material
    assert diff(BRITISH.replace("colour", "x"), AMERICAN.replace("results", "colours")).material


def test_a_bad_variants_file_is_one_line_with_a_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("analyse analyze\nthree words here\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.txt:2: expected 'british american'"):
        spelling.configure(str(bad))
    with pytest.raises(ConfigError, match="cannot read"):
        spelling.configure(str(tmp_path / "missing.txt"))
