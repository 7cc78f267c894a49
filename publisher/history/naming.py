"""Naming policies: the slug claim of each lineage, for :func:`publisher.slugs.assign_slugs`.

A lineage asks for its front-matter ``slug`` (of its newest readable revision), else for the
names of its current path, as of the oldest of its revisions whose path already went by the
same name (a move that keeps the name keeps the claim's age; a rename starts a new claim).
Files that are not in the history yet (a work tree's new file) are newer than all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from publisher.history.renames import Lineage
from publisher.slugs import SlugClaim, path_name

#: The ``since`` of a file that no commit holds yet: newer than the tip (position 0).
NOT_COMMITTED = 1


def lineage_claims(
    lineages: Sequence[Lineage],
    position: Mapping[str, int],
    explicit_of: Callable[[Lineage], str | None],
    base: str,
) -> list[SlugClaim]:
    """One claim per lineage (in order); ``position``: commit -> index, 0 = the tip."""
    claims: list[SlugClaim] = []
    for lin in lineages:
        key = path_name(lin.path, base).key
        oldest = max(
            (position[r.commit] for r in lin.revisions if path_name(r.path, base).key == key),
            default=0,
        )
        claims.append(SlugClaim(lin.path, explicit_of(lin), since=-oldest))
    return claims


def with_files(
    claims: Sequence[SlugClaim], files: Mapping[str, str | None]
) -> tuple[list[SlugClaim], dict[str, int]]:
    """The claims once ``files`` (path -> front-matter slug, as in a work tree or the index)
    replace what the history says of the same paths, new paths appended; and each file's
    index among them."""
    merged = list(claims)
    index: dict[str, int] = {}
    at = {claim.path: i for i, claim in enumerate(claims)}
    for path, explicit in files.items():
        if path in at:
            i = at[path]
            merged[i] = SlugClaim(path, explicit, merged[i].since)
        else:
            i = len(merged)
            merged.append(SlugClaim(path, explicit, NOT_COMMITTED))
        index[path] = i
    return merged, index
