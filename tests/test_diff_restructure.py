"""Restructuring is not rewording (issue 10 item 2): split, merged and re-wrapped text with
the same words is one editorial ``restructured`` change; nearly the same words, one change
showing only the real word edits. Each case both ways, with golden redlines."""

from __future__ import annotations

from kinds_support import diff, kinds

from publisher.diff import render_json, render_text
from publisher.notices.render import change_items

LEADS = (
    "**Scope.** These terms apply to every account you open with us. "
    "**Fees.** You pay the fees shown on the pricing page each month. "
    "**Ending.** You may close your account at any time from the settings page.\n\n"
    "We may update these terms as described below.\n"
)
SPLIT = (
    "**Scope.** These terms apply to every account you open with us.\n\n"
    "**Fees.** You pay the fees shown on the pricing page each month.\n\n"
    "**Ending.** You may close your account at any time from the settings page.\n\n"
    "We may update these terms as described below.\n"
)


def test_splitting_lead_ins_into_clauses_is_one_editorial_restructuring() -> None:
    changes = diff(LEADS, SPLIT, "split-lead-ins")
    assert kinds(changes) == ["restructured"]
    change = changes.changes[0]
    assert change.shape == "split" and not change.material and not change.reworded
    assert [c.id for c in change.old_clauses] == ["scope"]
    assert [c.id for c in change.new_clauses] == ["scope", "fees", "ending"]
    assert changes.summary.added == changes.summary.removed == 0
    assert changes.summary.restructured == 1 and changes.summary.editorial == 1
    assert all(tag == "=" for tag, _ in change.inline)
    data = render_json(changes)
    assert data["summary"]["restructured"] == 1
    assert data["changes"][0]["shape"] == "split"
    assert [c["id"] for c in data["changes"][0]["new_clauses"]] == ["scope", "fees", "ending"]


def test_merging_them_back_is_one_editorial_restructuring() -> None:
    changes = diff(SPLIT, LEADS, "merge-lead-ins")
    assert kinds(changes) == ["restructured"]
    assert changes.changes[0].shape == "merged" and not changes.changes[0].material


P1 = "We keep your personal data only as long as we need it to provide the service."
P2 = "When you close your account we delete your data within thirty days."
P3 = "Backups are overwritten on a rolling schedule and are never restored for other uses."


def test_removing_blank_lines_merges_with_only_the_new_word_shown() -> None:
    old = f"{P1}\n\n{P2}\n\n{P3}\n"
    new = f"{P1}\n{P2.replace('delete', 'securely delete')}\n{P3}\n"
    changes = diff(old, new, "merge-one-new-word")
    assert kinds(changes) == ["restructured"]
    change = changes.changes[0]
    assert change.shape == "merged" and change.material and change.reworded
    assert [op for op in change.inline if op[0] != "="] == [("+", " securely")]
    assert "{+securely+}" in render_text(changes)


def test_splitting_with_one_word_dropped_shows_only_that_word() -> None:
    old = f"{P1}\n{P2.replace('delete', 'securely delete')}\n{P3}\n"
    new = f"{P1}\n\n{P2}\n\n{P3}\n"
    changes = diff(old, new, "split-one-word-dropped")
    assert kinds(changes) == ["restructured"]
    change = changes.changes[0]
    assert change.shape == "split" and change.material
    assert [op for op in change.inline if op[0] != "="] == [("-", " securely")]


def test_rewrapping_two_paragraphs_into_three_is_editorial() -> None:
    old = f"{P1} {P2}\n\n{P3}\n"
    new = f"{P1}\n\n{P2} {P3}\n"
    for a, b in ((old, new), (new, old)):
        changes = diff(a, b)
        assert kinds(changes) == ["restructured"]
        assert changes.changes[0].shape == "re-wrapped" and not changes.changes[0].material


def test_paragraph_made_a_list_item_is_editorial_and_shown() -> None:
    old = f"{P1}\n\n{P2}\n\n{P3}\n"
    new = f"{P1}\n\n- {P2}\n\n{P3}\n"
    changes = diff(old, new, "paragraph-to-bullet")
    assert kinds(changes) == ["restructured"]
    change = changes.changes[0]
    assert (change.shape, change.material) == ("reformatted", False)
    assert "paragraph → list item" in render_text(changes)
    back = diff(new, old, "bullet-to-paragraph")
    assert kinds(back) == ["restructured"]
    assert "list item → paragraph" in render_text(back)


def test_heading_made_a_bold_lead_in_is_editorial_and_shown() -> None:
    old = f"{P1}\n\n## Retention\n\n{P2}\n"
    new = f"{P1}\n\n**Retention.** {P2}\n"
    changes = diff(old, new, "heading-to-lead-in")
    assert kinds(changes) == ["restructured"]
    assert not changes.changes[0].material
    assert "heading “Retention” → bold lead-in" in render_text(changes)
    back = diff(new, old, "lead-in-to-heading")
    assert kinds(back) == ["restructured"] and not back.changes[0].material
    assert "bold lead-in “Retention” → heading" in render_text(back)


def test_a_real_rewrite_beside_a_split_is_still_a_rewrite() -> None:
    old = f"{P1} {P2}\n\n{P3}\n"
    new = (
        f"{P1}\n\n{P2}\n\n"
        "We never keep backups for longer than a week and you may ask for them to go.\n"
    )
    changes = diff(old, new)
    assert "restructured" in kinds(changes)
    assert any(c.kind in ("modified", "added") and c.material for c in changes.changes)


def test_notice_emails_list_a_restructuring() -> None:
    old = f"{P1}\n\n{P2}\n\n{P3}\n"
    new = f"{P1}\n{P2.replace('delete', 'securely delete')}\n{P3}\n"
    items = change_items(diff(old, new))
    assert [(i.kind, i.title) for i in items] == [("restructured", "Restructured")]
    assert items[0].words == ("added “securely”",)
