"""The outline `publisher show` prints and its JSON form; golden files of real policies.

Golden files live in ``tests/golden/show/``; after an intended change, rewrite them with
``UPDATE_GOLDEN=1 pytest tests/test_outline.py`` and read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goldens import Golden

from publisher.markdown import parse_document
from publisher.outline import clause_to_dict, document_to_dict, render_outline

GOLDEN = Path(__file__).parent / "golden" / "show"

SAMPLE = """---
title: Example Terms
slug: example
version: "2"
effective: 2024-03-01
released: 2024-02-01
---
# Example Terms

Welcome.

## A. Accounts

**Short version:** *Keep your password safe; we cannot recover it for you if you lose it, and we
will never ask you for it by email.*

1. You must be 13.
2. One account per person.

- a bullet
  - nested

| Plan | Price |
|---|---|
| Free | 0 |
"""


def test_render_outline_lists_every_clause_indented_with_lines() -> None:
    doc = parse_document(SAMPLE)
    assert render_outline(doc) == (
        "Example Terms\n"
        "slug: example, version: 2, effective: 2024-03-01\n"
        f"8 clauses, body from line 8, sha256 {doc.sha256[:12]}\n"
        "\n"
        "[p1] Welcome.  L10\n"
        "[a] A. Accounts  L12-25\n"
        "  [a.short-version] Short version — Keep your password safe; we cannot recover it for you"
        " if you lose it, and we will never ask you for…  L14-15\n"
        "  [a.1] 1. You must be 13.  L17\n"
        "  [a.2] 2. One account per person.  L18\n"
        "  [a.l1] • a bullet  L20-21\n"
        "    [a.l1.l1] • nested  L21\n"
        "  [a.table1] table: Plan | Price / Free | 0  L23-25\n"
    )


def test_render_outline_without_title_or_front_matter() -> None:
    out = render_outline(parse_document("Just text.\n"))
    assert out.splitlines()[0] == "(untitled)"
    assert out.splitlines()[1].startswith("1 clauses, body from line 1, sha256 ")
    assert out.endswith("[p1] Just text.  L1\n")


def test_long_words_are_cut_hard() -> None:
    out = render_outline(parse_document("x" * 300 + "\n"))
    line = out.splitlines()[-1]
    assert line == "[p1] " + "x" * 100 + "…  L1"


def test_clause_to_dict_shape() -> None:
    doc = parse_document(SAMPLE)
    section = clause_to_dict(doc.clauses[1])
    assert list(section) == ["id", "kind", "number", "heading", "text", "lines", "children"]
    assert section["id"] == "a" and section["lines"] == [12, 25]
    assert section["children"][1] == {
        "id": "a.1",
        "kind": "item",
        "number": "1.",
        "heading": None,
        "text": "You must be 13.",
        "lines": [17, 17],
        "children": [],
    }


def test_document_to_dict_is_json_safe_and_complete() -> None:
    doc = parse_document(SAMPLE)
    data = json.loads(json.dumps(document_to_dict(doc)))
    assert data["title"] == "Example Terms"
    assert data["meta"] == {
        "title": "Example Terms",
        "slug": "example",
        "version": "2",
        "effective": "2024-03-01",
        "summary": None,
        "notice_days": None,
        "extra": {"released": "2024-02-01"},
    }
    assert data["sha256"] == doc.sha256
    assert data["body_start_line"] == 8
    ids = []

    def collect(clauses: list[dict[str, object]]) -> None:
        for clause in clauses:
            ids.append(clause["id"])
            collect(clause["children"])  # type: ignore[arg-type]

    collect(data["clauses"])
    assert ids == [c.id for c in doc.walk()]


# --------------------------------------------------------------------------- golden files

REVISIONS = [
    ("tos-2017-06-09", "github-terms-of-service", "0001_"),
    ("tos-2020-11-16", "github-terms-of-service", "0017_"),
    ("tos-2026-03-23", "github-terms-of-service", "0044_"),
    ("aup-2019-07-02", "github-acceptable-use-policies", "0001_"),
    ("aup-2019-11-25", "github-acceptable-use-policies", "0003_"),
    ("aup-2026-03-23", "github-acceptable-use-policies", "0037_"),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "folder", "prefix"), REVISIONS, ids=[r[0] for r in REVISIONS])
def test_outline_golden(
    corpus_dir: Path, name: str, folder: str, prefix: str, golden: Golden
) -> None:
    (source,) = (corpus_dir / "github-site-policy" / folder).glob(f"{prefix}*.md")
    outline = render_outline(parse_document(source.read_text("utf-8"), path=str(source)))
    golden(GOLDEN / f"{name}.txt", outline)
