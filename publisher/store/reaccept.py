"""The re-acceptance rule (:mod:`publisher.acceptance_rules`) over the store: versions as the
store holds them (front matter ``reaccept`` and ``Policy-Change`` trailers copied from git by
``db sync``), materiality from the stored texts.

Materiality is a pure function of two texts and the overrides, so it is cached in the process
by the texts' sha256 (:class:`StoredMateriality`): a second process computes the same answer,
and nothing here can go stale when an acceptance is recorded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence

from publisher.acceptance_rules import (
    Decision,
    VersionRule,
    carrying_labels,
    decide,
    parse_mode,
)
from publisher.diff.model import Override
from publisher.store.db import Database
from publisher.store.versions import StoredVersion, stored_versions

CACHE_SIZE = 4096


def rule_of(version: StoredVersion) -> VersionRule:
    """What the rule needs of a stored version."""
    return VersionRule(
        label=version.label,
        position=version.position,
        sha256=version.sha256,
        reaccept=parse_mode(version.reaccept) if version.reaccept else None,
        policy_change=version.policy_change,
    )


class _Cache:
    """A small thread-safe LRU of materiality answers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[tuple[str, str, tuple[Override, ...]], bool] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str, tuple[Override, ...]]) -> bool | None:
        with self.lock:
            value = self.values.get(key)
            if value is not None:
                self.values.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, tuple[Override, ...]], value: bool) -> None:
        with self.lock:
            self.values[key] = value
            while len(self.values) > self.size:
                self.values.popitem(last=False)


_CACHE = _Cache(CACHE_SIZE)


def material_between(old: str, new: str, overrides: tuple[Override, ...] = ()) -> bool:
    """Are the changes from text ``old`` to text ``new`` material? (the clause diff)."""
    from publisher.diff import compare
    from publisher.markdown import parse_document

    return compare(parse_document(old), parse_document(new), overrides=overrides).material


class NotCached(Exception):
    """:func:`cached_only` has no answer for this pair of texts yet (compute it elsewhere)."""


def cached_only(old: VersionRule, new: VersionRule, overrides: tuple[Override, ...]) -> bool:
    """Materiality from the cache alone (for request handlers that must not diff inline);
    :class:`NotCached` when the pair was never computed in this process."""
    cached = _CACHE.get((old.sha256, new.sha256, overrides))
    if cached is None:
        raise NotCached(old.label, new.label)
    return cached


class StoredMateriality:
    """``material(old, new, overrides)`` for the rule, from the texts of ``versions`` (or
    texts by label from ``bodies``)."""

    def __init__(
        self, versions: Iterable[StoredVersion] = (), *, bodies: Callable[[str], str] | None = None
    ) -> None:
        self.bodies = {v.label: v.body for v in versions}
        self.load = bodies

    def body(self, label: str) -> str:
        if label not in self.bodies and self.load is not None:
            self.bodies[label] = self.load(label)
        return self.bodies[label]

    def __call__(self, old: VersionRule, new: VersionRule, overrides: tuple[Override, ...]) -> bool:
        key = (old.sha256, new.sha256, overrides)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        value = material_between(self.body(old.label), self.body(new.label), overrides)
        _CACHE.put(key, value)
        return value


class PolicyRules:
    """One policy's versions, ready for decisions about any number of customers."""

    def __init__(self, versions: Sequence[StoredVersion]) -> None:
        if not versions:
            raise ValueError("a policy without versions has nothing to accept")
        self.versions = sorted(versions, key=lambda v: v.position)
        self.slug = self.versions[0].slug
        self.rules = [rule_of(v) for v in self.versions]
        self.material = StoredMateriality(self.versions)

    @property
    def current(self) -> StoredVersion:
        return self.versions[-1]

    def decide(self, accepted: Iterable[str], *, current: str | None = None) -> Decision:
        """The decision for a customer who accepted the versions labelled ``accepted``."""
        return decide(self.rules, list(accepted), self.material, current=current)

    def carrying(self, *, current: str | None = None) -> frozenset[str]:
        """Labels whose acceptance (as the newest) stands for ``current`` (default: the
        current version)."""
        return carrying_labels(self.rules, self.material, current=current)


def policy_rules(database: Database, slugs: Iterable[str] | None = None) -> dict[str, PolicyRules]:
    """The rules of every stored policy (or of ``slugs``; unknown ones are left out)."""
    wanted = set(slugs) if slugs is not None else None
    grouped: dict[str, list[StoredVersion]] = {}
    for version in stored_versions(database):
        if wanted is None or version.slug in wanted:
            grouped.setdefault(version.slug, []).append(version)
    return {slug: PolicyRules(versions) for slug, versions in grouped.items()}


def decisions(
    rules: Mapping[str, PolicyRules], accepted: Mapping[str, Iterable[str]]
) -> dict[str, Decision]:
    """Per policy slug, the decision for a customer who accepted ``accepted[slug]``."""
    return {slug: policy.decide(accepted.get(slug, ())) for slug, policy in rules.items()}
