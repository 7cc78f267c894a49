"""Golden tests over the example policies' versions in this repository's own history.

Every change between two versions is listed in ``docs/example-policies.md``; the assertions
below check each one (kind, clause, material or editorial, the words that changed) and that
nothing else is reported. The rendered text, JSON, Markdown and HTML are golden files under
``tests/golden/diff/`` (rewrite with ``UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_history import ROOT, has_example_history
from goldens import check_golden

from publisher.cache import DocumentCache
from publisher.config import load_settings
from publisher.diff import (
    ChangeSet,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from publisher.diff.sources import compare_revisions
from publisher.history import PolicyRepo

GOLDEN = Path(__file__).resolve().parent / "golden" / "diff"


pytestmark = pytest.mark.skipif(
    not has_example_history(),
    reason="needs this repository's git history of policies/ (a full clone)",
)


@pytest.fixture(scope="module")
def repo() -> Iterator[PolicyRepo]:
    settings = load_settings(ROOT, env={}, overrides={"policies": "policies/**/*.md"})
    with PolicyRepo.open(settings, cache=DocumentCache(None)) as opened:
        yield opened


def diff(repo: PolicyRepo, slug: str, old: str, new: str, *, formats: str = "tj") -> ChangeSet:
    changes = compare_revisions(repo, slug, old, new)
    stem = f"{slug}-v{old}-v{new}"
    if "t" in formats:
        check_golden(GOLDEN / f"{stem}.txt", render_text(changes))
    if "j" in formats:
        check_golden(
            GOLDEN / f"{stem}.json",
            json.dumps(render_json(changes), indent=2, ensure_ascii=False) + "\n",
        )
    if "m" in formats:
        check_golden(GOLDEN / f"{stem}.md", render_markdown(changes))
    if "h" in formats:
        check_golden(GOLDEN / f"{stem}.html", render_html(changes))
    return changes


def listed(changes: ChangeSet) -> list[tuple[str, str | None, str | None, bool]]:
    return [
        (c.kind, c.old.id if c.old else None, c.new.id if c.new else None, c.material)
        for c in changes.changes
    ]


def test_aup_v1_v2_insertion_renumbers_the_rest(repo: PolicyRepo) -> None:
    changes = diff(repo, "acceptable-use", "1", "2", formats="tjmh")
    assert listed(changes) == [
        ("modified", "3", "3", False),  # a comma added: editorial
        ("added", None, "5", True),  # the crypto-mining obligation
        ("renumbered", "5", "6", False),
        ("renumbered", "6", "7", False),
        ("renumbered", "7", "8", False),
        ("renumbered", "8", "9", False),
        ("renumbered", "9", "10", False),
        ("modified", "enforcement.p2", "enforcement.p2", True),
    ]
    comma = changes.changes[0]
    assert [op for op in comma.inline if op[0] != "="] == [("+", ",")]
    enforcement = changes.changes[-1]
    assert ("+", " after giving you notice, or") in enforcement.inline
    assert changes.summary.as_dict() == {
        "added": 1,
        "removed": 0,
        "modified": 2,
        "moved": 0,
        "renumbered": 5,
        "restructured": 0,
        "material": 2,
        "editorial": 6,
        "reworded": 2,
    }


def test_aup_v2_v3_removal_and_two_moves(repo: PolicyRepo) -> None:
    changes = diff(repo, "acceptable-use", "2", "3")
    assert listed(changes) == [
        ("moved", "2.l3", "6.l2", True),  # the forged-headers bullet
        ("removed", "10", None, True),  # the resale rule
        ("moved", "enforcement.p5", "reporting-violations.p4", True),
    ]
    bullet, _, review = changes.changes
    assert bullet.reparented and not bullet.reworded
    assert bullet.clause.text == "sending messages with forged or misleading header information;"
    assert review.reparented and review.reworded
    changed = [op for op in review.inline if op[0] != "="]
    assert changed == [
        ("-", " suspended"),
        ("+", " acted against"),
        ("-", " Services"),
        ("+", " Account"),
        ("-", " 14"),
        ("+", " 30"),
    ]
    # the review paragraph was moved *and* reworded (14 → 30 days): the summary says so
    assert changes.summary.modified == 0 and changes.summary.reworded == 1
    assert changes.summary.describe() == (
        "1 removed, 2 moved (1 also reworded) (3 material, 0 editorial)"
    )


def test_tos_v1_v2_one_section_move_a_split_and_an_insertion(repo: PolicyRepo) -> None:
    changes = diff(repo, "terms-of-service", "1", "2", formats="tjmh")
    assert listed(changes) == [
        ("modified", "b.3.p1", "b.3.p1", True),  # B.3 keeps two of its three sentences
        ("added", None, "b.4", True),  # ... the third becomes B.4
        ("renumbered", "b.4", "b.5", False),
        ("moved", "e", "c", True),  # Service Levels: one move, not six
        ("renumbered", "c", "d", False),
        ("renumbered", "d", "e", False),
        ("added", None, "i.3", True),  # Export Controls and Sanctions
        ("renumbered", "i.3", "i.4", False),
        ("renumbered", "i.4", "i.5", False),
        ("renumbered", "i.5", "i.6", False),
        ("renumbered", "i.6", "i.7", False),
        ("renumbered", "i.7", "i.8", False),
    ]
    move = changes.changes[3]
    assert move.clause.heading == "Service Levels" and not move.reworded
    assert move.old_citation == "E Service Levels" and move.citation == "C Service Levels"
    split_off = changes.changes[1]
    assert split_off.clause.heading == "Reporting a Compromise"
    assert [c.id for c in split_off.implied] == ["b.4.p1"]
    # The split sentence is B.3's old last sentence, word for word.
    removed_from_b3 = [t for tag, t in changes.changes[0].inline if tag == "-"][-1].strip()
    assert removed_from_b3 == split_off.implied[0].text
    # ... and the diff says so on both sides.
    assert [(r.relation, r.clause, r.via) for r in split_off.related] == [
        ("split out of", "b.3.p1", "b.4.p1")
    ]
    assert [(r.relation, r.clause) for r in changes.changes[0].related] == [
        ("split into", "b.4.p1")
    ]


def test_tos_v2_v3_sub_clause_reworded_clause_removed_quotes_fixed(repo: PolicyRepo) -> None:
    changes = diff(repo, "terms-of-service", "2", "3")
    assert listed(changes) == [
        ("modified", "a.4", "a.4", False),  # curly quotes -> straight: editorial
        ("modified", "d.3.p1", "d.3.p1", True),  # (b) of Late Payment
        ("removed", "e.6", None, True),  # Usage Data
    ]
    late = changes.changes[1]
    assert [op for op in late.inline if op[0] != "="] == [
        ("+", " if the amount is still unpaid 30 days"),
        ("-", " giving"),
        ("+", " we have sent"),
        ("-", " at least 14 days'"),
        ("+", " a"),
        ("-", " notice"),
        ("+", " reminder"),
    ]
    unchanged = "".join(text for tag, text in late.inline if tag == "=")
    assert "(a) charge interest" in unchanged and "(c) recover our reasonable costs" in unchanged


def test_privacy_v1_v2_section_added_paragraph_reworded(repo: PolicyRepo) -> None:
    changes = diff(repo, "privacy", "1", "2")
    assert listed(changes) == [
        ("added", None, "automated-fraud-and-abuse-checks", True),
        (
            "modified",
            "how-long-we-keep-your-information.p2",
            "how-long-we-keep-your-information.p2",
            True,
        ),
    ]
    assert len(changes.changes[0].implied) == 2
    assert ("-", " 90") in changes.changes[1].inline
    assert ("+", " 30") in changes.changes[1].inline


def test_privacy_v2_v3_section_removed_paragraph_moved_case_fixed(repo: PolicyRepo) -> None:
    changes = diff(repo, "privacy", "2", "3", formats="tjmh")
    assert listed(changes) == [
        (
            "moved",
            "how-we-protect-your-information.p3",
            "how-long-we-keep-your-information.p3",
            True,
        ),
        ("removed", "research-previews", None, True),
        ("modified", "your-rights.p2", "your-rights.p2", False),  # "office" -> "Office"
    ]
    assert not changes.changes[0].reworded
    assert [op for op in changes.changes[2].inline if op[0] != "="] == [
        ("-", " office"),
        ("+", " Office"),
    ]


def test_default_revisions_are_previous_version_to_current(repo: PolicyRepo) -> None:
    default = compare_revisions(repo, "terms-of-service")
    explicit = compare_revisions(repo, "terms-of-service", "2", "3")
    assert default == explicit
    assert (default.old.version, default.new.version) == ("2", "3")
