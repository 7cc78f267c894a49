"""GitHub-style heading anchors: the site makes them as aliases, lint accepts them."""

from __future__ import annotations

import re

from publisher.anchors import clause_anchors, heading_aliases, page_anchors
from publisher.markdown import parse_document
from publisher.pages import policy_body
from publisher.sanitize import clause_bodies

TEXT = """# Terms

See [Definitions](#a-definitions) and [Conduct](#c-conduct).

## A. Definitions

1. "Account" means your account.

## Acceptable Use

Be kind.

## C. Acceptable Use

1. No spam.

## Summary

Short.

## Summary

Again.
"""


def test_every_section_gets_githubs_slug_unless_it_collides() -> None:
    document = parse_document(TEXT)
    aliases = heading_aliases(document)
    assert aliases["a"] == "a-definitions"
    assert aliases["summary"] == "summary" and aliases["summary-2"] == "summary-1"
    # "C. Acceptable Use" would be #c-acceptable-use: that is our anchor of the unnumbered
    # "Acceptable Use" section, so no alias is made for it.
    assert "c-acceptable-use" in clause_anchors(document)
    assert "c" not in aliases
    assert set(aliases.values()).isdisjoint(clause_anchors(document))
    assert page_anchors(document) >= {"a-definitions", "summary", "summary-1"}


def test_the_page_has_each_alias_once_and_no_duplicate_ids() -> None:
    document = parse_document(TEXT)
    html = policy_body(document, clause_bodies(document))
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'id="a-definitions"' in html
    assert 'href="#a-definitions"' in html
