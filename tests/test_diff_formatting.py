"""What a lawyer calls a change and what not (issue 10 item 3): link targets, emphasis,
table cells and metadata lines. Each case both ways, with golden redlines."""

from __future__ import annotations

from kinds_support import diff, kinds, policy

from publisher.diff import render_json, render_text
from publisher.markdown import parse_document

INTRO = "These terms govern your use of the service and every account you open.\n\n"
LINKED = "Our [privacy policy]({url}) explains how we use the data we collect.\n"


def test_a_changed_link_target_is_a_material_change_and_a_new_version() -> None:
    old, new = INTRO + LINKED.format(url="/privacy"), INTRO + LINKED.format(url="/privacy-eu")
    assert parse_document(policy(old)).fingerprint != parse_document(policy(new)).fingerprint
    for a, b, name, urls in (
        (old, new, "link-target", ("/privacy", "/privacy-eu")),
        (new, old, "link-target-back", ("/privacy-eu", "/privacy")),
    ):
        changes = diff(a, b, name)
        assert kinds(changes) == ["modified"]
        change = changes.changes[0]
        assert change.material and not change.reworded
        (fmt,) = change.formatting
        assert (fmt.kind, fmt.text, fmt.old, fmt.new) == ("link", "privacy policy", *urls)
        assert f"link target of “privacy policy” changed: {urls[0]} → {urls[1]}" in render_text(
            changes
        )
        assert render_json(changes)["changes"][0]["formatting"][0]["new"] == urls[1]


def test_words_made_a_link_and_back_are_reported() -> None:
    plain = INTRO + "Our privacy policy explains how we use the data we collect.\n"
    linked = INTRO + LINKED.format(url="/privacy")
    (made,) = diff(plain, linked).changes
    assert made.material and made.formatting[0].old is None
    (unmade,) = diff(linked, plain).changes
    assert unmade.material and unmade.formatting[0].new is None


def test_emphasis_added_or_removed_is_editorial_and_reported() -> None:
    plain = INTRO + "You must not resell the service to anyone else.\n"
    bold = INTRO + "You **must not** resell the service to *anyone* else.\n"
    changes = diff(plain, bold, "emphasis-added")
    assert kinds(changes) == ["modified"]
    change = changes.changes[0]
    assert not change.material
    assert [(f.kind, f.text, f.old, f.new) for f in change.formatting] == [
        ("emphasis", "must not", None, "bold"),
        ("emphasis", "anyone", None, "italic"),
    ]
    back = diff(bold, plain, "emphasis-removed")
    assert kinds(back) == ["modified"] and not back.changes[0].material
    assert "emphasis removed: bold “must not”" in render_text(back)


TABLE = """| Plan | Price | Storage |
|------|-------|---------|
| Free | 0 | 1 GB |
| Team | {team} | 10 GB |
| Enterprise | 21 | {storage} |
"""


def test_tables_are_compared_cell_by_cell() -> None:
    old = INTRO + TABLE.format(team="4", storage="50 GB")
    new = INTRO + TABLE.format(team="5", storage="100 GB")
    for a, b, name, cells in (
        (
            old,
            new,
            "table-cells",
            [("Team", "Price", "4", "5"), ("Enterprise", "Storage", "50 GB", "100 GB")],
        ),
        (
            new,
            old,
            "table-cells-back",
            [("Team", "Price", "5", "4"), ("Enterprise", "Storage", "100 GB", "50 GB")],
        ),
    ):
        changes = diff(a, b, name)
        (change,) = changes.changes
        assert change.kind == "modified" and change.material
        assert [(c.row, c.column, c.old, c.new) for c in change.cells] == cells
        assert f"row “Team”, column “Price”: [-{cells[0][2]}-]{{+{cells[0][3]}+}}" in render_text(
            changes
        )


def test_a_table_row_added_lists_its_cells() -> None:
    old = INTRO + TABLE.format(team="4", storage="50 GB")
    new = old.replace("| Team |", "| Startup | 2 | 5 GB |\n| Team |")
    (change,) = diff(old, new).changes
    assert [(c.row, c.column, c.old, c.new) for c in change.cells] == [
        ("Startup", "Plan", None, "Startup"),
        ("Startup", "Price", None, "2"),
        ("Startup", "Storage", None, "5 GB"),
    ]
    (back,) = diff(new, old).changes
    assert [c.new for c in back.cells] == [None, None, None]


def test_a_metadata_line_whose_date_changed_is_a_meta_change() -> None:
    for line_old, line_new, label in (
        ("Last updated: March 1, 2024", "Last updated: June 5, 2025", "Last updated"),
        ("**Effective date:** 2024-03-01", "**Effective date:** 2025-06-05", "Effective date"),
        ("Last modified 1 March 2024", "Last modified 5 June 2025", "Last modified"),
    ):
        old, new = f"{line_old}\n\n{INTRO}", f"{line_new}\n\n{INTRO}"
        for a, b in ((old, new), (new, old)):
            changes = diff(a, b, "metadata-line" if a is old and label == "Last updated" else None)
            assert changes.changes == (), label
            (meta,) = changes.meta_changes
            assert (meta.field, meta.label) == ("line", label)
            assert not changes.material
            assert f"{label}: " in render_text(changes)


def test_a_metadata_line_that_says_more_stays_a_clause_change() -> None:
    old = "Last updated: March 1, 2024\n\n" + INTRO
    new = "Last updated: June 5, 2025, after we sold the company to another owner\n\n" + INTRO
    changes = diff(old, new)
    assert changes.changes and changes.material
    assert not changes.meta_changes
