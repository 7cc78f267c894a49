"""The clause diff on every consecutive pair of the real GitHub ToS (44 revisions) and AUP
(37 revisions) in ``../shared/corpus`` (skipped when it is absent).

* a readable golden summary per policy: one line per pair with counts per kind and the ids of
  the changed clauses (``tests/golden/diff/corpus-github-*.txt``; ``UPDATE_GOLDEN=1``);
* no clause whose text is unchanged is ever reported modified (or moved and reworded);
* every clause is accounted for and every inline diff rebuilds both texts;
* the 2017 promotion of D.8 to "E. Private Repositories" re-letters E–R to F–S, and the 2019
  removal of I–K re-letters L–S to K–R: renumbering, not rewrites.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest
from diff_checks import assert_accounted, assert_inline_rebuilds
from goldens import Golden

from publisher.diff import KINDS, Change, ChangeSet, compare
from publisher.document import Document
from publisher.markdown import parse_document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "github-site-policy"
GOLDEN = Path(__file__).resolve().parent / "golden" / "diff"
POLICIES = {"tos": "github-terms-of-service", "aup": "github-acceptable-use-policies"}

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


@cache
def revisions(folder: str) -> tuple[tuple[str, Document], ...]:
    files = sorted((CORPUS / folder).glob("*.md"))
    return tuple(
        (f.name, parse_document(f.read_text(encoding="utf-8"), path=str(f))) for f in files
    )


@cache
def pairs(folder: str) -> tuple[tuple[str, str, Document, Document, ChangeSet], ...]:
    revs = revisions(folder)
    return tuple((a, b, old, new, compare(old, new)) for (a, old), (b, new) in pairwise(revs))


def _ref(change: Change) -> str:
    old = change.old.id if change.old else None
    new = change.new.id if change.new else None
    if old and new and old != new:
        return f"{old}→{new}"
    return str(new or old)


def summary_line(old_name: str, new_name: str, changes: ChangeSet) -> str:
    line = f"{old_name} -> {new_name}: {changes.summary.describe()}"
    groups = []
    for kind in KINDS:
        refs = [_ref(c) for c in changes.changes if c.kind == kind]
        if refs:
            groups.append(f"{kind} {' '.join(refs)}")
    return line + ("" if not groups else " | " + "; ".join(groups))


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_corpus_golden_summary(policy: str, golden: Golden) -> None:
    folder = POLICIES[policy]
    text = "".join(summary_line(a, b, cs) + "\n" for a, b, _, _, cs in pairs(folder))
    golden(GOLDEN / f"corpus-github-{policy}.txt", text)
    assert len(pairs(folder)) == {"tos": 43, "aup": 36}[policy]


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_no_unchanged_clause_is_reported_reworded(policy: str) -> None:
    for name, _, old, new, changes in pairs(POLICIES[policy]):
        old_keys = Counter(c.key for c in old.walk())
        new_keys = Counter(c.key for c in new.walk())
        for change in changes.changes:
            if change.kind in ("modified", "moved") and change.reworded:
                assert change.new is not None
                key = change.new.key
                # Its text exists unchanged in the old revision (as often as in the new one)
                # yet it was paired with a different clause: that would be a false rewording.
                assert old_keys[key] < new_keys[key] or key not in old_keys, (name, change.label)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_clause_accounted_for_and_inline_rebuilds(policy: str) -> None:
    for _, _, old, new, changes in pairs(POLICIES[policy]):
        assert_accounted(changes, old, new)
        assert_inline_rebuilds(changes)


def test_2017_relettering_of_tos_sections_is_renumbering() -> None:
    name, _, _, _, changes = pairs(POLICIES["tos"])[0]
    assert name.startswith("0001_")
    top = [
        c
        for c in changes.changes
        if c.clause.kind == "section" and c.old_parent is None and c.new_parent is None
    ]
    renumbered = {
        (c.old.number, c.new.number, c.clause.heading)
        for c in top
        if c.kind == "renumbered" and c.old and c.new
    }
    assert renumbered == {
        ("E.", "F.", "Copyright Infringement and DMCA Policy"),
        ("F.", "G.", "Intellectual Property Notice"),
        ("G.", "H.", "API Terms"),
        ("H.", "I.", "Additional Terms for GitHub Pages"),
        ("I.", "J.", "Additional Terms for GitHub Marketplace"),
        ("J.", "K.", "Advertising on GitHub"),
        ("K.", "L.", "Payment"),
        ("L.", "M.", "Cancellation and Termination"),
        ("M.", "N.", "Communications with GitHub"),
        ("N.", "O.", "Disclaimer of Warranties"),
        ("O.", "P.", "Limitation of Liability"),
        ("P.", "Q.", "Release and Indemnification"),
        ("Q.", "R.", "Changes to These Terms"),
        ("R.", "S.", "Miscellaneous"),
    }
    # The new E is the old D.8 "Private Repositories", promoted from a clause of D to a
    # section of its own: it still reads in the same place, so it is renumbered, not moved.
    promoted = [c for c in changes.changes if c.new and c.new.id == "e"]
    assert len(promoted) == 1 and promoted[0].old is not None
    assert (promoted[0].kind, promoted[0].old.id, promoted[0].material) == (
        "renumbered",
        "d.8",
        False,
    )
    # Each re-lettered section is reported once, as renumbered: not moved, reworded, or
    # removed and added again.
    relettered = {"f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s"}
    for change in changes.changes:
        top_id = change.clause.id.split(".")[0]
        if top_id in relettered and change.clause.id == top_id:
            assert change.kind == "renumbered", change.label


def test_later_relettering_after_new_sections_is_renumbering() -> None:
    # 2019-11: "I. Additional Terms for GitHub Pages", "J. Third Party Applications" and
    # "K. Advertising" go, "I. GitHub Additional Product Terms" and "J. Beta Previews" come:
    # L–S become K–R.
    ((_, _, _, _, changes),) = [p for p in pairs(POLICIES["tos"]) if p[0].startswith("0009_")]
    letters = {
        (c.old.number, c.new.number)
        for c in changes.changes
        if c.kind == "renumbered"
        and c.old
        and c.new
        and c.clause.kind == "section"
        and c.new.id == c.new.number.lower().rstrip(".")
    }
    assert {
        ("L.", "K."),
        ("M.", "L."),
        ("N.", "M."),
        ("O.", "N."),
        ("P.", "O."),
        ("Q.", "P."),
        ("R.", "Q."),
        ("S.", "R."),
    } <= letters


def _pair(policy: str, prefix: str) -> ChangeSet:
    ((_, _, _, _, changes),) = [p for p in pairs(POLICIES[policy]) if p[0].startswith(prefix)]
    return changes


def test_bold_lead_in_clauses_are_cited_under_their_section() -> None:
    # 2019-11: "3. Billing Schedule; No Refunds" gets three paragraphs with a bold lead-in.
    # Each is a part of K.3, not a K.3 of its own (QA 18).
    labels = {c.label for c in _pair("tos", "0009_").changes}
    assert {
        "K.3 Billing Schedule; No Refunds › Payment Based on Plan",
        "K.3 Billing Schedule; No Refunds › Payment Based on Usage",
        "K.3 Billing Schedule; No Refunds › Invoicing",
    } <= labels
    assert not any(
        label.startswith("K.3 Payment") or label.startswith("K.3 Invoicing") for label in labels
    )


def test_references_that_follow_the_relettering_are_conforming_changes() -> None:
    # 2017-08: G (API Terms) became H; "Please see Section G" became "Section H" (QA 14).
    found = {c.clause.id: c for c in _pair("tos", "0001_").changes}
    for clause_id in ("c.5.p1", "h.short-version"):
        change = found[clause_id]
        assert change.conforming == (("G", "H"),) and not change.material, clause_id
    # 2019-11: R (Changes to These Terms) became Q.
    (r5,) = [
        c
        for c in _pair("tos", "0009_").changes
        if c.old_path == "S.5" and c.new is not None and c.new.text.startswith("This Agr")
    ]
    assert r5.conforming == (("R", "Q"),) and not r5.material


def test_a_removed_heading_whose_paragraph_survives_is_explained() -> None:
    # 2019-07: "C.1 Compliance with Laws and Regulations" goes; its paragraph now stands
    # directly under C (QA 13).
    (c1,) = [c for c in _pair("tos", "0007_").changes if c.clause.id == "c.1"]
    assert (c1.kind, c1.kept_under, c1.material) == ("removed", ("C",), False)


def _related(change: Change) -> list[tuple[str, str]]:
    return [(r.relation, r.clause) for r in change.related]


def test_merged_and_split_clauses_are_reported_as_such() -> None:
    # QA 12, checked against the files:
    # 2019-11: L.3's "In order to treat everyone equally…" bullet was appended to K.3's first
    # paragraph.
    # With nearly the same words, it is one merge (a restructuring showing the real edits).
    (equal,) = [c for c in _pair("tos", "0009_").changes if c.kind == "restructured"]
    assert (equal.shape, [c.id for c in equal.old_clauses], equal.new.id if equal.new else "") == (
        "merged",
        ["l.3.l1", "l.3.l2"],
        "k.3.payment-based-on-plan",
    )
    assert equal.old_clauses[1].text.startswith("In order to treat")
    # 2019-04: "GitHub reserves the right … to reclaim any GitHub subdomain" moved from I into
    # I.1's paragraph.
    (reclaim,) = [c for c in _pair("tos", "0006_").changes if c.kind == "restructured"]
    assert (reclaim.shape, [c.id for c in reclaim.old_clauses]) == ("merged", ["i.p1", "i.p2"])
    assert "reclaim any GitHub subdomain" in reclaim.old_clauses[1].text
    assert reclaim.new is not None and reclaim.new.id == "i.1.p1"
    # 2020-11: E.4 Exclusions went; its second sentence became a paragraph of E.3.
    changes = _pair("tos", "0016_").changes
    (e4,) = [c for c in changes if c.kind == "removed" and c.clause.id == "e.4"]
    (compelled,) = [
        c for c in changes if c.kind == "added" and c.clause.text.startswith("Additionally, we may")
    ]
    # The text was E.4's paragraph, removed with it.
    assert _related(compelled) == [("split out of", "e.4.p1")]
    assert _related(e4) == [("split into", compelled.clause.id)]
    assert e4.related[0].via == "e.4.p1" and compelled.related[0].via is None
