"""Clause alignment on hand-built clause trees: each change kind, section moves, splits."""

from __future__ import annotations

from publisher.diff import ChangeSet, compare, render_json, render_text
from publisher.diff.order import heaviest_increasing as _heaviest_increasing
from publisher.document import Clause, Document, PolicyMeta
from publisher.markdown import parse_document


def section(number: str | None, heading: str, *children: Clause, text: str = "") -> Clause:
    return Clause(
        id=_id(number or heading),
        kind="section",
        number=number,
        heading=heading,
        text=text,
        children=children,
    )


def item(number: str, text: str, *children: Clause) -> Clause:
    return Clause(
        id=_id(number), kind="item", number=number, heading=None, text=text, children=children
    )


def para(text: str, *children: Clause) -> Clause:
    return Clause(id="p", kind="paragraph", number=None, heading=None, text=text, children=children)


def _id(label: str) -> str:
    return label.lower().strip(".() ").replace(" ", "-")


def _with_ids(clauses: tuple[Clause, ...], parent: str = "") -> tuple[Clause, ...]:
    """Ids as the parser makes them: parent id + local part, positional for paragraphs."""
    out: list[Clause] = []
    seen: dict[str, int] = {}
    for clause in clauses:
        local = clause.id
        if local == "p":
            seen["p"] = seen.get("p", 0) + 1
            local = f"p{seen['p']}"
        full = f"{parent}.{local}" if parent else local
        out.append(
            Clause(
                id=full,
                kind=clause.kind,
                number=clause.number,
                heading=clause.heading,
                text=clause.text,
                children=_with_ids(clause.children, full),
            )
        )
    return tuple(out)


def doc(*clauses: Clause, version: str = "1") -> Document:
    return Document(
        meta=PolicyMeta(slug="terms", version=version), title="Terms", clauses=_with_ids(clauses)
    )


def kinds(changes: ChangeSet) -> list[tuple[str, str]]:
    return [(c.kind, c.clause.id) for c in changes.changes]


ACCOUNTS = section(
    "B.",
    "Accounts",
    item("1.", "You must be at least 16 years old to open an Account."),
    item("2.", "You must keep your password confidential and use two-factor authentication."),
    item("3.", "One person or legal entity may not keep more than one free Account."),
)
USE = section(
    "C.",
    "Acceptable Use",
    item("1.", "You must not send unsolicited bulk email through the Services."),
    item("2.", "You must not host malware or phishing pages."),
)
PAYMENT = section(
    "D.",
    "Payment",
    para("You pay the Fees monthly in advance. Fees are not refundable."),
)
DEFINITIONS = section("A.", "Definitions", para("Words with capitals have special meanings."))


def test_identical_documents_have_no_changes() -> None:
    old = doc(DEFINITIONS, ACCOUNTS, USE, PAYMENT)
    changes = compare(old, old)
    assert changes.changes == ()
    assert not changes
    assert changes.summary.total == 0
    assert len(changes.unchanged) == len(list(old.walk()))


def test_reworded_clause_is_modified_with_word_changes() -> None:
    new_use = section(
        "C.",
        "Acceptable Use",
        item("1.", "You must not send unsolicited or bulk email through the Services."),
        item("2.", "You must not host malware or phishing pages."),
    )
    changes = compare(doc(ACCOUNTS, USE), doc(ACCOUNTS, new_use))
    assert kinds(changes) == [("modified", "c.1")]
    change = changes.changes[0]
    assert change.material
    assert change.inline == (
        ("=", "You must not send unsolicited"),
        ("+", " or"),
        ("=", " bulk email through the Services."),
    )
    assert change.citation == "C.1 “You must not send unsolicited or bulk email…”"


def test_inserted_item_is_one_addition_and_the_rest_renumbered() -> None:
    new_accounts = section(
        "B.",
        "Accounts",
        item("1.", "You must be at least 16 years old to open an Account."),
        item("2.", "You must give us a valid email address."),
        item("3.", "You must keep your password confidential and use two-factor authentication."),
        item("4.", "One person or legal entity may not keep more than one free Account."),
    )
    changes = compare(doc(ACCOUNTS), doc(new_accounts))
    assert kinds(changes) == [("added", "b.2"), ("renumbered", "b.3"), ("renumbered", "b.4")]
    assert [c.material for c in changes.changes] == [True, False, False]
    assert changes.changes[1].old is not None and changes.changes[1].old.id == "b.2"
    assert changes.summary.modified == 0


def test_section_move_is_reported_once_and_the_others_renumbered() -> None:
    old = doc(DEFINITIONS, ACCOUNTS, USE, PAYMENT)
    moved_payment = section("B.", "Payment", *PAYMENT.children)
    new = doc(
        DEFINITIONS,
        moved_payment,
        section("C.", "Accounts", *ACCOUNTS.children),
        section("D.", "Acceptable Use", *USE.children),
    )
    changes = compare(old, new)
    assert kinds(changes) == [("moved", "b"), ("renumbered", "c"), ("renumbered", "d")]
    move = changes.changes[0]
    assert move.old is not None and move.old.id == "d"
    assert move.renumbered and not move.reworded and not move.reparented
    assert move.material
    # The children of every section went along unchanged: none is reported.
    assert changes.summary.total == 3


def test_changed_child_of_a_moved_section_is_still_reported() -> None:
    old = doc(ACCOUNTS, USE, PAYMENT)
    payment = section(
        "B.", "Payment", para("You pay the Fees monthly in arrears. Fees are not refundable.")
    )
    new = doc(
        payment,
        section("C.", "Accounts", *ACCOUNTS.children),
        section("D.", "Acceptable Use", *USE.children),
    )
    changes = compare(old, new)
    assert [c.kind for c in changes.changes] == ["moved", "modified", "renumbered", "renumbered"]
    assert changes.changes[1].clause.id == "b.p1"


def test_clause_moved_to_another_parent_and_reworded() -> None:
    old = doc(ACCOUNTS, USE)
    accounts = section("B.", "Accounts", *ACCOUNTS.children[:2])
    use = section(
        "C.",
        "Acceptable Use",
        *USE.children,
        item("3.", "One person or legal entity may not keep more than two free Accounts."),
    )
    changes = compare(old, doc(accounts, use))
    assert kinds(changes) == [("moved", "c.3")]
    move = changes.changes[0]
    assert move.reworded and move.reparented
    assert not move.renumbered  # its own number is "3." on both sides; its parent changed
    assert move.old_parent is not None and move.old_parent.id == "b"
    assert move.inline[:3] == (
        ("=", "One person or legal entity may not keep more than"),
        ("-", " one"),
        ("+", " two"),
    )
    assert move.old_citation is not None and move.old_citation.startswith("B.3 ")


def test_split_clause_is_modified_plus_added() -> None:
    old = doc(
        section(
            "B.",
            "Accounts",
            section(
                "3.",
                "Account Security",
                para(
                    "You must keep your credentials confidential. You are responsible for all "
                    "activity in your Account. If your Account is compromised, tell us at once."
                ),
            ),
        )
    )
    new = doc(
        section(
            "B.",
            "Accounts",
            section(
                "3.",
                "Account Security",
                para(
                    "You must keep your credentials confidential. You are responsible for "
                    "all activity in your Account."
                ),
            ),
            section(
                "4.",
                "Reporting a Compromise",
                para("If your Account is compromised, tell us at once."),
            ),
        )
    )
    changes = compare(old, new)
    assert kinds(changes) == [("modified", "b.3.p1"), ("added", "b.4")]
    added = changes.changes[1]
    assert [c.id for c in added.implied] == ["b.4.p1"]


def test_removed_section_takes_its_children_along() -> None:
    changes = compare(doc(ACCOUNTS, USE, PAYMENT), doc(ACCOUNTS, USE))
    assert kinds(changes) == [("removed", "d")]
    assert [c.id for c in changes.changes[0].implied] == ["d.p1"]


def test_punctuation_only_change_is_editorial() -> None:
    old = doc(section("A.", "Definitions", para("“Customer Data” means your data — all of it.")))
    new = doc(section("A.", "Definitions", para('"Customer Data" means your data - all of it')))
    changes = compare(old, new)
    assert kinds(changes) == [("modified", "a.p1")]
    assert not changes.changes[0].material
    assert changes.summary.editorial == 1


def test_renamed_section_pairs_through_its_children() -> None:
    renamed = section("D.", "Fees and Billing", *PAYMENT.children)
    changes = compare(doc(ACCOUNTS, PAYMENT), doc(ACCOUNTS, renamed))
    assert kinds(changes) == [("modified", "d")]
    assert changes.changes[0].heading_inline == (
        ("-", "Payment"),
        ("+", "Fees and Billing"),
    )


def test_repeated_text_pairs_by_position() -> None:
    short = "Short version: be nice."
    old = doc(section("A.", "One", para(short)), section("B.", "Two", para(short)))
    new = doc(
        section("A.", "One", para(short)),
        section("B.", "Two", para(short)),
        section("C.", "Three", para(short)),
    )
    changes = compare(old, new)
    assert kinds(changes) == [("added", "c")]


def test_reordered_siblings_move_the_lightest() -> None:
    old = doc(
        item("1.", "Alpha rule text."),
        item("2.", "Beta rule text."),
        item("3.", "Gamma rule text."),
        item("4.", "Delta rule text."),
    )
    new = doc(
        item("1.", "Alpha rule text."),
        item("2.", "Gamma rule text."),
        item("3.", "Delta rule text."),
        item("4.", "Beta rule text."),
    )
    changes = compare(old, new)
    assert kinds(changes) == [("renumbered", "2"), ("renumbered", "3"), ("moved", "4")]


def test_unrelated_text_is_removed_and_added_not_paired() -> None:
    old = doc(USE, item("3.", "We may suspend accounts that break these rules."))
    new = doc(USE, item("3.", "Invoices are payable within thirty days of issue."))
    changes = compare(old, new)
    assert sorted(c.kind for c in changes.changes) == ["added", "removed"]


def test_heaviest_increasing_subsequence() -> None:
    assert _heaviest_increasing([0, 1, 2], [1, 1, 1]) == {0, 1, 2}
    assert _heaviest_increasing([2, 0, 1], [1, 1, 1]) == {1, 2}
    # A heavy element out of order wins over two light ones in order.
    assert _heaviest_increasing([2, 0, 1], [5, 1, 1]) == {0}
    assert _heaviest_increasing([3, 1, 2, 0], [1, 1, 1, 1]) == {1, 2}


def test_heading_removed_around_clauses_is_not_a_move() -> None:
    # "### Acceptable Use Policies" wrapping the numbered sections goes; they read on as before.
    wrapper = section(None, "Rules", *USE.children)
    changes = compare(doc(ACCOUNTS, wrapper), doc(ACCOUNTS, *USE.children))
    assert kinds(changes) == [("removed", "rules")]
    assert changes.changes[0].implied == ()  # its children stayed, unchanged


def test_clause_nested_under_the_previous_section_is_not_a_move() -> None:
    # A heading level changed (### -> ####): section D now sits inside C, same reading order.
    nested_use = section("C.", "Acceptable Use", *USE.children, PAYMENT)
    changes = compare(doc(ACCOUNTS, USE, PAYMENT), doc(ACCOUNTS, nested_use))
    assert changes.changes == ()


def test_clause_promoted_to_a_section_in_place_is_renumbered() -> None:
    old = doc(
        section(
            "D.",
            "Content",
            item("1.", "You own your content."),
            section("2.", "Private Repositories", para("We keep them private.")),
        ),
        section("E.", "Copyright", para("We follow the DMCA.")),
    )
    new = doc(
        section("D.", "Content", item("1.", "You own your content.")),
        section("E.", "Private Repositories", para("We keep them private.")),
        section("F.", "Copyright", para("We follow the DMCA.")),
    )
    changes = compare(old, new)
    assert [(c.kind, c.old.id if c.old else None, c.clause.id) for c in changes.changes] == [
        ("renumbered", "d.2", "e"),
        ("renumbered", "e", "f"),
    ]


def test_an_unnumbered_heading_is_cited_under_its_numbered_section() -> None:
    billing = section(
        "3.", "Billing Schedule", section(None, "Invoicing", text="Pay within 30 days.")
    )
    old = doc(
        section("K.", "Payment", billing), section(None, "Enforcement", text="We may suspend you.")
    )
    new = doc(
        section(
            "K.",
            "Payment",
            section(
                "3.", "Billing Schedule", section(None, "Invoicing", text="Pay within 14 days.")
            ),
        ),
        section(None, "Enforcement", text="We may close you."),
    )
    labels = [c.label for c in compare(old, new).changes]
    # The lead-in is a part of K.3, not a second K.3; a heading with no numbered ancestor
    # is cited by its heading alone.
    assert labels == ["K.3 Billing Schedule › Invoicing", "Enforcement"]


def test_a_reference_that_follows_a_renumbering_is_a_conforming_change() -> None:
    old = doc(
        section(
            "A.",
            "Scope",
            para("Fees are set out in Section B. Disputes: see B.1, C(2)."),
            para("Changes are announced as in Section C."),
        ),
        section("B.", "Fees", item("1.", "You pay monthly."), item("2.", "In advance.")),
        section("C.", "Disputes", item("1.", "Talk to us first."), item("2.", "Then court.")),
    )
    new = doc(
        section(
            "A.",
            "Scope",
            para("Fees are set out in Section C. Disputes: see C.1, D(2)."),
            para("Changes are announced as in Section B."),
        ),
        section("B.", "Security", para("Keep your password secret.")),
        section("C.", "Fees", item("1.", "You pay monthly."), item("2.", "In advance.")),
        section("D.", "Disputes", item("1.", "Talk to us first."), item("2.", "Then court.")),
    )
    changes = {c.clause.id: c for c in compare(old, new).changes}
    # B became C and C became D: the references follow, nothing else changed (QA 14).
    follows = changes["a.p1"]
    assert follows.kind == "modified" and not follows.material
    assert follows.conforming == (("B", "C"), ("B.1", "C.1"), ("C(2)", "D(2)"))
    # "Section C" -> "Section B" does not follow the renumbering (C is now D): material.
    wrong = changes["a.p2"]
    assert wrong.kind == "modified" and wrong.material and wrong.conforming == ()
    text = render_text(compare(old, new))
    assert (
        "A Scope › “Fees are set out in Section C. Disputes:…”  conforming change: references "
        "follow renumbering (B → C, B.1 → C.1, C(2) → D(2))  [editorial]"
    ) in text
    assert render_json(compare(old, new))["changes"][0]["conforming"][0] == {"old": "B", "new": "C"}


def test_a_conforming_reference_next_to_a_real_edit_stays_material() -> None:
    old = doc(
        section("A.", "Scope", para("See Section B for fees.")),
        section("B.", "Fees", para("You pay monthly.")),
    )
    new = doc(
        section("A.", "Scope", para("See Section C for all fees.")),
        section("B.", "Security", para("Keep your password secret.")),
        section("C.", "Fees", para("You pay monthly.")),
    )
    (change,) = [c for c in compare(old, new).changes if c.clause.id == "a.p1"]
    assert change.material and change.conforming == (("B", "C"),)
    # A word that merely looks like a section letter, outside a reference, is no reference.
    old = doc(
        section("A.", "Scope", para("Plan B applies.")),
        section("B.", "Fees", para("You pay monthly.")),
    )
    new = doc(
        section("A.", "Scope", para("Plan C applies.")),
        section("B.", "Security", para("Keep your password secret.")),
        section("C.", "Fees", para("You pay monthly.")),
    )
    (change,) = [c for c in compare(old, new).changes if c.clause.id == "a.p1"]
    assert change.material and change.conforming == ()


def test_a_removed_heading_whose_text_stays_is_explained_and_editorial() -> None:
    old = doc(
        section(
            "C.",
            "Acceptable Use",
            section("1.", "Compliance with Laws", para("Obey the law.")),
            section("2.", "Content", para("No malware.")),
        )
    )
    new = doc(
        section(
            "C.",
            "Acceptable Use",
            para("Obey the law."),
            section("2.", "Content", para("No malware.")),
        )
    )
    (change,) = compare(old, new).changes
    # The heading went, its paragraph reads in the same place, now directly under C (QA 13).
    assert (change.kind, change.clause.id, change.kept_under) == ("removed", "c.1", ("C",))
    assert not change.material
    assert (
        "- C.1 Compliance with Laws  heading removed; its text now under C  [editorial]"
        in render_text(compare(old, new))
    )
    assert render_json(compare(old, new))["changes"][0]["kept_under"] == ["C"]
    # The other way round: a heading added over text that was there.
    (change,) = compare(new, old).changes
    assert (change.kind, change.kept_under, change.material) == ("added", ("C",), False)
    assert "heading added; its text was under C" in render_text(compare(new, old))
    # A heading removed with text of its own under it is a removal like any other.
    gone = doc(section("C.", "Acceptable Use", section("2.", "Content", para("No malware."))))
    (change,) = compare(old, gone).changes
    assert change.kind == "removed" and change.material and change.kept_under == ()


PLAN = "For monthly plans the Service is billed in advance and is non-refundable."
EQUAL = "In order to treat everyone equally, no exceptions will be made."


def test_a_clause_merged_into_another_is_reported_as_merged() -> None:
    old = doc(section("K.", "Payment", section("3.", "Billing", para(PLAN), para(EQUAL))))
    # With a new sentence between (with the same words only, it is a restructuring: see
    # tests/test_diff_restructure.py).
    new = doc(
        section(
            "K.",
            "Payment",
            section(
                "3.",
                "Billing",
                para(f"{PLAN} Refunds are never given for any part of a month. {EQUAL}"),
            ),
        )
    )
    changes = compare(old, new)
    by_kind = {c.kind: c for c in changes.changes}
    # The sentence was appended to the paragraph before it: not deleted (QA 12).
    removed, modified = by_kind["removed"], by_kind["modified"]
    assert [(r.relation, r.clause) for r in removed.related] == [("merged into", "k.3.p1")]
    assert [(r.relation, r.clause) for r in modified.related] == [("merged from", "k.3.p2")]
    text = render_text(changes)
    assert (
        "- K.3 Billing › “In order to treat everyone equally, no exceptions…”  merged "
        "into K.3 Billing › “For monthly plans the Service is billed in…”  [material]\n"
        f"    {EQUAL}\n" in text
    )  # its words are kept: not struck through
    assert (
        "merged in from K.3 Billing › “In order to treat everyone equally, no exceptions…”" in text
    )
    related = render_json(changes)["changes"]
    assert {
        "relation": "merged into",
        "id": "k.3.p1",
        "via": None,
        "citation": "K.3 Billing › “For monthly plans the Service is billed in…”",
    } in [r for c in related for r in c.get("related", [])]


def test_a_sentence_split_out_of_a_removed_clause_is_reported_as_split() -> None:
    law = "Additionally, we may be compelled by law to disclose the contents of your repositories."
    first = (
        "If we have reason to believe that the contents of a private repository are in "
        "violation of the law, we have the right to access, review, and remove them."
    )
    old = doc(
        section(
            "E.",
            "Private Repositories",
            section("3.", "Access", para("We may access them for support.")),
            item("4.", f"{first} {law}"),
        )
    )
    new = doc(
        section(
            "E.",
            "Private Repositories",
            section("3.", "Access", para("We may access them for support."), para(law)),
        )
    )
    changes = {c.kind: c for c in compare(old, new).changes}
    added, removed = changes["added"], changes["removed"]
    assert [(r.relation, r.clause) for r in added.related] == [("split out of", "e.4")]
    assert [(r.relation, r.clause) for r in removed.related] == [("split into", "e.3.p2")]
    assert added.material and removed.material  # the first sentence did go


def test_short_or_unrelated_text_is_not_a_merge() -> None:
    old = doc(section("A.", "Use", para("No spam."), para("Be kind to others in every way.")))
    new = doc(section("A.", "Use", para("Be kind to others in every way. No spam.")))
    (removed,) = [c for c in compare(old, new).changes if c.kind == "removed"]
    assert removed.related == ()  # two words: too short to tell a merge from a coincidence


RULES = (
    "You must not copy the software.",
    "You must not resell the Service.",
    "You must not share your password.",
    "You must not reverse engineer the software.",
    "You must not remove any notices.",
    "You must not use the Service unlawfully.",
)


def _duplicate_heavy(edited: dict[tuple[int, int], str]) -> Document:
    """40 sections alike but for their number: the same heading and six rules each."""
    lines = ["# Terms", ""]
    for s in range(1, 41):
        lines += [f"## {s}. Restrictions", ""]
        lines += [f"- {edited.get((s, r), rule)}" for r, rule in enumerate(RULES)]
        lines.append("")
    return parse_document("\n".join(lines))


def test_duplicate_heavy_document_with_seven_edits_has_seven_modified_and_no_moves() -> None:
    # Duplicates pair in order, nearest first: not 100 moves and 30 renumberings (issue 20).
    edits = {
        (s, s % 6): f"You must not misuse Product {s} in any way at all."
        for s in (2, 7, 13, 19, 25, 31, 38)
    }
    old, new = _duplicate_heavy({}), _duplicate_heavy(edits)
    for before, after in ((old, new), (new, old)):
        changes = compare(before, after)
        assert changes.summary.describe() == "7 modified (7 material, 0 editorial)"
        # Each edit paired with the rule it replaced, in its own section (ids keep position).
        assert sorted((c.old.id, c.new.id) for c in changes.changes if c.old and c.new) == sorted(
            (c.new.id, c.new.id) for c in changes.changes if c.new
        )


def test_identical_clauses_with_one_removed_report_one_removal_and_nothing_else() -> None:
    old = parse_document("\n".join(["1. same"] * 3000))
    new = parse_document("\n".join(["1. same"] * 2999))
    changes = compare(old, new)
    assert changes.summary.describe() == "1 removed (1 material, 0 editorial)"
    assert compare(old, old).changes == ()


def test_a_long_list_reworded_at_once_pairs_every_bullet_with_its_own() -> None:
    words = ("data", "account", "content", "payment", "email", "licence", "notice", "court")
    bullets = [
        f"- You must not use the Service to {words[i % 8]} or {words[i * 7 % 8]} "
        f"the {words[i * 3 % 8]} of others ({i})."
        for i in range(3000)
    ]
    old = parse_document("\n".join(bullets))
    new = parse_document("\n".join(bullets).replace("must not", "shall not"))
    changes = compare(old, new)
    assert changes.summary.describe() == "3000 modified (3000 material, 0 editorial)"
    assert all(c.old and c.new and c.old.id == c.new.id for c in changes.changes)
    assert changes.changes[5].inline == (
        ("=", "You"),
        ("-", " must"),
        ("+", " shall"),
        ("=", " not use the Service to licence or payment the court of others (5)."),
    )


def test_in_a_long_list_reworded_at_once_a_bullet_moved_nearby_is_still_its_own() -> None:
    # The candidates are bounded to a window around each clause's rank; a move within it
    # still pairs the bullet with its old self (moved and reworded), not with a neighbour.
    bullets = [
        f"- You must not use the Service for purpose {i} of {i * 7 % 13} kinds." for i in range(300)
    ]
    moved = bullets[:100] + bullets[101:111] + [bullets[100]] + bullets[111:]
    old = parse_document("\n".join(bullets))
    new = parse_document("\n".join(moved).replace("must not", "shall not"))
    changes = compare(old, new)
    assert (
        changes.summary.describe()
        == "299 modified, 1 moved (1 also reworded) (300 material, 0 editorial)"
    )
    (move,) = [c for c in changes.changes if c.kind == "moved"]
    assert move.old is not None and move.new is not None
    assert "purpose 100 of" in move.old.text and "purpose 100 of" in move.new.text
