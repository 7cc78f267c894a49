"""Slugs: the URL-safe names of policies, clause headings and GitHub-style heading anchors.

Every slug of the project is made here, so that one rule holds for each kind. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

__all__ = ["github_anchor", "heading_slug", "slug_from_path"]

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HEADING_MAX = 40
_WORD = re.compile(r"[a-z0-9]+")
_GITHUB_DROP = re.compile(r"[^\w\- ]")


def slug_from_path(path: str) -> str:
    """``Policies/GitHub Terms_of-Service.md`` -> ``github-terms-of-service``."""
    stem = PurePosixPath(path).stem
    return _NOT_SLUG.sub("-", stem.lower()).strip("-") or "policy"


def heading_slug(text: str) -> str:
    """A clause id's part for a heading: ASCII words, lower case, joined by ``-``, at most
    40 characters, cut at a word boundary (``Account Terms`` -> ``account-terms``)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = ""
    for word in _WORD.findall(text.lower()):
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _HEADING_MAX and slug:
            break
        slug = candidate
    return slug[:_HEADING_MAX]


def github_anchor(text: str) -> str:
    """GitHub's anchor of a heading (before ``-1``, ``-2``… on repeats): lower case,
    punctuation dropped, each space a hyphen (``C. Acceptable Use`` -> ``c-acceptable-use``)."""
    return _GITHUB_DROP.sub("", text.lower()).replace(" ", "-")
