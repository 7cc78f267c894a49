"""Material or editorial, and reviewers' overrides from commit trailers."""

from __future__ import annotations

import pytest

from publisher.diff import Override, compare, editorial_form, is_editorial
from publisher.diff.classify import overrides_from_trailers, parse_override
from publisher.document import Clause, Document, PolicyMeta


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("“Customer Data” means", '"Customer Data" means'),  # quote style
        ("Northwind’s rights", "Northwind's rights"),
        ("services — all of them", "services - all of them"),  # dash style
        ("the Information Commissioner's office", "the Information Commissioner's Office"),
        ("your own resources you must", "your own resources, you must"),
        ("  spaced   out ", "spaced out"),  # whitespace
        ("e-mail us", "email us"),
        ("Do not spam.", "Do not spam"),
    ],
)
def test_editorial_changes(old: str, new: str) -> None:
    assert is_editorial(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("within 14 days", "within 30 days"),
        ("a fee of 1,000 pounds", "a fee of 1.000 pounds"),  # punctuation between digits
        ("5% a year", "5 a year"),  # % carries meaning
        ("A & B", "A B"),
        ("you may", "you must"),
        ("the Service", "the Services"),
    ],
)
def test_material_changes(old: str, new: str) -> None:
    assert not is_editorial(old, new)


def test_editorial_form() -> None:
    assert editorial_form("  “Hello”,  World — again! ") == "hello world again"
    assert editorial_form("1,000.50 GBP") == "1,000.50 gbp"


def test_parse_override() -> None:
    assert parse_override("editorial", "abc trailer") == Override("editorial", None, "abc trailer")
    assert parse_override("Material b.3", "x") == Override("material", "b.3", "x")
    assert parse_override("maybe", "x") is None
    assert parse_override("", "x") is None


def test_overrides_from_trailers_keep_only_policy_change() -> None:
    found = overrides_from_trailers(
        [
            ("a" * 40, [("Signed-off-by", "Alice"), ("policy-change", "editorial a.4")]),
            ("b" * 40, [("Policy-Change", "material")]),
        ]
    )
    assert found == (
        Override("editorial", "a.4", f"{'a' * 40} trailer"),
        Override("material", None, f"{'b' * 40} trailer"),
    )


def _doc(*texts: str) -> Document:
    clauses = tuple(
        Clause(id=str(n), kind="item", number=f"{n}.", heading=None, text=text)
        for n, text in enumerate(texts, start=1)
    )
    return Document(meta=PolicyMeta(), title=None, clauses=clauses)


OLD = _doc("Pay within 14 days.", "Do not spam", "Be kind.")
NEW = _doc("Pay within 30 days.", "Do not spam.", "Be kind.", "Keep backups.")


def test_default_classification() -> None:
    changes = compare(OLD, NEW)
    assert [(c.kind, c.clause.id, c.material) for c in changes.changes] == [
        ("modified", "1", True),
        ("modified", "2", False),
        ("added", "4", True),
    ]
    assert all(c.override is None for c in changes.changes)


def test_global_editorial_override_spares_additions_and_removals() -> None:
    override = Override("editorial", None, "f00 trailer")
    changes = compare(OLD, NEW, overrides=[override])
    assert [(c.clause.id, c.material, c.override) for c in changes.changes] == [
        ("1", False, override),
        ("2", False, override),
        ("4", True, None),
    ]
    assert changes.summary.material == 1 and changes.summary.editorial == 2


def test_clause_override_beats_a_global_one_and_later_wins() -> None:
    overrides = [
        Override("editorial", "1", "old trailer"),
        Override("material", None, "global trailer"),
        Override("material", "1", "new trailer"),
    ]
    changes = compare(OLD, NEW, overrides=overrides)
    by_id = {c.clause.id: c for c in changes.changes}
    assert by_id["1"].material and by_id["1"].override == overrides[2]
    assert by_id["2"].material and by_id["2"].override == overrides[1]
    assert by_id["4"].override == overrides[1]
