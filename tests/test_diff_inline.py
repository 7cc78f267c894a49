"""Word-level changes inside a clause."""

from __future__ import annotations

import pytest

from publisher.diff import word_diff
from publisher.diff.inline import new_text, old_text, tokens


def test_tokens_are_words_and_marks_with_their_leading_space() -> None:
    assert tokens("You must  not, ever.") == ["You", " must", "  not", ",", " ever", "."]
    assert tokens(" padded ") == [" padded", " "]


@pytest.mark.parametrize(
    ("old", "new", "ops"),
    [
        ("the cat sat", "the cat sat", (("=", "the cat sat"),)),
        ("", "", ()),
        ("", "New clause.", (("+", "New clause."),)),
        ("Old clause.", "", (("-", "Old clause."),)),
        # Whole words only: never "ca[-t-]{+r+}".
        ("the cat", "the car", (("=", "the"), ("-", " cat"), ("+", " car"))),
        # Short unchanged words between short edits stay: a lawyer sees each edit.
        (
            "a b c d e f",
            "a x c y e z",
            (
                ("=", "a"),
                ("-", " b"),
                ("+", " x"),
                ("=", " c"),
                ("-", " d"),
                ("+", " y"),
                ("=", " e"),
                ("-", " f"),
                ("+", " z"),
            ),
        ),
        (
            "within 14 days.",
            "within 30 days.",
            (("=", "within"), ("-", " 14"), ("+", " 30"), ("=", " days.")),
        ),
        (
            "your own resources you must",
            "your own resources, you must",
            (("=", "your own resources"), ("+", ","), ("=", " you must")),
        ),
    ],
)
def test_word_diff(old: str, new: str, ops: tuple[tuple[str, str], ...]) -> None:
    assert word_diff(old, new) == ops


def test_a_lone_common_word_between_long_rewrites_is_folded_in() -> None:
    ops = word_diff(
        "We may change these terms at any time and the new terms apply when posted.",
        "We will notify you 30 days before changing these terms; changes apply on the date "
        "stated in the notice.",
    )
    # "the" and "apply" are noise between two rewritten stretches: one replacement.
    assert [tag for tag, _ in ops] == ["=", "-", "+", "="]
    assert ops[0] == ("=", "We") and ops[-1] == ("=", ".")


def test_deletions_come_before_insertions_and_rebuild_both_texts() -> None:
    old = "You are responsible for keeping your password safe."
    new = "You must keep your password and your tokens safe at all times."
    ops = word_diff(old, new)
    assert ops == (
        ("=", "You"),
        ("-", " are responsible for keeping"),
        ("+", " must keep"),
        ("=", " your password"),
        ("+", " and your tokens"),
        ("=", " safe"),
        ("+", " at all times"),
        ("=", "."),
    )
    assert old_text(ops) == old
    assert new_text(ops) == new
