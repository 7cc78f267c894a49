"""Slugs: the URL-safe names of policies, clause headings and GitHub-style heading anchors.

Every slug of the project is made here, so that one rule holds for each kind. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import PurePosixPath

__all__ = [
    "SITE_RESERVED",
    "PathName",
    "SlugClaim",
    "assign_slugs",
    "github_anchor",
    "glob_base",
    "heading_slug",
    "path_name",
    "slug_from_path",
]

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


# ------------------------------------------------------------------- policy slugs from paths

#: Top-level names of the site that no policy may have (a derived slug skips them; a
#: front-matter one is refused by the site build).
SITE_RESERVED = frozenset({"api", "assets", "css", "js", "search", "feed.xml"})

#: Stems that name no policy (``privacy/index.md`` is the privacy policy): the folder names it.
UNINFORMATIVE_STEMS = frozenset({"index", "readme"})

#: ISO 639-1 language codes: a folder (``de/``) or a stem suffix (``privacy.de.md``) that is
#: one, optionally with a region or script (``pt-BR``, ``zh_Hans``), is no part of a slug.
_LANGUAGE_CODES = (
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr "
    "ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw "
    "ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
    "ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr "
    "ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi "
    "yo za zh zu"
)
LANGUAGES = frozenset(_LANGUAGE_CODES.split())
_LANGUAGE_TAG = re.compile(r"([a-z]{2})(?:[-_][a-z0-9]{2,4})?", re.IGNORECASE)
_WILDCARD = re.compile(r"[*?\[]")


def language_of(segment: str) -> str | None:
    """The language a path segment or stem suffix names (``de``, ``pt-br``), or None."""
    match = _LANGUAGE_TAG.fullmatch(segment)
    return segment.lower().replace("_", "-") if match and match[1].lower() in LANGUAGES else None


def glob_base(pattern: str) -> str:
    """The fixed folder a ``policies`` glob starts with (``policies`` for
    ``policies/**/*.md``, ``""`` for ``**/*.md``): slugs are made of the path below it."""
    folders = pattern.strip().removeprefix("./").split("/")[:-1]
    fixed: list[str] = []
    for folder in folders:
        if _WILDCARD.search(folder):
            break
        fixed.append(folder)
    return "/".join(fixed)


@dataclass(frozen=True)
class PathName:
    """What a policy's path says of its slug: the stem's slug (None when the stem is
    uninformative), the slug of the path below the glob's base, and its language."""

    stem: str | None
    path: str
    language: str | None

    @property
    def key(self) -> str:
        """The name the policy goes by when nothing collides."""
        return self.stem or self.path

    def candidates(self) -> list[str]:
        """The slugs to try in order, before numbering (``-2``, ``-3``…)."""
        found = [self.stem] if self.stem else []
        found.append(self.path)
        if self.language:
            found.append(f"{self.path}-{self.language}")
        return list(dict.fromkeys(found))


def path_name(path: str, base: str = "") -> PathName:
    """``Facebook/Terms of Service.md`` -> stem ``terms-of-service``, path
    ``facebook-terms-of-service``; ``privacy/index.md`` -> no stem, path ``privacy``;
    ``de/privacy.md`` and ``privacy.de.md`` -> ``privacy``, language ``de``."""
    posix = PurePosixPath(path)
    if base and posix.is_relative_to(base):
        posix = posix.relative_to(base)
    folders, stem = list(posix.parts[:-1]), posix.stem
    language = None
    head, dot, suffix = stem.rpartition(".")
    if dot and head and (found := language_of(suffix)):
        stem, language = head, found
    kept: list[str] = []
    for folder in folders:
        found = language_of(folder)
        if found:
            language = language or found
        else:
            kept.append(folder)
    words = [_NOT_SLUG.sub("-", part.lower()).strip("-") for part in kept]
    informative = stem.lower() not in UNINFORMATIVE_STEMS or not any(words)
    stem_slug = _NOT_SLUG.sub("-", stem.lower()).strip("-") if informative else ""
    joined = "-".join(w for w in [*words, stem_slug] if w) or "policy"
    return PathName(stem=stem_slug or None, path=joined, language=language)


@dataclass(frozen=True)
class SlugClaim:
    """One policy asking for a slug: its front matter ``slug`` (which wins) or its path,
    and ``since``, when it first went by its current name (smaller is earlier)."""

    path: str
    explicit: str | None
    since: int


def assign_slugs(claims: Sequence[SlugClaim], base: str = "") -> list[str]:
    """The slug of each claim (in order), so that no two policies share a derived slug and
    no policy's slug changes when another policy appears later in history.

    Front-matter slugs are taken as written (two equal ones are lint's ``duplicate-slug``);
    derived ones avoid :data:`SITE_RESERVED` (``api/index.md`` is ``api-2``).
    Every other policy, in order of ``since`` (then path), takes the first candidate of
    :meth:`PathName.candidates` that nobody took before it, then the path slug numbered
    ``-2``, ``-3``…; when policies that first appeared in the same commit want the same
    candidate, none of them takes it, nor any policy after them (``a/terms.md`` and
    ``b/terms.md`` added together are ``a-terms`` and ``b-terms``, never one ``terms`` by
    alphabetical luck).
    """
    slugs: list[str | None] = [c.explicit for c in claims]
    taken = {c.explicit for c in claims if c.explicit} | SITE_RESERVED
    names = [path_name(c.path, base) for c in claims]
    derived = sorted(
        (i for i, c in enumerate(claims) if not c.explicit),
        key=lambda i: (claims[i].since, claims[i].path),
    )
    for _, group in groupby(derived, key=lambda i: claims[i].since):
        members = list(group)
        while members:
            wanted: dict[str, list[int]] = {}
            for i in members:
                choice = next((c for c in names[i].candidates() if c not in taken), None)
                wanted.setdefault(choice or "", []).append(i)
            waiting: list[int] = []
            for choice, wanting in wanted.items():
                if choice and len(wanting) == 1:
                    slugs[wanting[0]] = choice
                    taken.add(choice)
                elif choice:
                    taken.add(choice)  # nobody's, then or later
                    waiting += wanting
                else:  # every candidate is taken: number the path slug
                    for i in wanting:
                        n = 2
                        while f"{names[i].path}-{n}" in taken:
                            n += 1
                        numbered = f"{names[i].path}-{n}"
                        slugs[i] = numbered
                        taken.add(numbered)
            members = waiting
    return [slug or "policy" for slug in slugs]
