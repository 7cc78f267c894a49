"""Which language a policy file is in, and which files are one policy in several languages.

A file's language is its front matter ``lang``, else a stem suffix (``privacy.de.md``) or a
locale folder (``de/privacy.md``, ``pt-BR/terms.md``) of its path, else the default language.
Files whose path without its language segment is the same, or that declare the same
front-matter ``slug``, form one *family*; its source is the file in the default language
(else the first language of the family). Pure: the reader passes in what it read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from publisher.slugs import LANGUAGES

__all__ = [
    "FileLanguage",
    "Member",
    "file_language",
    "group_families",
    "normalise_tag",
    "order_languages",
    "valid_tag",
]

_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?")


def normalise_tag(tag: str) -> str:
    """A BCP 47 tag in its usual case: ``pt_br`` -> ``pt-BR``, ``ZH-hans`` -> ``zh-Hans``."""
    match = _TAG.fullmatch(tag.strip())
    if match is None:
        return tag.strip()
    language, sub = match[1].lower(), match[2]
    if sub is None:
        return language
    if len(sub) == 2 or sub.isdigit():
        return f"{language}-{sub.upper()}"
    if len(sub) == 4:
        return f"{language}-{sub.title()}"
    return f"{language}-{sub.lower()}"


def valid_tag(tag: str) -> bool:
    """Whether ``tag`` looks like a BCP 47 language tag (``de``, ``pt-BR``, ``zh-Hans``)."""
    return _TAG.fullmatch(tag.strip()) is not None


def tag_of(segment: str, languages: Sequence[str] = ()) -> str | None:
    """The language a path segment or stem suffix names, or None: one of ``languages``
    (any case, ``_`` for ``-``), or with none given an ISO 639-1 code with an optional
    region or script."""
    match = _TAG.fullmatch(segment)
    if match is None:
        return None
    tag = normalise_tag(segment)
    if languages:
        wanted = {t.lower() for t in languages}
        return tag if tag.lower() in wanted else None
    return tag if len(match[1]) == 2 and match[1].lower() in LANGUAGES else None


@dataclass(frozen=True)
class FileLanguage:
    """A file's language, where it came from, and its path with the language left out."""

    language: str
    neutral: str
    """The path below the glob's base without language folder or suffix (``privacy.md``)."""
    origin: str
    """``front matter``, ``path`` or ``default``."""


def file_language(
    path: str,
    *,
    base: str = "",
    declared: str | None = None,
    default: str = "en",
    languages: Sequence[str] = (),
) -> FileLanguage:
    """The language of the file ``path``: ``declared`` (front matter ``lang``), else its
    stem suffix or first locale folder, else ``default``."""
    posix = PurePosixPath(path)
    if base and posix.is_relative_to(base):
        posix = posix.relative_to(base)
    found: str | None = None
    stem, suffix = posix.stem, posix.suffix
    head, dot, tail = stem.rpartition(".")
    if dot and head and (tag := tag_of(tail, languages)):
        found, stem = tag, head
    folders: list[str] = []
    for folder in posix.parts[:-1]:
        tag = tag_of(folder, languages)
        if tag and found is None:
            found = tag
        elif not tag:
            folders.append(folder)
    neutral = "/".join([*folders, stem + suffix])
    if declared:
        return FileLanguage(normalise_tag(declared), neutral, "front matter")
    if found:
        return FileLanguage(found, neutral, "path")
    return FileLanguage(normalise_tag(default), neutral, "default")


@dataclass(frozen=True)
class Member:
    """What grouping needs of one policy file."""

    neutral: str
    slug: str | None
    """Front matter ``slug``, if any."""
    language: str


def order_languages(found: Sequence[str], default: str, languages: Sequence[str] = ()) -> list[str]:
    """``found`` without repeats in site order: ``languages`` order, else the default first
    and the rest alphabetically (tags not in ``languages`` after those that are)."""
    unique = list(dict.fromkeys(found))
    rank = {t.lower(): i for i, t in enumerate(languages)}
    default_lower = normalise_tag(default).lower()
    return sorted(
        unique,
        key=lambda t: (rank.get(t.lower(), len(rank)), t.lower() != default_lower, t.lower()),
    )


def group_families(
    members: Sequence[Member], *, default: str = "en", languages: Sequence[str] = ()
) -> list[int]:
    """The index of each member's source (its own index for a source): members with the
    same neutral path or the same front-matter slug are one family when their languages
    differ; members of a family that share a language stay sources of their own."""
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(keys: dict[str, int], key: str, i: int) -> None:
        if key in keys:
            a, b = find(keys[key]), find(i)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            keys[key] = i

    by_path: dict[str, int] = {}
    by_slug: dict[str, int] = {}
    for i, member in enumerate(members):
        union(by_path, member.neutral.lower(), i)
        if member.slug:
            union(by_slug, member.slug, i)
    groups: dict[int, list[int]] = {}
    for i in range(len(members)):
        groups.setdefault(find(i), []).append(i)
    source = list(range(len(members)))
    for group in groups.values():
        if len(group) == 1:
            continue
        counts: dict[str, int] = {}
        for i in group:
            key = members[i].language.lower()
            counts[key] = counts.get(key, 0) + 1
        family = [i for i in group if counts[members[i].language.lower()] == 1]
        if len(family) < 2:
            continue
        order = order_languages([members[i].language for i in family], default, languages)
        rank = {t: n for n, t in enumerate(order)}
        head = min(family, key=lambda i: rank[members[i].language])
        for i in family:
            source[i] = head
    return source
